//! The syncs of one Jira issue, serialised on PostgreSQL by **row locks**: a session is a
//! transaction on one pooled connection, kept open until it commits or is dropped.
//!
//! **begin** is two round trips: `BEGIN` with `lock_timeout` (the store's `issue_lock_wait`),
//! then one statement (`issue_sync::start`) that records the delivery key, creates the request's
//! missing `jirasync_external_issues` rows and locks them in organization order (two sessions
//! never wait for each other in a cycle), reading their watermarks. A delivery key another
//! session recorded makes the session a duplicate; one an open session is recording makes this
//! one wait for it, as the rows do. A session of the same issue on any instance waits at the
//! lock until this one ends, and then reads what it committed. **commit** moves the watermarks
//! (one statement), appends the sync's events and commits, with the host's changes the session
//! took first when the store holds the standalone host's tables (`stage_host_change`: one
//! transaction, one commit, for the change and its bookkeeping) and the inbox delivery's
//! completion last when it took that (`stage_completion`); a **dropped** session rolls back,
//! its delivery key with it (the pool rolls back a connection returned inside a transaction,
//! see `crate::pool`), and a crashed instance's connection ends with its transaction: its rows
//! are free at once. A wait longer than `lock_timeout` is [`StoreError::Unavailable`] naming
//! the Jira issue.
//!
//! The start runs in a task of its own, so a caller that stops waiting (a hang-up, a timeout)
//! never leaves a half-started transaction: the session built in the task is dropped there.

use std::time::Duration;

use async_trait::async_trait;
use jirasync_domain::StoreError;
use jirasync_domain::events::NewEvent;
use jirasync_domain::host::IssueChange;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::inbox::DeliveryCompletion;
use jirasync_domain::store::{EventHub, IssueSyncRequest, IssueSyncSession, IssueSyncStart};
use jirasync_webhook::EventTime;
use sqlx::{PgPool, Postgres, Transaction};

use super::PostgresStore;
use super::direct::write_change;
use super::issue_sync::{self, finish_sync};
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
    /// The host's changes the commit writes ([`IssueSyncSession::stage_host_change`]).
    staged: Vec<IssueChange>,
    /// The inbox delivery the commit marks done ([`IssueSyncSession::stage_completion`]).
    completion: Option<DeliveryCompletion>,
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
    // 0 would mean "wait for ever". One round trip: `BEGIN` and the setting, as a simple query.
    let wait_ms = wait.as_millis().clamp(1, u128::from(u32::MAX));
    let mut transaction =
        crate::pool::begin(&pool, format!("BEGIN; SET LOCAL lock_timeout = {wait_ms}"))
            .await
            .map_err(failed)?;
    let Some(watermarks) = issue_sync::start(&mut transaction, &request)
        .await
        .map_err(failed)?
    else {
        // Dropping the transaction rolls it back: the rows created are gone too.
        return Ok(IssueSyncStart::Duplicate);
    };
    Ok(IssueSyncStart::Started(Box::new(PostgresSession {
        transaction,
        app_ids,
        events,
        request,
        watermarks,
        staged: Vec::new(),
        completion: None,
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

    /// Takes an assignee or status change when this store holds the standalone host's tables:
    /// the commit writes it in the session's transaction (no commit of its own).
    fn stage_host_change(&mut self, change: &IssueChange) -> bool {
        crate::sql::host::stage_host_change(self.app_ids, &mut self.staged, change)
    }

    /// Takes the completion: the inbox is in this store's database, and the commit marks the
    /// delivery done in the session's transaction (no transaction, no commit of its own).
    fn stage_completion(&mut self, completion: &DeliveryCompletion) -> bool {
        self.completion = Some(completion.clone());
        true
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
            staged,
            completion,
            ..
        } = *self;
        for change in &staged {
            write_change(&mut *transaction, change)
                .await
                .map_err(|error| store_error("changing a local issue", error))?;
        }
        let events = hub.stamp(events);
        finish_sync(&mut transaction, &request, advance, &events, app_ids)
            .await
            .map_err(|error| store_error(what, error))?;
        let completed = match &completion {
            Some(completion) => Some(
                PostgresStore::complete_in(
                    &mut transaction,
                    what,
                    completion.id(),
                    completion.attempt(),
                )
                .await?,
            ),
            None => None,
        };
        transaction
            .commit()
            .await
            .map_err(|error| store_error(what, error))?;
        if let (Some(completion), Some(outcome)) = (completion, completed) {
            completion.record(outcome);
        }
        if !events.is_empty() {
            hub.appended();
        }
        Ok(())
    }
}
