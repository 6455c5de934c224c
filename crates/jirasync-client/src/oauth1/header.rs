//! The `Authorization: OAuth ...` header of RFC 5849 §3.5.1: writing it, and reading it back (for
//! `WWW-Authenticate` refusals and for servers that verify requests).

use percent_encoding::percent_decode_str;

use super::encode::percent_encode;

/// Writes an `Authorization` header value: `OAuth ` then `name="value"` pairs, both percent-encoded,
/// separated by `, `.
///
/// ```
/// use jirasync_client::oauth1::authorization_header_value;
/// assert_eq!(
///     authorization_header_value(&[("oauth_consumer_key", "jira sync"), ("oauth_version", "1.0")]),
///     r#"OAuth oauth_consumer_key="jira%20sync", oauth_version="1.0""#
/// );
/// ```
pub fn authorization_header_value(params: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{}=\"{}\"", percent_encode(name), percent_encode(value)))
        .collect();
    format!("OAuth {}", pairs.join(", "))
}

/// Why an `OAuth` header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderParseError {
    /// The value does not start with the `OAuth` scheme.
    #[error("the header does not use the OAuth scheme")]
    NotOAuth,
    /// A parameter is not of the form `name="value"`.
    #[error("the OAuth header parameter {0:?} is not of the form name=\"value\"")]
    Malformed(String),
}

/// Reads an `OAuth` header value (`Authorization` or `WWW-Authenticate`) into its parameters, with
/// names and values percent-decoded, in the order they appear.
///
/// ```
/// use jirasync_client::oauth1::parse_authorization_header;
/// let params = parse_authorization_header(r#"OAuth realm="", oauth_nonce="a%20b""#).unwrap();
/// assert_eq!(params[1], ("oauth_nonce".to_owned(), "a b".to_owned()));
/// ```
pub fn parse_authorization_header(value: &str) -> Result<Vec<(String, String)>, HeaderParseError> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("OAuth") {
        return Err(HeaderParseError::NotOAuth);
    }
    split_params(rest)
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .map(|part| parse_param(part.trim()))
        .collect()
}

/// Splits on commas that are outside double quotes.
fn split_params(input: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (index, character) in input.char_indices() {
        match character {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                parts.push(input.get(start..index).unwrap_or_default());
                start = index.saturating_add(1);
            }
            _ => {}
        }
    }
    parts.push(input.get(start..).unwrap_or_default());
    parts
}

fn parse_param(part: &str) -> Result<(String, String), HeaderParseError> {
    let malformed = || HeaderParseError::Malformed(part.to_owned());
    let (name, quoted) = part.split_once('=').ok_or_else(malformed)?;
    let quoted = quoted.trim();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(quoted);
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    Ok((decode(name.trim()), decode(inner)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_reserved_characters() {
        let header = authorization_header_value(&[("oauth_callback", "https://x.test/cb?a=1,2")]);
        assert_eq!(
            header,
            r#"OAuth oauth_callback="https%3A%2F%2Fx.test%2Fcb%3Fa%3D1%2C2""#
        );
        let parsed = parse_authorization_header(&header).unwrap();
        assert_eq!(
            parsed,
            vec![(
                "oauth_callback".to_owned(),
                "https://x.test/cb?a=1,2".to_owned()
            )]
        );
    }

    #[test]
    fn rejects_other_schemes() {
        assert_eq!(
            parse_authorization_header("Bearer abc"),
            Err(HeaderParseError::NotOAuth)
        );
    }

    #[test]
    fn rejects_parameters_without_equals() {
        assert!(matches!(
            parse_authorization_header("OAuth oauth_nonce"),
            Err(HeaderParseError::Malformed(_))
        ));
    }
}
