//! The PostgreSQL store's `direct = …` hooks (see `sql/no_direct.rs`): where a shared statement
//! sequence costs a delivery several round trips, PostgreSQL runs one statement instead.
//!
//! - **A change to a local issue** ([`apply_change`]): the shared code checks the issue, writes
//!   the value and appends the activity in a transaction, five round trips (`BEGIN`, three
//!   statements, `COMMIT`). Here it is one statement, whose data-modifying `WITH` clauses write
//!   nothing when the issue is gone; a statement outside a transaction is atomic on its own.
//!
//! The host's other hooks are `sql/no_direct.rs`'s: the shared statements run.

use jirasync_domain::StoreError;
use jirasync_domain::host::IssueChange;
use jirasync_webhook::EventTime;

use super::PostgresStore;
use crate::sql::host::assignee_columns;
use crate::sql::values::{sql_id, status_name};
use crate::sql_error::store_error;

pub(crate) use crate::sql::no_direct::{assignable_users, local_issue, users_with_verified_email};

/// The change to local issue `$1` and its activity, in one statement: with `$2` the assignee
/// becomes user `$3` or team `$4` (neither: none); with `$5` not null, the status becomes `$5`;
/// the activity is kind `$6`, provider `$7`, provider key `$8`, integration `$9`, assigned user
/// `$10` or team `$11`, sync source `$12`, change time `$13`. Nothing is written when the issue
/// is gone. The same writes as `sql/host.rs`'s `CLEAR_ASSIGNEE`, `SET_ASSIGNEE`, `SET_STATUS`
/// and `INSERT_ACTIVITY`.
const APPLY_CHANGE: &str = "WITH issue AS (SELECT id FROM local_issues WHERE id = $1), \
    cleared AS (DELETE FROM issue_assignees WHERE local_issue_id IN (SELECT id FROM issue) \
        AND $2 AND $3::BIGINT IS NULL AND $4::BIGINT IS NULL), \
    assigned AS (INSERT INTO issue_assignees (local_issue_id, user_id, team_id) \
        SELECT id, $3, $4 FROM issue WHERE $2 AND ($3::BIGINT IS NOT NULL OR $4::BIGINT IS NOT NULL) \
        ON CONFLICT (local_issue_id) \
        DO UPDATE SET user_id = excluded.user_id, team_id = excluded.team_id), \
    status AS (UPDATE local_issues SET status = $5 \
        WHERE id IN (SELECT id FROM issue) AND $5::TEXT IS NOT NULL) \
    INSERT INTO activities (local_issue_id, kind, provider, provider_key, integration_id, \
        assignee_user_id, assignee_team_id, sync_source, occurred_at) \
    SELECT id, $6, $7, $8, $9, $10, $11, $12, $13 FROM issue";

/// Applies a change to a local issue (an assignee or a status, with its activity) in one
/// statement on the host pool.
pub(crate) async fn apply_change(
    store: &PostgresStore,
    change: &IssueChange,
) -> Option<Result<(), StoreError>> {
    const WHAT: &str = "changing a local issue";
    let pool = match store.host_pool() {
        Ok(pool) => pool,
        Err(error) => return Some(Err(error)),
    };
    let written = write_change(pool, change).await;
    Some(written.map_err(|error| store_error(WHAT, error)))
}

/// The statement of [`apply_change`] on `executor`: the host pool, or the transaction of a sync
/// session that took the change (`session.rs`).
pub(super) async fn write_change<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    change: &IssueChange,
) -> Result<(), sqlx::Error> {
    let assignee = change.assignee();
    let (user, team) = assignee_columns(assignee.flatten());
    let data = &change.data;
    let (activity_user, activity_team) = assignee_columns(data.assignee);
    sqlx::query(APPLY_CHANGE)
        .bind(sql_id(change.issue.get()))
        .bind(assignee.is_some())
        .bind(user)
        .bind(team)
        .bind(change.status().map(status_name))
        .bind(change.kind.as_str())
        .bind(&data.provider)
        .bind(&data.provider_key)
        .bind(sql_id(data.integration_id.get()))
        .bind(activity_user)
        .bind(activity_team)
        .bind(data.sync_source.map(|source| sql_id(source.get())))
        .bind(data.occurred_at.map(EventTime::unix_millis))
        .execute(executor)
        .await
        .map(drop)
}
