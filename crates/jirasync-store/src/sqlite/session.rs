//! The syncs of one Jira issue, serialised on SQLite by a **lease**: a row of
//! `jirasync_issue_locks` per (integration, key), naming the session that holds it and when the
//! lease ends.
//!
//! Why a lease and not a transaction held across the sync: while a sync runs, the rule calls the
//! host, and an application that is its own host may write to the same SQLite file. A
//! transaction of ours held meanwhile would keep its writes waiting (or failing as busy). So
//! every step here is one short write through the store's writer (`writer.rs`: committed with
//! the other writes queued beside it), and nothing is held in between:
//!
//! 1. **begin** takes the lease when it is free or has ended (a crashed holder's lease is taken
//!    over once `issue_lock_lease` has passed), checks the delivery log and reads the watermarks,
//!    in one transaction. When another session holds the lease, it waits and tries again: woken
//!    at once when a session of this store releases one, otherwise polling with a pause growing
//!    from 1 ms to 50 ms (another process's release), for at most `issue_lock_wait`; then
//!    [`StoreError::Unavailable`] naming the Jira issue. Two processes sharing the file are
//!    serialised like two tasks of one process.
//! 2. **commit** checks that the lease is still the session's, records the delivery key, moves
//!    the watermarks and deletes the lease, in one transaction, with the inbox delivery's
//!    completion when the session took it (`stage_completion`). A lease that ended and was taken
//!    over meanwhile makes the commit fail (the host's writes stay; the redelivery finds them
//!    done and commits).
//! 3. A session **dropped** without commit deletes its lease in a task of its own; if that fails,
//!    the lease simply ends.
//!
//! Taking the lease runs in a task of its own too, so a caller that stops waiting (a hang-up, a
//! timeout) cannot leak a lease it just took: the session built in the task is dropped there,
//! which releases it.
//!
//! The statements are the shared ones of `sql/issue_sync.rs` and `sql/events.rs`, run on the
//! writer's connection.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use jirasync_core::RetryPolicy;
use jirasync_domain::StoreError;
use jirasync_domain::events::{Event, NewEvent};
use jirasync_domain::host::IssueChange;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::inbox::DeliveryCompletion;
use jirasync_domain::store::{EventHub, IssueSyncRequest, IssueSyncSession, IssueSyncStart};
use jirasync_webhook::EventTime;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use tokio::sync::Notify;

use super::SqliteStore;
use super::direct::{issue_binds, write_change};
use super::inbox::complete_in;
use super::writer::Writer;
use crate::sql::events::{INSERT_EVENT, INSERT_EVENT_DELIVERIES, app_id_query, sql_u64};
use crate::sql::issue_sync::{
    DELIVERY_LOGGED, RECORD_DELIVERY, advance_watermark, select_watermarks, watermark_column,
    watermarks_in_request_order,
};
use crate::sql::values::{sql_id, unix_millis};
use crate::sql_error::direct_error;

/// The pause between two tries to take a lease another process holds: 1 ms, doubling up to 50 ms,
/// with jitter so that processes waiting for the same issue do not try in step. The tries end at
/// the lease wait's deadline, not after a count.
const LEASE_POLL: RetryPolicy = RetryPolicy::new(
    u32::MAX,
    Duration::from_millis(1),
    Duration::from_millis(50),
);

/// The leases of one store (shared by its clones): how long to wait for one and how long one
/// lasts, and the signal that a session of this store released one.
#[derive(Debug, Clone)]
pub(super) struct IssueLeases {
    released: Arc<Notify>,
    wait: Duration,
    lease: Duration,
}

impl IssueLeases {
    /// Leases that last `lease`, waited for at most `wait`.
    pub(super) fn new(wait: Duration, lease: Duration) -> Self {
        Self {
            released: Arc::new(Notify::new()),
            wait,
            lease,
        }
    }
}

/// The lease row a session holds.
#[derive(Debug, Clone)]
struct Lease {
    integration_id: i64,
    key: String,
    holder: String,
}

/// A sync of one Jira issue holding its lease.
struct SqliteSession {
    writer: Writer,
    /// Whether events get application ids (the store holds the standalone host's tables).
    app_ids: bool,
    events: EventHub,
    leases: IssueLeases,
    lease: Lease,
    request: IssueSyncRequest,
    watermarks: Vec<(OrganizationId, Option<EventTime>)>,
    /// The host's changes the commit writes ([`IssueSyncSession::stage_host_change`]).
    staged: Vec<IssueChange>,
    /// The inbox delivery the commit marks done ([`IssueSyncSession::stage_completion`]).
    completion: Option<DeliveryCompletion>,
    /// Whether the commit deleted the lease (nothing left to release).
    released: bool,
}

/// What one try to take the lease found.
enum Attempt {
    /// The lease was taken (or the delivery was a duplicate).
    Done(IssueSyncStart),
    /// Another session holds the lease.
    Held,
}

/// Starts a sync of the request's Jira issue once its lease is free (see the module docs).
pub(super) async fn begin(
    store: &SqliteStore,
    request: IssueSyncRequest,
) -> Result<IssueSyncStart, StoreError> {
    let leases = store.leases.clone();
    let deadline = Instant::now() + leases.wait;
    let mut tries: u32 = 1;
    loop {
        // Listen before trying, so a release between the try and the wait is not missed.
        let released = leases.released.notified();
        tokio::pin!(released);
        released.as_mut().enable();
        let attempt = tokio::spawn(try_take(
            store.writer.clone(),
            store.host_pool().is_ok(),
            store.events.clone(),
            leases.clone(),
            request.clone(),
        ))
        .await
        .map_err(|error| {
            StoreError::other(format!("the task taking an issue lease failed: {error}"))
        })??;
        if let Attempt::Done(start) = attempt {
            return Ok(start);
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return Err(StoreError::unavailable(format!(
                "the Jira issue {} of integration {} is being synced by another session and \
                 was not free within {:?}; retry later",
                request.issue_key, request.integration_id, leases.wait
            )));
        };
        let pause = LEASE_POLL
            .delay_after(tries)
            .unwrap_or(LEASE_POLL.max_delay);
        tokio::select! {
            () = &mut released => {}
            () = tokio::time::sleep(pause.min(left)) => {}
        }
        tries = tries.saturating_add(1);
    }
}

/// The lease insert: taken when free or ended (`$4` is now), by a random holder token the
/// database draws (unique across processes); returns the holder, or nothing when held.
const TAKE_LEASE: &str = "INSERT INTO jirasync_issue_locks (integration_id, key, holder, expires_at) \
    VALUES ($1, $2, lower(hex(randomblob(16))), $3) \
    ON CONFLICT (integration_id, key) DO UPDATE \
    SET holder = excluded.holder, expires_at = excluded.expires_at \
    WHERE jirasync_issue_locks.expires_at <= $4 \
    RETURNING holder";

/// Deletes lease (integration `$1`, key `$2`) if holder `$3` still holds it.
const RELEASE_LEASE: &str =
    "DELETE FROM jirasync_issue_locks WHERE integration_id = $1 AND key = $2 AND holder = $3";

/// What one try found, as the writer saw it.
enum Taken {
    Duplicate,
    Held,
    Started {
        holder: String,
        watermarks: Vec<(OrganizationId, Option<EventTime>)>,
    },
}

/// One try, in one write of the store's writer: answer a duplicate (writing nothing), or take
/// the lease if it is free or ended and start the session with the watermarks.
async fn try_take(
    writer: Writer,
    app_ids: bool,
    events: EventHub,
    leases: IssueLeases,
    request: IssueSyncRequest,
) -> Result<Attempt, StoreError> {
    const WHAT: &str = "taking the lease of a Jira issue";
    let now = unix_millis(SystemTime::now())?;
    let lease_ms = i64::try_from(leases.lease.as_millis()).unwrap_or(i64::MAX);
    let integration_id = sql_id(request.integration_id.get());
    let asked = request.clone();
    let taken = writer
        .write(WHAT, move |connection| {
            take(connection, &asked, now, lease_ms).map_err(|error| direct_error(WHAT, error))
        })
        .await?;
    let (holder, watermarks) = match taken {
        Taken::Duplicate => return Ok(Attempt::Done(IssueSyncStart::Duplicate)),
        Taken::Held => return Ok(Attempt::Held),
        Taken::Started { holder, watermarks } => (holder, watermarks),
    };
    // From here on, dropping the session releases the lease.
    let session = SqliteSession {
        writer,
        app_ids,
        events,
        leases,
        lease: Lease {
            integration_id,
            key: request.issue_key.as_str().to_owned(),
            holder,
        },
        request,
        watermarks,
        staged: Vec::new(),
        completion: None,
        released: false,
    };
    Ok(Attempt::Done(IssueSyncStart::Started(Box::new(session))))
}

/// The statements of one try (see [`try_take`]).
fn take(
    connection: &Connection,
    request: &IssueSyncRequest,
    now: i64,
    lease_ms: i64,
) -> rusqlite::Result<Taken> {
    let integration_id = sql_id(request.integration_id.get());
    if let Some(delivery_key) = &request.delivery_key {
        let logged: bool = connection.prepare_cached(DELIVERY_LOGGED)?.query_row(
            params![integration_id, request.kind.as_str(), delivery_key.as_str()],
            |row| row.get(0),
        )?;
        if logged {
            return Ok(Taken::Duplicate);
        }
    }
    let holder: Option<String> = connection
        .prepare_cached(TAKE_LEASE)?
        .query_row(
            params![
                integration_id,
                request.issue_key.as_str(),
                now.saturating_add(lease_ms),
                now
            ],
            |row| row.get(0),
        )
        .optional()?;
    let Some(holder) = holder else {
        return Ok(Taken::Held);
    };
    let stored: Vec<(i64, Option<i64>)> = if request.organizations.is_empty() {
        Vec::new()
    } else {
        let sql = select_watermarks(request.kind, request.organizations.len());
        let binds = issue_binds(
            request.integration_id,
            &request.issue_key,
            &request.organizations,
        );
        let mut select = connection.prepare_cached(&sql)?;
        select
            .query_map(binds, |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    Ok(Taken::Started {
        holder,
        watermarks: watermarks_in_request_order(request, &stored),
    })
}

/// What a commit's write does when the lease is no longer the session's.
enum Committed {
    Done,
    LeaseLost,
}

/// What a commit writes besides the lease's release.
struct Finish {
    request: IssueSyncRequest,
    advance: Vec<(OrganizationId, EventTime)>,
    staged: Vec<IssueChange>,
    app_ids: bool,
}

/// The commit's statements: the lease deleted if still the session's (nothing else is written
/// when it is not), then the host's staged changes, the delivery key recorded, each watermark
/// of `advance` moved forward (never back, its row created when missing), and the sync's
/// events appended.
fn finish(
    connection: &Connection,
    lease: &Lease,
    written: &Finish,
    events: &[Event],
) -> rusqlite::Result<Committed> {
    let Finish {
        request,
        advance,
        staged,
        app_ids,
    } = written;
    let deleted = connection.prepare_cached(RELEASE_LEASE)?.execute(params![
        lease.integration_id,
        lease.key,
        lease.holder
    ])?;
    if deleted == 0 {
        return Ok(Committed::LeaseLost);
    }
    for change in staged {
        write_change(connection, change)?;
    }
    let integration_id = sql_id(request.integration_id.get());
    if let Some(delivery_key) = &request.delivery_key {
        connection
            .prepare_cached(RECORD_DELIVERY)?
            .execute(params![
                integration_id,
                request.kind.as_str(),
                delivery_key.as_str()
            ])?;
    }
    if let Some(column) = watermark_column(request.kind) {
        let mut moved = connection.prepare_cached(&advance_watermark(column))?;
        for (organization, time) in advance {
            moved.execute(params![
                sql_id(organization.get()),
                integration_id,
                request.issue_key.as_str(),
                time.unix_millis()
            ])?;
        }
    }
    append_events(connection, events, *app_ids)?;
    Ok(Committed::Done)
}

/// Appends stamped events, each with a pending delivery per subscriber, as `sql/events.rs`
/// does; with `app_ids`, each event gets the application ids of what it names.
fn append_events(connection: &Connection, events: &[Event], app_ids: bool) -> rusqlite::Result<()> {
    for event in events {
        let mut event = event.clone();
        if app_ids {
            let (sql, binds, targets) = app_id_query(&mut event);
            let mut select = connection.prepare_cached(&sql)?;
            select.query_row(params_from_iter(binds), |row| {
                for (index, slot) in targets.into_iter().enumerate() {
                    *slot = row.get(index)?;
                }
                Ok(())
            })?;
        }
        let ordering_key = event.payload.ordering_key().as_text();
        let at = sql_u64(event.timestamp.unix_millis());
        let sequence: i64 = connection.prepare_cached(INSERT_EVENT)?.query_row(
            params![
                event.id.as_str(),
                event.event_type().as_str(),
                sql_id(event.organization_id),
                ordering_key,
                at,
                event.payload.data_json().to_string()
            ],
            |row| row.get(0),
        )?;
        connection
            .prepare_cached(INSERT_EVENT_DELIVERIES)?
            .execute(params![sequence, ordering_key, at])?;
    }
    Ok(())
}

/// Deletes the lease if `lease.holder` still holds it.
async fn release(writer: &Writer, lease: Lease) -> Result<(), StoreError> {
    const WHAT: &str = "releasing the lease of a Jira issue";
    writer
        .write(WHAT, move |connection| {
            connection
                .prepare_cached(RELEASE_LEASE)
                .and_then(|mut delete| {
                    delete.execute(params![lease.integration_id, lease.key, lease.holder])
                })
                .map(drop)
                .map_err(|error| direct_error(WHAT, error))
        })
        .await
}

#[async_trait]
impl IssueSyncSession for SqliteSession {
    fn watermarks(&self) -> &[(OrganizationId, Option<EventTime>)] {
        &self.watermarks
    }

    /// Takes an assignee or status change when this store holds the standalone host's tables
    /// (the change is written by the same statements as the host's, in the commit).
    fn stage_host_change(&mut self, change: &IssueChange) -> bool {
        crate::sql::host::stage_host_change(self.app_ids, &mut self.staged, change)
    }

    /// Takes the completion: the inbox is in this store's file, and the commit's writer job
    /// marks the delivery done after the sync's writes.
    fn stage_completion(&mut self, completion: &DeliveryCompletion) -> bool {
        self.completion = Some(completion.clone());
        true
    }

    async fn commit(
        mut self: Box<Self>,
        advance: &[(OrganizationId, EventTime)],
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        const WHAT: &str = "committing the sync of a Jira issue";
        let events = self.events.stamp(events);
        let lease = self.lease.clone();
        let written = Finish {
            request: self.request.clone(),
            advance: advance.to_vec(),
            staged: std::mem::take(&mut self.staged),
            app_ids: self.app_ids,
        };
        let completion = self.completion.take();
        let completing = completion
            .as_ref()
            .map(|completion| (completion.id(), completion.attempt()));
        // The events go to the writer and come back: the hub is told about them after the
        // commit.
        let (committed, events, completed) = self
            .writer
            .write(WHAT, move |connection| {
                let committed = finish(connection, &lease, &written, &events)
                    .map_err(|error| direct_error(WHAT, error))?;
                let completed = match (&committed, completing) {
                    (Committed::Done, Some((id, attempt))) => {
                        Some(complete_in(connection, WHAT, id, attempt)?)
                    }
                    _ => None,
                };
                Ok((committed, events, completed))
            })
            .await?;
        if let (Some(completion), Some(outcome)) = (completion, completed) {
            completion.record(outcome);
        }
        if let Committed::LeaseLost = committed {
            let lease = &self.lease;
            tracing::warn!(
                integration_id = lease.integration_id,
                issue_key = %lease.key,
                "the lease of a Jira issue expired before its sync committed; the redelivery \
                 completes it (raise SqliteOptions::issue_lock_lease if the host is this slow)"
            );
            return Err(StoreError::unavailable(format!(
                "the lease on {} expired before the sync committed",
                lease.key
            )));
        }
        self.released = true;
        self.leases.released.notify_waiters();
        if !events.is_empty() {
            self.events.appended();
        }
        Ok(())
    }
}

impl Drop for SqliteSession {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        // Without a runtime (a process shutting down) the lease simply ends.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let writer = self.writer.clone();
        let lease = self.lease.clone();
        let key = lease.key.clone();
        let released = Arc::clone(&self.leases.released);
        runtime.spawn(async move {
            match release(&writer, lease).await {
                Ok(()) => released.notify_waiters(),
                Err(error) => tracing::debug!(
                    %error,
                    issue_key = %key,
                    "could not release the lease of a Jira issue: it ends by itself"
                ),
            }
        });
    }
}
