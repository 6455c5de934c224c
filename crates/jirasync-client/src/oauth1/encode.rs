//! RFC 5849 §3.6 percent-encoding and the `application/x-www-form-urlencoded` decoding that feeds
//! the signature base string.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except the RFC 3986 unreserved characters (`ALPHA / DIGIT / "-" / "." / "_" / "~"`).
const OAUTH_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `value` as RFC 5849 §3.6 requires: UTF-8 bytes, every byte outside the unreserved
/// set as `%XX` with upper-case hex. A space becomes `%20`, never `+`.
///
/// ```
/// use jirasync_client::oauth1::percent_encode;
/// assert_eq!(percent_encode("a b+c/~"), "a%20b%2Bc%2F~");
/// ```
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, OAUTH_ENCODE_SET).to_string()
}

/// Decodes an `application/x-www-form-urlencoded` string (a query string or a form body) into its
/// name/value pairs, decoding each once (`+` is a space, `%XX` a byte), keeping order and repeats.
pub(crate) fn decode_form_pairs(input: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(input).map(|(name, value)| (name.into_owned(), value.into_owned()))
}

/// Whether a `Content-Type` header value names `application/x-www-form-urlencoded`, the only body
/// type whose parameters take part in the signature (RFC 5849 §3.4.1.3.1).
///
/// ```
/// use jirasync_client::oauth1::is_form_urlencoded;
/// assert!(is_form_urlencoded("application/x-www-form-urlencoded; charset=UTF-8"));
/// assert!(!is_form_urlencoded("application/json"));
/// ```
pub fn is_form_urlencoded(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|media| {
        media
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_but_unreserved_characters() {
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode(" !*'()=&%"), "%20%21%2A%27%28%29%3D%26%25");
    }

    #[test]
    fn encodes_utf8_bytes_with_upper_case_hex() {
        assert_eq!(percent_encode("é☃"), "%C3%A9%E2%98%83");
    }

    #[test]
    fn decodes_form_pairs_once_keeping_repeats() {
        let pairs: Vec<_> = decode_form_pairs(b"a=1+2&a=%253D&b").collect();
        assert_eq!(
            pairs,
            vec![
                ("a".to_owned(), "1 2".to_owned()),
                ("a".to_owned(), "%3D".to_owned()),
                ("b".to_owned(), String::new()),
            ]
        );
    }
}
