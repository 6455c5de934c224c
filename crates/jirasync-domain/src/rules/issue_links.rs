//! Linking a local issue to a Jira issue by its key, as an operator asks for it (the admin API,
//! the CLI): the key is checked here, and that the issue is the organization's (through the
//! [`Host`]), then the store links atomically ([`IssueLinkStore::link_issue`], which refuses an
//! organization without a link to the integration).

use jirasync_webhook::IssueKey;

use crate::host::{Host, HostError};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId};
use crate::issue::IssueLink;
use crate::store::missing::missing_local_issue;
use crate::store::{IssueLinkStore, StoreError};

/// Why an issue could not be linked. An adapter answers `InvalidKey` with 400 and maps `Store`
/// by its kind (`NotFound` 404, `Unavailable` 503).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueLinkError {
    /// The text is not a Jira issue key.
    #[error(
        "{key:?} is not a Jira issue key: a key is a project key, a hyphen and the issue's \
         number, e.g. SHOP-12"
    )]
    InvalidKey {
        /// The text as given.
        key: String,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The application failed to say whether the issue is the organization's.
    #[error(transparent)]
    Host(#[from] HostError),
}

/// The Jira issue key `text` names: a project key without blanks, a hyphen, and the issue's
/// number in digits. Keys are compared exactly (case-sensitive), so the text is kept as given,
/// not upper-cased.
///
/// # Errors
///
/// [`IssueLinkError::InvalidKey`] for anything else (empty, blanks, no number).
pub fn parse_issue_key(text: &str) -> Result<IssueKey, IssueLinkError> {
    let invalid = || IssueLinkError::InvalidKey {
        key: text.to_owned(),
    };
    let (project, number) = text.rsplit_once('-').ok_or_else(invalid)?;
    let project_ok = !project.is_empty()
        && project
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control());
    let number_ok = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    if project_ok && number_ok {
        Ok(IssueKey::new(text))
    } else {
        Err(invalid())
    }
}

/// Links the local issue to the Jira issue `key` for the organization through the integration.
/// Linking twice is not an error (`created: false`).
///
/// # Errors
///
/// [`IssueLinkError::InvalidKey`] (nothing written) for a text that is not a key;
/// [`IssueLinkError::Store`] with [`StoreError::NotFound`] when the local issue is not in the
/// organization or the organization has no link to the integration;
/// [`IssueLinkError::Host`] when the application cannot say.
pub async fn link_jira_issue<S: IssueLinkStore + ?Sized, H: Host + ?Sized>(
    store: &S,
    host: &H,
    organization_id: OrganizationId,
    integration_id: IntegrationId,
    key: &str,
    local_issue_id: LocalIssueId,
) -> Result<IssueLink, IssueLinkError> {
    let key = parse_issue_key(key)?;
    ensure_issue_of_organization(host, organization_id, local_issue_id).await?;
    Ok(store
        .link_issue(organization_id, integration_id, &key, local_issue_id)
        .await?)
}

/// Checks with the application (through the [`Host`]) that the local issue exists and is the
/// organization's.
///
/// # Errors
///
/// [`IssueLinkError::Store`] with [`StoreError::NotFound`] when it is not;
/// [`IssueLinkError::Host`] when the application cannot say.
pub async fn ensure_issue_of_organization<H: Host + ?Sized>(
    host: &H,
    organization_id: OrganizationId,
    local_issue_id: LocalIssueId,
) -> Result<(), IssueLinkError> {
    let in_organization = host
        .issue(local_issue_id)
        .await?
        .is_some_and(|issue| issue.organization_id == organization_id);
    if in_organization {
        Ok(())
    } else {
        Err(missing_local_issue(organization_id, local_issue_id).into())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use super::*;

    #[test]
    fn accepts_project_key_hyphen_number() {
        for key in ["SHOP-1", "MOB_2-700", "A1-0", "ab-12"] {
            assert_eq!(parse_issue_key(key).unwrap().as_str(), key);
        }
    }

    #[test]
    fn refuses_what_is_not_a_key() {
        for key in [
            "", "SHOP", "SHOP-", "-12", "SHOP-1a", "SHOP 1-2", " SHOP-1", "SHOP-1 ",
        ] {
            let error = parse_issue_key(key).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "{key:?} is not a Jira issue key: a key is a project key, a hyphen and the \
                     issue's number, e.g. SHOP-12"
                )
            );
        }
    }
}
