//! The SQLite store's **direct** path (decision 0020): the calls every webhook delivery makes,
//! answered without `sqlx`. Reads run on the caller's thread over the store's direct readers
//! (`reads.rs`); writes go to its group-committing writer (`writer.rs`). Each function is a
//! `direct = …` hook of a shared store macro (`sql/`): it uses the same SQL text as the shared
//! statements, so both paths read and write the same rows, and the conformance suites run on
//! stores that take this path. Every hook answers (`Some`); PostgreSQL's hooks
//! (`sql/no_direct.rs`) never do.

use jirasync_domain::StoreError;
use jirasync_domain::host::IssueChange;
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use jirasync_domain::integration::Integration;
use jirasync_domain::issue::{LinkedIssue, LocalIssue};
use jirasync_domain::store::OrganizationLink;
use jirasync_webhook::{EventTime, IssueKey};
use rusqlite::types::Value;
use rusqlite::{Connection, Row, params, params_from_iter};

use super::SqliteStore;
use crate::sql::Dialect;
use crate::sql::events::ANY_EVENT_DELIVERY_DUE;
use crate::sql::host::{
    CLEAR_ASSIGNEE, INSERT_ACTIVITY, LOCAL_ISSUE_EXISTS, LocalIssueRow, SET_ASSIGNEE, SET_STATUS,
    assignee_columns, local_issue_from_row, select_assignable_users, select_local_issue,
    select_users_by_email, user_ids,
};
use crate::sql::integrations::{
    IntegrationRow, LinkRow, SELECT_INTEGRATION, integration_from_row, link_from_row,
};
use crate::sql::issue_links::linked_issues_from_rows;
use crate::sql::organizations::{OrganizationRow, organization_from_row};
use crate::sql::outbound::ANY_ECHO;
use crate::sql::values::{sql_id, status_name};
use crate::sql_error::direct_error;

/// `T` from a row, as a tuple of its columns.
fn tuple<T>(row: &Row<'_>) -> rusqlite::Result<T>
where
    T: for<'r> TryFrom<&'r Row<'r>, Error = rusqlite::Error>,
{
    T::try_from(row)
}

/// [`IntegrationStore::integration`](jirasync_domain::IntegrationStore::integration), read
/// directly.
pub(crate) fn integration(
    store: &SqliteStore,
    id: IntegrationId,
) -> Option<Result<Option<Integration>, StoreError>> {
    const WHAT: &str = "reading an integration";
    Some(store.readers.read(WHAT, |connection| {
        let error = |error| direct_error(WHAT, error);
        let mut select = connection
            .prepare_cached(&format!("{SELECT_INTEGRATION} WHERE id = $1"))
            .map_err(error)?;
        let mut rows = select.query([sql_id(id.get())]).map_err(error)?;
        let Some(row) = rows.next().map_err(error)? else {
            return Ok(None);
        };
        let row: IntegrationRow = tuple(row).map_err(error)?;
        let mut secrets = connection
            .prepare_cached(
                "SELECT secret FROM jirasync_integration_webhook_secrets \
                 WHERE integration_id = $1 ORDER BY position",
            )
            .map_err(error)?;
        let secrets = secrets
            .query_map([row.0], |row| row.get::<_, String>(0))
            .and_then(Iterator::collect)
            .map_err(error)?;
        integration_from_row(row, secrets).map(Some)
    }))
}

/// [`IntegrationStore::organization_links`](jirasync_domain::IntegrationStore::organization_links),
/// read directly.
pub(crate) fn organization_links(
    store: &SqliteStore,
    integration_id: IntegrationId,
) -> Option<Result<Vec<OrganizationLink>, StoreError>> {
    const WHAT: &str = "reading an integration's links";
    Some(store.readers.read(WHAT, |connection| {
        let error = |error| direct_error(WHAT, error);
        let mut select = connection
            .prepare_cached(&crate::sql::integrations::select_organization_links())
            .map_err(error)?;
        let rows = select
            .query_map([sql_id(integration_id.get())], |row| {
                let link: LinkRow = (
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                    row.get(8)?,
                    row.get(9)?,
                );
                let organization: OrganizationRow =
                    (row.get(10)?, row.get(11)?, row.get(12)?, row.get(13)?);
                Ok((link, organization))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(error)?;
        rows.into_iter()
            .map(|(link, organization)| {
                Ok(OrganizationLink {
                    organization: organization_from_row(organization)?,
                    link: link_from_row(link)?,
                })
            })
            .collect()
    }))
}

/// [`IssueLinkStore::linked_issues`](jirasync_domain::IssueLinkStore::linked_issues), read
/// directly.
pub(crate) fn linked_issues(
    store: &SqliteStore,
    integration_id: IntegrationId,
    key: &IssueKey,
    organizations: &[OrganizationId],
) -> Option<Result<Vec<LinkedIssue>, StoreError>> {
    const WHAT: &str = "reading linked issues";
    Some(store.readers.read(WHAT, |connection| {
        let error = |error| direct_error(WHAT, error);
        let sql = crate::sql::issue_links::select_linked_issues(organizations.len());
        let mut select = connection.prepare_cached(&sql).map_err(error)?;
        let binds = issue_binds(integration_id, key, organizations);
        let rows = select
            .query_map(binds, tuple::<(i64, i64)>)
            .and_then(Iterator::collect)
            .map_err(error)?;
        linked_issues_from_rows(rows, organizations)
    }))
}

/// The values of a statement about the Jira issue `key` of an integration in some
/// organizations, as `sql/` writes them: `$1` the integration, `$2` the key, `$3`… the
/// organizations.
pub(super) fn issue_binds(
    integration_id: IntegrationId,
    key: &IssueKey,
    organizations: &[OrganizationId],
) -> rusqlite::ParamsFromIter<impl Iterator<Item = Value>> {
    let integration = Value::Integer(sql_id(integration_id.get()));
    let key = Value::Text(key.as_str().to_owned());
    let organizations = organizations
        .iter()
        .map(|organization| Value::Integer(sql_id(organization.get())));
    params_from_iter([integration, key].into_iter().chain(organizations))
}

/// The user ids a statement selects, bound to `binds`.
fn selected_users(
    connection: &Connection,
    sql: &str,
    binds: impl IntoIterator<Item = Value>,
    what: &str,
) -> Result<Vec<UserId>, StoreError> {
    let error = |error| direct_error(what, error);
    let mut select = connection.prepare_cached(sql).map_err(error)?;
    let ids = select
        .query_map(params_from_iter(binds), |row| row.get::<_, i64>(0))
        .and_then(Iterator::collect)
        .map_err(error)?;
    user_ids(ids)
}

/// [`Host::users_with_verified_email`](jirasync_domain::Host::users_with_verified_email), read
/// directly.
pub(crate) fn users_with_verified_email(
    store: &SqliteStore,
    email: &str,
) -> Option<Result<Vec<UserId>, StoreError>> {
    const WHAT: &str = "finding users by e-mail";
    let sql = select_users_by_email(SqliteStore::TRUE);
    let address = Value::Text(email.to_lowercase());
    Some(store.readers.read(WHAT, |connection| {
        selected_users(connection, &sql, [address], WHAT)
    }))
}

/// [`Host::assignable_users`](jirasync_domain::Host::assignable_users) among the (distinct,
/// stored) `candidates`, read directly.
pub(crate) fn assignable_users(
    store: &SqliteStore,
    issue: LocalIssueId,
    candidates: &[i64],
) -> Option<Result<Vec<UserId>, StoreError>> {
    const WHAT: &str = "reading assignable users";
    let sql = select_assignable_users(SqliteStore::TRUE, candidates.len());
    let issue = Value::Integer(sql_id(issue.get()));
    let binds = std::iter::once(issue).chain(candidates.iter().copied().map(Value::Integer));
    Some(store.readers.read(WHAT, |connection| {
        selected_users(connection, &sql, binds, WHAT)
    }))
}

/// A local issue with its assignee, read directly.
pub(crate) fn local_issue(
    store: &SqliteStore,
    issue: LocalIssueId,
) -> Option<Result<Option<LocalIssue>, StoreError>> {
    const WHAT: &str = "reading a local issue";
    Some(store.readers.read(WHAT, |connection| {
        let error = |error| direct_error(WHAT, error);
        let mut select = connection
            .prepare_cached(&select_local_issue())
            .map_err(error)?;
        let mut rows = select.query([sql_id(issue.get())]).map_err(error)?;
        match rows.next().map_err(error)? {
            Some(row) => {
                local_issue_from_row(tuple::<LocalIssueRow>(row).map_err(error)?).map(Some)
            }
            None => Ok(None),
        }
    }))
}

/// [`Host::apply_change`](jirasync_domain::Host::apply_change) for an assignee or status
/// change: the value and its activity, written through the store's writer (one group commit
/// with the writes queued beside it). An issue the application no longer has is left alone.
pub(crate) async fn apply_change(
    store: &SqliteStore,
    change: &IssueChange,
) -> Option<Result<(), StoreError>> {
    const WHAT: &str = "changing a local issue";
    let change = change.clone();
    Some(
        store
            .writer
            .write(WHAT, move |connection| {
                write_change(connection, &change).map_err(|error| direct_error(WHAT, error))
            })
            .await,
    )
}

/// The statements of [`apply_change`], also run by a sync session's commit that took the
/// change (`session.rs`).
pub(super) fn write_change(connection: &Connection, change: &IssueChange) -> rusqlite::Result<()> {
    let issue = sql_id(change.issue.get());
    let exists = connection
        .prepare_cached(LOCAL_ISSUE_EXISTS)?
        .exists([issue])?;
    if !exists {
        return Ok(());
    }
    if let Some(assignee) = change.assignee() {
        match assignee_columns(assignee) {
            (None, None) => connection
                .prepare_cached(CLEAR_ASSIGNEE)?
                .execute([issue])?,
            (user, team) => connection
                .prepare_cached(SET_ASSIGNEE)?
                .execute(params![issue, user, team])?,
        };
    }
    if let Some(status) = change.status() {
        connection
            .prepare_cached(SET_STATUS)?
            .execute(params![status_name(status), issue])?;
    }
    let data = &change.data;
    let (user_id, team_id) = assignee_columns(data.assignee);
    connection
        .prepare_cached(INSERT_ACTIVITY)?
        .execute(params![
            issue,
            change.kind.as_str(),
            data.provider,
            data.provider_key,
            sql_id(data.integration_id.get()),
            user_id,
            team_id,
            data.sync_source.map(|source| sql_id(source.get())),
            data.occurred_at.map(EventTime::unix_millis),
        ])?;
    Ok(())
}

/// Whether any echo is expected for the Jira issue, read directly.
pub(crate) fn any_echo(
    store: &SqliteStore,
    integration_id: IntegrationId,
    issue_key: &IssueKey,
) -> Option<Result<bool, StoreError>> {
    const WHAT: &str = "reading expected echoes";
    let params = params![sql_id(integration_id.get()), issue_key.as_str()];
    Some(store.readers.exists(WHAT, ANY_ECHO, params))
}

/// Whether any event delivery is pending and due at `now` (stored milliseconds), read directly.
pub(crate) async fn any_event_delivery_due(
    store: &SqliteStore,
    now: i64,
) -> Option<Result<bool, StoreError>> {
    const WHAT: &str = "reading due event deliveries";
    Some(store.readers.exists(WHAT, ANY_EVENT_DELIVERY_DUE, [now]))
}
