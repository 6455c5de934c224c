//! JSON bytes into a typed value, with a refusal that says where: the webhook payload, the state
//! file and the admin API all answer "this member, at this line and column, is wrong because …",
//! each in its own words, from the one [`JsonError`].

use std::fmt;

use serde::de::DeserializeOwned;

/// Decodes `bytes` (one JSON document, nothing after it but white space) into a `T`.
///
/// # Errors
///
/// A [`JsonError`] naming the path of the member that did not fit (`.` for the document itself,
/// and for text after it), the line and column, and serde_json's message.
///
/// ```
/// use std::collections::BTreeMap;
///
/// let error = jirasync_core::decode_json::<BTreeMap<String, Vec<u32>>>(
///     b"{\"ids\": [1,\n \"two\"]}",
/// )
/// .unwrap_err();
/// assert_eq!(error.path(), "ids[1]");
/// assert_eq!((error.line(), error.column()), (2, 6));
/// assert_eq!(error.message(), "invalid type: string \"two\", expected u32");
/// ```
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        JsonError {
            path,
            error: error.into_inner(),
        }
    })?;
    deserializer.end()?;
    Ok(value)
}

/// Why JSON bytes did not decode: where, and serde_json's reason.
///
/// `Display` is serde_json's own text (`… at line L column C`), without the path.
#[derive(Debug)]
pub struct JsonError {
    path: String,
    error: serde_json::Error,
}

impl JsonError {
    /// The path of the member that did not fit, as `serde_path_to_error` writes it
    /// (`users[0].emial`, `.` for the document itself; a trailing `?` stands for a key not read
    /// yet).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The line of the error, from 1 (0 when serde_json knows none).
    pub fn line(&self) -> usize {
        self.error.line()
    }

    /// The column of the error, from 1 (0 when serde_json knows none).
    pub fn column(&self) -> usize {
        self.error.column()
    }

    /// serde_json's message without the ` at line L column C` it appends.
    pub fn message(&self) -> String {
        let message = self.error.to_string();
        let suffix = format!(" at line {} column {}", self.line(), self.column());
        message
            .strip_suffix(&suffix)
            .map_or_else(|| message.clone(), str::to_owned)
    }

    /// Whether the bytes are JSON whose shape did not fit `T` (a wrong type, a missing or unknown
    /// field), as opposed to bytes that are not JSON at all (or stop early).
    pub fn is_data(&self) -> bool {
        self.error.is_data()
    }
}

/// An error with no path: the document as a whole (`.`).
impl From<serde_json::Error> for JsonError {
    fn from(error: serde_json::Error) -> Self {
        Self {
            path: ".".to_owned(),
            error,
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "only decoded")]
    struct User {
        id: u64,
        active: bool,
    }

    fn refused(json: &str) -> JsonError {
        match decode_json::<BTreeMap<String, Vec<User>>>(json.as_bytes()) {
            Ok(value) => panic!("decoded {value:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn names_the_path_of_a_wrong_type() {
        let error = refused(r#"{"users": [{"id": 1, "active": "yes"}]}"#);
        assert_eq!(error.path(), "users[0].active");
        assert_eq!(
            error.message(),
            "invalid type: string \"yes\", expected a boolean"
        );
        assert!(error.is_data());
        assert_eq!(
            error.to_string(),
            format!("{} at line 1 column {}", error.message(), error.column())
        );
    }

    #[test]
    fn names_line_and_column_of_a_syntax_error() {
        let error = refused("{\n  \"users\": [\n    {\"id\": 1,}\n  ]\n}");
        assert_eq!((error.line(), error.column()), (3, 14));
        // The key after the comma was not read yet.
        assert_eq!(error.path(), "users[0].?");
        assert_eq!(error.message(), "trailing comma");
        assert!(!error.is_data());
    }

    #[test]
    fn text_after_the_document_is_refused_at_the_top() {
        let error = refused("{}\n[]");
        assert_eq!(error.path(), ".");
        assert_eq!((error.line(), error.column()), (2, 1));
        assert_eq!(error.message(), "trailing characters");
    }

    #[test]
    fn a_plain_serde_json_error_stands_for_the_document() {
        let plain = serde_json::from_slice::<u32>(b"true").unwrap_err();
        let error = JsonError::from(plain);
        assert_eq!(error.path(), ".");
        assert_eq!(
            error.message(),
            "invalid type: boolean `true`, expected u32"
        );
    }
}
