//! Checking a batch before it reaches a store: its size, every id and name, and no record named
//! twice. Each refusal names the JSON path of the item at fault (`items[3].emails[1].address`),
//! as the host API's request body lays the batch out (`{"items": [...]}`).

use std::collections::HashMap;

use super::{AppAssignee, AppId, IssueData, OrganizationData, ProjectData, TeamData, UserData};

/// The most items one batch may hold: big enough to sync thousands of records in a few calls,
/// small enough for one transaction to stay short (see `docs/api.md`).
pub const MAX_BATCH_ITEMS: usize = 1000;

/// The longest application id, in characters.
pub const MAX_APP_ID_CHARS: usize = 255;

/// The longest display name or e-mail address, in characters.
pub const MAX_NAME_CHARS: usize = 320;

/// Why a batch was refused before reaching the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// More items than [`MAX_BATCH_ITEMS`].
    #[error(
        "the batch has {count} items, more than the limit of {limit}: split it into batches of \
         at most {limit}"
    )]
    TooLarge {
        /// Items sent.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// An item breaks a rule.
    #[error("{path}: {message}")]
    Invalid {
        /// The JSON path of the member at fault.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl BatchError {
    fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Checks an application id: 1 to [`MAX_APP_ID_CHARS`] characters, no control character, no
/// blank at either end. `path` names it in the error.
///
/// # Errors
///
/// [`BatchError::Invalid`] naming `path`.
pub fn validate_app_id(path: &str, id: &AppId) -> Result<(), BatchError> {
    let text = id.as_str();
    let count = text.chars().count();
    if count == 0 {
        return Err(BatchError::invalid(path, "the id is empty"));
    }
    if count > MAX_APP_ID_CHARS {
        return Err(BatchError::invalid(
            path,
            format!("the id has {count} characters, more than {MAX_APP_ID_CHARS}"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(BatchError::invalid(
            path,
            "the id contains a control character",
        ));
    }
    if text.trim() != text {
        return Err(BatchError::invalid(
            path,
            "the id starts or ends with a blank",
        ));
    }
    Ok(())
}

fn validate_name(path: &str, name: &str) -> Result<(), BatchError> {
    let count = name.chars().count();
    if name.trim().is_empty() {
        return Err(BatchError::invalid(path, "the name is empty"));
    }
    if count > MAX_NAME_CHARS {
        return Err(BatchError::invalid(
            path,
            format!("the name has {count} characters, more than {MAX_NAME_CHARS}"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(BatchError::invalid(
            path,
            "the name contains a control character",
        ));
    }
    Ok(())
}

fn check_size(count: usize) -> Result<(), BatchError> {
    if count > MAX_BATCH_ITEMS {
        return Err(BatchError::TooLarge {
            count,
            limit: MAX_BATCH_ITEMS,
        });
    }
    Ok(())
}

/// Refuses the second occurrence of a key among `keys`, naming both places.
fn no_repeats<'a>(
    keys: impl IntoIterator<Item = (String, &'a str)>,
    what: &str,
) -> Result<(), BatchError> {
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (path, key) in keys {
        if let Some(first) = seen.get(key) {
            return Err(BatchError::invalid(
                path,
                format!("{what} {key:?} appears twice (first at {first})"),
            ));
        }
        seen.insert(key, path);
    }
    Ok(())
}

/// Checks a batch of organizations.
///
/// # Errors
///
/// [`BatchError`] naming the first item at fault.
pub fn validate_organizations(batch: &[OrganizationData]) -> Result<(), BatchError> {
    check_size(batch.len())?;
    for (index, item) in batch.iter().enumerate() {
        validate_app_id(&format!("items[{index}].id"), &item.id)?;
        validate_name(&format!("items[{index}].name"), &item.name)?;
    }
    no_repeats(ids(batch.iter().map(|item| &item.id)), "the id")
}

/// Checks a batch of users: ids, and each user's addresses (not empty, an `@`, each once).
///
/// # Errors
///
/// [`BatchError`] naming the first item at fault.
pub fn validate_users(batch: &[UserData]) -> Result<(), BatchError> {
    check_size(batch.len())?;
    for (index, item) in batch.iter().enumerate() {
        validate_app_id(&format!("items[{index}].id"), &item.id)?;
        for (position, email) in item.emails.iter().enumerate() {
            let path = format!("items[{index}].emails[{position}].address");
            let address = email.address.as_str();
            if address.trim().is_empty() {
                return Err(BatchError::invalid(path, "the address is empty"));
            }
            if !address.contains('@') || address.trim() != address {
                return Err(BatchError::invalid(
                    path,
                    format!("{address:?} is not an e-mail address"),
                ));
            }
            if address.chars().count() > MAX_NAME_CHARS {
                return Err(BatchError::invalid(
                    path,
                    format!("the address is longer than {MAX_NAME_CHARS} characters"),
                ));
            }
        }
        no_repeats(
            item.emails.iter().enumerate().map(|(position, email)| {
                (
                    format!("items[{index}].emails[{position}].address"),
                    email.address.as_str(),
                )
            }),
            "the address",
        )?;
    }
    no_repeats(ids(batch.iter().map(|item| &item.id)), "the id")
}

/// Checks a list of user ids to add to an organization.
///
/// # Errors
///
/// [`BatchError`] naming the first item at fault.
pub fn validate_members(users: &[AppId]) -> Result<(), BatchError> {
    check_size(users.len())?;
    for (index, user) in users.iter().enumerate() {
        validate_app_id(&format!("items[{index}].user"), user)?;
    }
    no_repeats(
        users
            .iter()
            .enumerate()
            .map(|(index, user)| (format!("items[{index}].user"), user.as_str())),
        "the user",
    )
}

/// Checks a batch of teams: ids, names, each member once.
///
/// # Errors
///
/// [`BatchError`] naming the first item at fault.
pub fn validate_teams(batch: &[TeamData]) -> Result<(), BatchError> {
    check_size(batch.len())?;
    for (index, item) in batch.iter().enumerate() {
        validate_app_id(&format!("items[{index}].id"), &item.id)?;
        validate_name(&format!("items[{index}].name"), &item.name)?;
        let members = item.members.iter().enumerate().map(|(position, member)| {
            (
                format!("items[{index}].members[{position}].user"),
                &member.user,
            )
        });
        for (path, user) in members.clone() {
            validate_app_id(&path, user)?;
        }
        no_repeats(
            members.map(|(path, user)| (path, user.as_str())),
            "the user",
        )?;
    }
    no_repeats(ids(batch.iter().map(|item| &item.id)), "the id")
}

/// Checks a batch of projects: ids, names, each team once.
///
/// # Errors
///
/// [`BatchError`] naming the first item at fault.
pub fn validate_projects(batch: &[ProjectData]) -> Result<(), BatchError> {
    check_size(batch.len())?;
    for (index, item) in batch.iter().enumerate() {
        validate_app_id(&format!("items[{index}].id"), &item.id)?;
        validate_name(&format!("items[{index}].name"), &item.name)?;
        let teams = item
            .teams
            .iter()
            .enumerate()
            .map(|(position, team)| (format!("items[{index}].teams[{position}]"), team));
        for (path, team) in teams.clone() {
            validate_app_id(&path, team)?;
        }
        no_repeats(teams.map(|(path, team)| (path, team.as_str())), "the team")?;
    }
    no_repeats(ids(batch.iter().map(|item| &item.id)), "the id")
}

/// Checks a batch of issues: ids, the project's and the assignee's.
///
/// # Errors
///
/// [`BatchError`] naming the first item at fault.
pub fn validate_issues(batch: &[IssueData]) -> Result<(), BatchError> {
    check_size(batch.len())?;
    for (index, item) in batch.iter().enumerate() {
        validate_app_id(&format!("items[{index}].id"), &item.id)?;
        validate_app_id(&format!("items[{index}].project"), &item.project)?;
        match &item.assignee {
            Some(AppAssignee::User(user)) => {
                validate_app_id(&format!("items[{index}].assignee.user"), user)?;
            }
            Some(AppAssignee::Team(team)) => {
                validate_app_id(&format!("items[{index}].assignee.team"), team)?;
            }
            None => {}
        }
    }
    no_repeats(ids(batch.iter().map(|item| &item.id)), "the id")
}

fn ids<'a>(ids: impl Iterator<Item = &'a AppId>) -> impl Iterator<Item = (String, &'a str)> {
    ids.enumerate()
        .map(|(index, id)| (format!("items[{index}].id"), id.as_str()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use super::*;
    use crate::issue::ResolutionStatus;
    use crate::people::UserEmail;

    fn user(id: &str, emails: &[&str]) -> UserData {
        UserData {
            id: AppId::new(id),
            active: true,
            emails: emails.iter().map(|a| UserEmail::verified(*a)).collect(),
        }
    }

    #[test]
    fn refuses_bad_ids_naming_the_path() {
        for (id, message) in [
            ("", "items[1].id: the id is empty"),
            (" u", "items[1].id: the id starts or ends with a blank"),
            ("u\n", "items[1].id: the id contains a control character"),
        ] {
            let batch = [user("ok", &[]), user(id, &[])];
            assert_eq!(validate_users(&batch).unwrap_err().to_string(), message);
        }
        let long = "x".repeat(MAX_APP_ID_CHARS + 1);
        let error = validate_users(&[user(&long, &[])]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "items[0].id: the id has 256 characters, more than 255"
        );
    }

    #[test]
    fn refuses_an_id_given_twice() {
        let error = validate_users(&[user("a", &[]), user("b", &[]), user("a", &[])]);
        assert_eq!(
            error.unwrap_err().to_string(),
            "items[2].id: the id \"a\" appears twice (first at items[0].id)"
        );
    }

    #[test]
    fn refuses_bad_and_repeated_addresses() {
        let error = validate_users(&[user("a", &["a@example.com", "nope"])]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "items[0].emails[1].address: \"nope\" is not an e-mail address"
        );
        let error = validate_users(&[user("a", &["a@x.org", "a@x.org"])]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "items[0].emails[1].address: the address \"a@x.org\" appears twice (first at \
             items[0].emails[0].address)"
        );
    }

    #[test]
    fn refuses_more_than_the_limit() {
        let batch: Vec<_> = (0..=MAX_BATCH_ITEMS)
            .map(|n| user(&n.to_string(), &[]))
            .collect();
        assert_eq!(
            validate_users(&batch).unwrap_err(),
            BatchError::TooLarge {
                count: 1001,
                limit: 1000
            }
        );
        assert!(validate_users(&batch[..MAX_BATCH_ITEMS]).is_ok());
    }

    #[test]
    fn checks_issue_references() {
        let issue = IssueData {
            id: AppId::new("i"),
            project: AppId::new(""),
            status: ResolutionStatus::Unresolved,
            assignee: None,
        };
        assert_eq!(
            validate_issues(&[issue]).unwrap_err().to_string(),
            "items[0].project: the id is empty"
        );
    }
}
