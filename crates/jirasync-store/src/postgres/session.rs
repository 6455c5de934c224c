//! The syncs of one Jira issue, serialised on PostgreSQL by **row locks**: a session is a
//! transaction on one pooled connection, kept open until it commits or is dropped.
//!
//! **begin** sets `lock_timeout` (the store's `issue_lock_wait`), creates the request's missing
//! `jirasync_external_issues` rows (without watermarks), locks them `FOR UPDATE` in organization
//! order (two sessions never wait for each other in a cycle), then checks the delivery log and
//! reads the watermarks. A session of the same issue on any instance waits at the lock until this
//! one ends, and then reads what it committed. **commit** records the delivery key, moves the
//! watermarks, appends the sync's events and commits; a **dropped** session rolls back (the pool rolls back a connection
//! returned inside a transaction, see `crate::pool`), and a crashed instance's connection ends
//! with its transaction: its rows are free at once. A wait longer than `lock_timeout` is
//! [`StoreError::Unavailable`] naming the Jira issue.
//!
//! The start runs in a task of its own, so a caller that stops waiting (a hang-up, a timeout)
//! never leaves a half-started transaction: the session built in the task is dropped there.

use std::time::Duration;

use async_trait::async_trait;
use jirasync_domain::StoreError;
use jirasync_domain::events::NewEvent;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::store::{EventHub, IssueSyncRequest, IssueSyncSession, IssueSyncStart};
use jirasync_webhook::EventTime;
use sqlx::{PgPool, Postgres, Transaction};

use super::PostgresStore;
use super::issue_sync::{delivery_recorded, finish_sync, request_watermarks};
use crate::sql::values::sql_id;
use crate::sql_error::store_error;

/// PostgreSQL's `lock_not_available`, what a wait longer than `lock_timeout` fails with.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// A sync of one Jira issue holding its rows' locks in `transaction`.
struct PostgresSession {
    transaction: Transaction<'static, Postgres>,
    /// Whether events get application ids (the store holds the standalone host's tables).
    app_ids: bool,
    events: EventHub,
    request: IssueSyncRequest,
    watermarks: Vec<(OrganizationId, Option<EventTime>)>,
}

/// Starts a sync of the request's Jira issue once no other session holds its rows.
pub(super) async fn begin(
    store: &PostgresStore,
    request: IssueSyncRequest,
) -> Result<IssueSyncStart, StoreError> {
    let pool = store.pool.clone();
    let wait = store.issue_lock_wait;
    let app_ids = store.host_pool().is_ok();
    tokio::spawn(start(pool, app_ids, store.events.clone(), wait, request))
        .await
        .map_err(|error| StoreError::other(format!("the task starting a sync failed: {error}")))?
}

async fn start(
    pool: PgPool,
    app_ids: bool,
    events: EventHub,
    wait: Duration,
    request: IssueSyncRequest,
) -> Result<IssueSyncStart, StoreError> {
    let failed = |error: sqlx::Error| start_error(&request, wait, error);
    let mut transaction = crate::pool::begin(&pool, "BEGIN").await.map_err(failed)?;
    // 0 would mean "wait for ever".
    let wait_ms = wait.as_millis().clamp(1, u128::from(u32::MAX));
    sqlx::query(&format!("SET LOCAL lock_timeout = {wait_ms}"))
        .execute(&mut *transaction)
        .await
        .map_err(failed)?;
    // The rows to lock; a concurrent session creating the same row makes this insert wait for
    // it (and then do nothing). The organizations come sorted, so the order is the same for all.
    let integration_id = sql_id(request.integration_id.get());
    for organization in &request.organizations {
        sqlx::query(
            "INSERT INTO jirasync_external_issues (organization_id, integration_id, key) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(sql_id(organization.get()))
        .bind(integration_id)
        .bind(request.issue_key.as_str())
        .execute(&mut *transaction)
        .await
        .map_err(failed)?;
    }
    let watermarks = request_watermarks(&mut transaction, &request)
        .await
        .map_err(failed)?;
    if delivery_recorded(&mut transaction, &request)
        .await
        .map_err(failed)?
    {
        // Dropping the transaction rolls it back: the rows created above are gone too.
        return Ok(IssueSyncStart::Duplicate);
    }
    Ok(IssueSyncStart::Started(Box::new(PostgresSession {
        transaction,
        app_ids,
        events,
        request,
        watermarks,
    })))
}

/// The error of a session's start: a lock wait beyond `lock_timeout` names the Jira issue.
fn start_error(request: &IssueSyncRequest, wait: Duration, error: sqlx::Error) -> StoreError {
    let timed_out = matches!(
        &error,
        sqlx::Error::Database(database) if database.code().as_deref() == Some(LOCK_NOT_AVAILABLE)
    );
    if timed_out {
        StoreError::Unavailable {
            message: format!(
                "the Jira issue {} of integration {} is being synced by another session and \
                 was not free within {wait:?}; retry later",
                request.issue_key, request.integration_id
            ),
            source: Some(Box::new(error)),
        }
    } else {
        store_error("starting the sync of a Jira issue", error)
    }
}

#[async_trait]
impl IssueSyncSession for PostgresSession {
    fn watermarks(&self) -> &[(OrganizationId, Option<EventTime>)] {
        &self.watermarks
    }

    async fn commit(
        self: Box<Self>,
        advance: &[(OrganizationId, EventTime)],
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        let what = "committing the sync of a Jira issue";
        let Self {
            mut transaction,
            app_ids,
            events: hub,
            request,
            ..
        } = *self;
        let events = hub.stamp(events);
        finish_sync(&mut transaction, &request, advance, &events, app_ids)
            .await
            .map_err(|error| store_error(what, error))?;
        transaction
            .commit()
            .await
            .map_err(|error| store_error(what, error))?;
        if !events.is_empty() {
            hub.appended();
        }
        Ok(())
    }
}
