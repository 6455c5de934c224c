//! Issue and project references that go into URL paths, checked before any request is sent.
//!
//! A key or id becomes a path segment (`/rest/api/2/issue/{key}/assignee`): a value with a `/`,
//! `..` or `?` would address another resource, so only the shapes Jira itself gives out are
//! accepted, and the accepted value is still percent-encoded when it is put in the path.

use crate::error::InputError;
use crate::oauth1::percent_encode;

/// Checks that `value` is an issue key (`APP-123`: a project key of capital ASCII letters, digits
/// and `_` that starts with a letter, a dash, and a number) or a numeric issue id (`10001`).
///
/// ```
/// use jirasync_client::check_issue_reference;
///
/// assert!(check_issue_reference("APP-123").is_ok());
/// assert!(check_issue_reference("MY_APP2-7").is_ok());
/// assert!(check_issue_reference("10001").is_ok());
/// assert!(check_issue_reference("app-1").is_err());
/// assert!(check_issue_reference("APP-1/../../").is_err());
/// ```
pub fn check_issue_reference(value: &str) -> Result<(), InputError> {
    let is_key = value
        .rsplit_once('-')
        .is_some_and(|(project, number)| is_project_key(project) && is_number(number));
    if is_key || is_number(value) {
        Ok(())
    } else {
        Err(InputError::IssueReference {
            value: value.to_owned(),
        })
    }
}

/// Checks that `value` is a project key (`APP`: capital ASCII letters, digits and `_`, starting
/// with a letter) or a numeric project id (`10000`).
///
/// ```
/// use jirasync_client::check_project_reference;
///
/// assert!(check_project_reference("APP").is_ok());
/// assert!(check_project_reference("10000").is_ok());
/// assert!(check_project_reference("APP-1").is_err());
/// ```
pub fn check_project_reference(value: &str) -> Result<(), InputError> {
    if is_project_key(value) || is_number(value) {
        Ok(())
    } else {
        Err(InputError::ProjectReference {
            value: value.to_owned(),
        })
    }
}

/// The path segment for a checked issue key or id.
pub(crate) fn issue_segment(value: &str) -> Result<String, InputError> {
    check_issue_reference(value)?;
    Ok(percent_encode(value))
}

/// The path segment for a checked project key or id.
pub(crate) fn project_segment(value: &str) -> Result<String, InputError> {
    check_project_reference(value)?;
    Ok(percent_encode(value))
}

fn is_project_key(value: &str) -> bool {
    let mut chars = value.chars();
    chars.next().is_some_and(|first| first.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// One or more ASCII digits, at most 19 (an id Jira could hold in a `long`).
fn is_number(value: &str) -> bool {
    (1..=19).contains(&value.len()) && value.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_keys_and_ids() {
        for value in ["A-1", "APP-123", "AB_C9-0042", "1", "10001"] {
            assert!(check_issue_reference(value).is_ok(), "{value}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_key_or_id() {
        for value in [
            "",
            "-1",
            "APP",
            "APP-",
            "app-1",
            "1APP-1",
            "APP-1a",
            "APP 1",
            "APP-1/",
            "APP--1",
            "ÄPP-1",
            "APP-１",
            "../1",
            "APP-1?x=1",
            "12345678901234567890",
        ] {
            assert!(check_issue_reference(value).is_err(), "{value:?}");
        }
    }

    #[test]
    fn project_references() {
        assert!(check_project_reference("A").is_ok());
        assert!(check_project_reference("A_1").is_ok());
        assert!(check_project_reference("").is_err());
        assert!(check_project_reference("_A").is_err());
        assert!(check_project_reference("A-1").is_err());
    }
}
