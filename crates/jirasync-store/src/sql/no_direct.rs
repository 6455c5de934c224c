//! The `direct = …` hooks of the store macros for a back-end that runs the shared statements
//! (PostgreSQL): each gives `None`, and the macro's own statements run. PostgreSQL's host writes
//! a change in one statement of its own (`postgres/direct.rs`), and its event claims first ask
//! whether anything is due (`postgres/events.rs`). The SQLite store's hooks
//! (`sqlite/direct.rs`) read on the caller's thread and write through its group-committing
//! writer instead.

use jirasync_domain::StoreError;
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use jirasync_domain::inbox::DeliveryId;
use jirasync_domain::integration::Integration;
use jirasync_domain::issue::{LinkedIssue, LocalIssue};
use jirasync_domain::store::OrganizationLink;
use jirasync_webhook::IssueKey;

use super::inbox::{HeadChange, HeldUpdate};

/// No direct read of an integration.
pub(crate) fn integration<S>(
    _store: &S,
    _id: IntegrationId,
) -> Option<Result<Option<Integration>, StoreError>> {
    None
}

/// No direct read of an integration's organization links.
pub(crate) fn organization_links<S>(
    _store: &S,
    _integration_id: IntegrationId,
) -> Option<Result<Vec<OrganizationLink>, StoreError>> {
    None
}

/// No direct read of linked issues.
pub(crate) fn linked_issues<S>(
    _store: &S,
    _integration_id: IntegrationId,
    _key: &IssueKey,
    _organizations: &[OrganizationId],
) -> Option<Result<Vec<LinkedIssue>, StoreError>> {
    None
}

/// No direct look-up of users by e-mail.
pub(crate) fn users_with_verified_email<S>(
    _store: &S,
    _email: &str,
) -> Option<Result<Vec<UserId>, StoreError>> {
    None
}

/// No direct look-up of assignable users.
pub(crate) fn assignable_users<S>(
    _store: &S,
    _issue: LocalIssueId,
    _candidates: &[i64],
) -> Option<Result<Vec<UserId>, StoreError>> {
    None
}

/// No direct read of a local issue.
pub(crate) fn local_issue<S>(
    _store: &S,
    _issue: LocalIssueId,
) -> Option<Result<Option<LocalIssue>, StoreError>> {
    None
}

/// No direct read of whether echoes are expected.
pub(crate) fn any_echo<S>(
    _store: &S,
    _integration_id: IntegrationId,
    _issue_key: &IssueKey,
) -> Option<Result<bool, StoreError>> {
    None
}

/// No direct write of a held inbox delivery's change.
pub(crate) async fn change_held<S: Sync>(
    _store: &S,
    _what: &'static str,
    _id: DeliveryId,
    _attempt: u32,
    _update: HeldUpdate,
    _then: HeadChange,
) -> Option<Result<(), StoreError>> {
    None
}

/// No direct write of several held inbox deliveries' completion.
pub(crate) async fn complete_held<S: Sync>(
    _store: &S,
    _what: &'static str,
    _claims: &[(DeliveryId, u32)],
) -> Option<Result<Vec<Result<(), StoreError>>, StoreError>> {
    None
}
