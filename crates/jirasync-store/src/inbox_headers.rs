//! The `headers` column of the inbox: one `name: value` line per header, readable in a database
//! shell. A backslash, a line break or a carriage return in a name or value is escaped (`\\`,
//! `\n`, `\r`), and so is a colon in a name (`\:`), so any header round-trips.

use jirasync_domain::inbox::DeliveryHeader;

/// The stored text of `headers`.
pub(crate) fn encode_headers(headers: &[DeliveryHeader]) -> String {
    headers
        .iter()
        .map(|header| {
            format!(
                "{}: {}",
                escape(&header.name, true),
                escape(&header.value, false)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The headers stored as [`encode_headers`] wrote them. A line without a colon (never written
/// by this crate) is kept as a header with that name and an empty value.
pub(crate) fn decode_headers(text: &str) -> Vec<DeliveryHeader> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n')
        .map(|line| {
            let (name, value) = split_at_separator(line);
            DeliveryHeader {
                name: unescape(name),
                value: unescape(value.strip_prefix(' ').unwrap_or(value)),
            }
        })
        .collect()
}

fn escape(text: &str, in_name: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            ':' if in_name => escaped.push_str("\\:"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The line cut at its first unescaped colon: (name, rest after the colon).
fn split_at_separator(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (index, character) in line.char_indices() {
        match character {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ':' => {
                let (name, rest) = line.split_at(index);
                return (name, rest.get(1..).unwrap_or_default());
            }
            _ => {}
        }
    }
    (line, "")
}

fn unescape(text: &str) -> String {
    let mut unescaped = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            unescaped.push(character);
            continue;
        }
        match characters.next() {
            Some('n') => unescaped.push('\n'),
            Some('r') => unescaped.push('\r'),
            // `\\`, `\:` and anything else: the character itself.
            Some(other) => unescaped.push(other),
            None => unescaped.push('\\'),
        }
    }
    unescaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, value: &str) -> DeliveryHeader {
        DeliveryHeader {
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn plain_headers_are_one_line_each() {
        let headers = vec![
            header("content-type", "application/json"),
            header("x-atlassian-webhook-identifier", "1234-abcd"),
        ];
        let text = encode_headers(&headers);
        assert_eq!(
            text,
            "content-type: application/json\nx-atlassian-webhook-identifier: 1234-abcd"
        );
        assert_eq!(decode_headers(&text), headers);
    }

    #[test]
    fn any_header_round_trips() {
        let headers = vec![
            header("we:ird\\name", "a: b\r\nc\\d"),
            header("", ""),
            header("empty-value", ""),
            header(" spaced ", "  two leading spaces"),
        ];
        assert_eq!(decode_headers(&encode_headers(&headers)), headers);
    }

    #[test]
    fn no_headers_is_empty_text() {
        assert_eq!(encode_headers(&[]), "");
        assert!(decode_headers("").is_empty());
    }
}
