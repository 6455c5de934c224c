//! An application that embeds jirasync: its own SQLite schema (organizations, users with their
//! e-mail addresses, projects and who works on them, tickets and their history), and the
//! [`Host`] jirasync needs, over those tables. jirasync's bookkeeping lives in the same database
//! file, in its own `jirasync_*` tables (`jirasync-store`, bookkeeping layout).
//!
//! The six methods of [`Host`] are all an application implements to receive Jira's webhooks and
//! sync inbound. [`Embedded`] puts the pieces together; `tests/webhook.rs` takes a Jira delivery
//! through the HTTP route end to end, `tests/host_conformance.rs` runs jirasync's host suite on
//! [`TicketsHost`], and `src/main.rs` is the same as a program:
//!
//! ```sh
//! cargo run -p jirasync-example-embedded-host
//! ```

mod wiring;

pub use wiring::{Embedded, demo_scene};

use async_trait::async_trait;
use jirasync_domain::external_actor::ActorTarget;
use jirasync_domain::host::unsupported_change;
use jirasync_domain::ids::{LocalIssueId, OrganizationId, UserId};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::{Host, HostError, HostIssue, IssueChange};
use sqlx::SqlitePool;

/// The application's own tables. Nothing in them knows about Jira.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS app_organizations (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS app_users (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES app_organizations (id),
    active INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS app_user_emails (
    user_id INTEGER NOT NULL REFERENCES app_users (id),
    email TEXT NOT NULL,
    verified INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS app_projects (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES app_organizations (id)
);
CREATE TABLE IF NOT EXISTS app_project_members (
    project_id INTEGER NOT NULL REFERENCES app_projects (id),
    user_id INTEGER NOT NULL REFERENCES app_users (id)
);
CREATE TABLE IF NOT EXISTS app_tickets (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES app_projects (id),
    assignee_id INTEGER REFERENCES app_users (id),
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS app_ticket_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES app_tickets (id),
    what TEXT NOT NULL,
    source TEXT NOT NULL
);
";

/// The application, as jirasync's host.
#[derive(Debug, Clone)]
pub struct TicketsHost {
    pool: SqlitePool,
}

impl TicketsHost {
    /// The host over the application's pool (its tables made by [`SCHEMA`]).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// The application's pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Ids as a JSON array, for `IN (SELECT value FROM json_each(?))`.
fn id_list(ids: impl IntoIterator<Item = u64>) -> String {
    serde_json::Value::from(ids.into_iter().collect::<Vec<_>>()).to_string()
}

fn user_ids(rows: Vec<i64>) -> Vec<UserId> {
    rows.into_iter()
        .filter_map(|id| u64::try_from(id).ok())
        .map(UserId::new)
        .collect()
}

/// The application's database errors, as jirasync reads them: worth a retry.
fn failed(error: sqlx::Error) -> HostError {
    HostError::unavailable("the tickets database failed", error)
}

#[async_trait]
impl Host for TicketsHost {
    async fn users_with_verified_email(&self, email: &str) -> Result<Vec<UserId>, HostError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT u.id FROM app_users u JOIN app_user_emails e ON e.user_id = u.id \
             WHERE u.active = 1 AND e.verified = 1 AND lower(e.email) = lower(?) ORDER BY u.id",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await
        .map_err(failed)?;
        Ok(user_ids(rows))
    }

    async fn active_users(&self, ids: &[UserId]) -> Result<Vec<UserId>, HostError> {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM app_users WHERE active = 1 \
             AND id IN (SELECT value FROM json_each(?)) ORDER BY id",
        )
        .bind(id_list(ids.iter().map(|id| id.get())))
        .fetch_all(&self.pool)
        .await
        .map_err(failed)?;
        Ok(user_ids(rows))
    }

    async fn assignable_users(
        &self,
        issue: LocalIssueId,
        candidates: &[UserId],
    ) -> Result<Vec<UserId>, HostError> {
        // The application's rule: whoever works on the ticket's project.
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT m.user_id FROM app_tickets t \
             JOIN app_project_members m ON m.project_id = t.project_id \
             JOIN app_users u ON u.id = m.user_id \
             WHERE t.id = ? AND u.active = 1 AND m.user_id IN (SELECT value FROM json_each(?))",
        )
        .bind(i64::try_from(issue.get()).unwrap_or(-1))
        .bind(id_list(candidates.iter().map(|id| id.get())))
        .fetch_all(&self.pool)
        .await
        .map_err(failed)?;
        Ok(user_ids(rows))
    }

    async fn issue(&self, issue: LocalIssueId) -> Result<Option<HostIssue>, HostError> {
        let row: Option<(i64, Option<i64>, bool)> = sqlx::query_as(
            "SELECT p.organization_id, t.assignee_id, t.closed FROM app_tickets t \
             JOIN app_projects p ON p.id = t.project_id WHERE t.id = ?",
        )
        .bind(i64::try_from(issue.get()).unwrap_or(-1))
        .fetch_optional(&self.pool)
        .await
        .map_err(failed)?;
        Ok(row.map(|(organization, assignee, closed)| HostIssue {
            organization_id: OrganizationId::new(organization.unsigned_abs()),
            assignee: assignee.map(|id| Assignee::User(UserId::new(id.unsigned_abs()))),
            status: if closed {
                ResolutionStatus::Resolved
            } else {
                ResolutionStatus::Unresolved
            },
        }))
    }

    async fn apply_change(&self, change: &IssueChange) -> Result<(), HostError> {
        let ticket = i64::try_from(change.issue.get()).unwrap_or(-1);
        let update = match (change.assignee(), change.status()) {
            (Some(None), _) => {
                sqlx::query("UPDATE app_tickets SET assignee_id = NULL WHERE id = ?")
            }
            (Some(Some(Assignee::User(user))), _) => {
                sqlx::query("UPDATE app_tickets SET assignee_id = ? WHERE id = ?")
                    .bind(i64::try_from(user.get()).unwrap_or(-1))
            }
            (_, Some(status)) => sqlx::query("UPDATE app_tickets SET closed = ? WHERE id = ?")
                .bind(status == ResolutionStatus::Resolved),
            // This application has no teams, and handles no other kind of change.
            _ => return Err(unsupported_change(change.kind)),
        };
        // The value and its history entry in one transaction: jirasync's redelivery after a
        // crash then finds both or neither.
        let mut transaction = self.pool.begin().await.map_err(failed)?;
        let updated = update
            .bind(ticket)
            .execute(&mut *transaction)
            .await
            .map_err(failed)?;
        if updated.rows_affected() == 1 {
            sqlx::query(
                "INSERT INTO app_ticket_history (ticket_id, what, source) VALUES (?, ?, ?)",
            )
            .bind(ticket)
            .bind(change.kind.as_str())
            .bind(&change.data.provider)
            .execute(&mut *transaction)
            .await
            .map_err(failed)?;
        }
        transaction.commit().await.map_err(failed)
    }

    async fn in_organization(
        &self,
        organization: OrganizationId,
        target: ActorTarget,
    ) -> Result<bool, HostError> {
        let ActorTarget::User(user) = target else {
            return Ok(false);
        };
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM app_users WHERE id = ? AND organization_id = ?")
                .bind(i64::try_from(user.get()).unwrap_or(-1))
                .bind(i64::try_from(organization.get()).unwrap_or(-1))
                .fetch_optional(&self.pool)
                .await
                .map_err(failed)?;
        Ok(found.is_some())
    }
}
