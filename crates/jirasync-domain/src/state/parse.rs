//! Reading a state file's bytes into a [`StateSnapshot`], with errors that point into the file.

use jirasync_core::decode_json;
use serde::Deserialize;

use super::error::StateError;
use super::format::{FORMAT_VERSION, StateSnapshot};

/// Just the version of a document, read before the rest so a file of another version is reported
/// as such and not as a list of unknown fields.
#[derive(Deserialize)]
struct VersionProbe {
    format_version: Option<u64>,
}

impl StateSnapshot {
    /// Reads a state file. It is not checked beyond its shape: call [`StateSnapshot::validate`]
    /// before using it.
    ///
    /// # Errors
    ///
    /// [`StateError::UnsupportedVersion`] when `format_version` is not [`FORMAT_VERSION`];
    /// [`StateError::Malformed`], naming the JSON path, line and column, for anything else that
    /// is not a state file (bad JSON, a missing or unknown field, a wrong type, a time that is not
    /// RFC 3339, trailing text).
    pub fn from_json(bytes: &[u8]) -> Result<Self, StateError> {
        if let Ok(VersionProbe {
            format_version: Some(found),
        }) = serde_json::from_slice(bytes)
            && found != FORMAT_VERSION
        {
            return Err(StateError::UnsupportedVersion { found });
        }
        decode_json(bytes).map_err(|error| StateError::Malformed {
            path: readable_path(error.path()),
            line: error.line(),
            column: error.column(),
            message: error.message(),
        })
    }
}

/// The path without serde_path_to_error's `?` for "a key not read yet" (the error is inside the
/// object before it), and `.` for the document itself.
fn readable_path(path: &str) -> String {
    let trimmed = path.strip_suffix(".?").unwrap_or(path);
    if trimmed.is_empty() || trimmed == "?" {
        ".".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn malformed_parts(json: &str) -> (String, usize, usize, String) {
        match StateSnapshot::from_json(json.as_bytes()) {
            Err(StateError::Malformed {
                path,
                line,
                column,
                message,
            }) => (path, line, column, message),
            other => panic!("expected a malformed file, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_minimal_file() {
        let snapshot = StateSnapshot::from_json(br#"{"format_version": 1}"#).unwrap();
        assert_eq!(snapshot, StateSnapshot::default());
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let (path, line, column, message) = malformed_parts(
            "{\n  \"format_version\": 1,\n  \"users\": [\n    {\"id\": 1,}\n  ]\n}",
        );
        assert_eq!((line, column), (4, 14));
        assert_eq!(path, "users[0]");
        assert_eq!(message, "trailing comma");
    }

    #[test]
    fn unknown_field_is_refused_with_its_path() {
        let (path, line, _, message) = malformed_parts(
            "{\"format_version\": 1,\n \"users\": [{\"id\": 1, \"active\": true, \"emails\": [], \"emial\": 2}]}",
        );
        assert_eq!(path, "users[0].emial");
        assert_eq!(line, 2);
        assert!(message.starts_with("unknown field `emial`"), "{message}");
    }

    #[test]
    fn wrong_type_names_its_path() {
        let (path, _, _, message) = malformed_parts(
            r#"{"format_version": 1, "organizations": [{"id": "one", "name": "acme", "features": {"issue_sync": true, "external_actors": true}}]}"#,
        );
        assert_eq!(path, "organizations[0].id");
        assert!(
            message.starts_with("invalid type: string \"one\""),
            "{message}"
        );
    }

    #[test]
    fn missing_version_is_malformed() {
        let (path, _, _, message) = malformed_parts(r#"{"users": []}"#);
        assert_eq!(path, ".");
        assert_eq!(message, "missing field `format_version`");
    }

    #[test]
    fn other_version_is_unsupported_even_with_fields_this_version_does_not_know() {
        let error =
            StateSnapshot::from_json(br#"{"format_version": 2, "tickets": []}"#).unwrap_err();
        assert!(matches!(error, StateError::UnsupportedVersion { found: 2 }));
        assert_eq!(
            error.to_string(),
            "the state file has format_version 2, but this version of jirasync reads only format_version 1"
        );
    }

    #[test]
    fn trailing_text_is_refused() {
        let (_, line, column, message) = malformed_parts("{\"format_version\": 1}\n{}");
        assert_eq!((line, column), (2, 1));
        assert_eq!(message, "trailing characters");
    }

    #[test]
    fn time_that_is_not_rfc3339_names_its_path() {
        let (path, _, _, message) = malformed_parts(
            r#"{"format_version": 1, "external_issues": [{"id": 1, "organization_id": 1, "integration_id": 2, "key": "APP-1", "assignee_updated_at": "last week", "local_issues": []}]}"#,
        );
        assert_eq!(path, "external_issues[0].assignee_updated_at");
        assert!(message.contains("RFC 3339"), "{message}");
    }
}
