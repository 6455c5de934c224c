//! The syncs of one Jira issue, serialised on SQLite by a **lease**: a row of
//! `jirasync_issue_locks` per (integration, key), naming the session that holds it and when the
//! lease ends.
//!
//! Why a lease and not a transaction held across the sync: while a sync runs, the rule calls the
//! host, and an application that is its own host may write to the same SQLite file. A
//! transaction of ours held meanwhile would keep its writes waiting (or failing as busy). So
//! every step here is one short `BEGIN IMMEDIATE` transaction, and nothing is held in between:
//!
//! 1. **begin** takes the lease when it is free or has ended (a crashed holder's lease is taken
//!    over once `issue_lock_lease` has passed), checks the delivery log and reads the watermarks,
//!    in one transaction. When another session holds the lease, it waits and tries again: woken
//!    at once when a session of this store releases one, otherwise polling with a pause growing
//!    from 1 ms to 50 ms (another process's release), for at most `issue_lock_wait`; then
//!    [`StoreError::Unavailable`] naming the Jira issue. Two processes sharing the file are
//!    serialised like two tasks of one process.
//! 2. **commit** checks that the lease is still the session's, records the delivery key, moves
//!    the watermarks and deletes the lease, in one transaction. A lease that ended and was taken
//!    over meanwhile makes the commit fail (the host's writes stay; the redelivery finds them
//!    done and commits).
//! 3. A session **dropped** without commit deletes its lease in a task of its own; if that fails,
//!    the lease simply ends.
//!
//! Taking the lease runs in a task of its own too, so a caller that stops waiting (a hang-up, a
//! timeout) cannot leak a lease it just took: the session built in the task is dropped there,
//! which releases it.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use jirasync_core::RetryPolicy;
use jirasync_domain::StoreError;
use jirasync_domain::events::NewEvent;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::store::{EventHub, IssueSyncRequest, IssueSyncSession, IssueSyncStart};
use jirasync_webhook::EventTime;
use sqlx::SqlitePool;
use tokio::sync::Notify;

use super::SqliteStore;
use super::issue_sync::{delivery_recorded, finish_sync, request_watermarks};
use crate::sql::values::{sql_id, unix_millis};
use crate::sql_error::store_error;

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
    pool: SqlitePool,
    /// Whether events get application ids (the store holds the standalone host's tables).
    app_ids: bool,
    events: EventHub,
    leases: IssueLeases,
    lease: Lease,
    request: IssueSyncRequest,
    watermarks: Vec<(OrganizationId, Option<EventTime>)>,
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
            store.pool.clone(),
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

/// One try, in one `BEGIN IMMEDIATE` transaction: take the lease if it is free or ended, then
/// answer a duplicate (writing nothing) or start the session with the watermarks.
async fn try_take(
    pool: SqlitePool,
    app_ids: bool,
    events: EventHub,
    leases: IssueLeases,
    request: IssueSyncRequest,
) -> Result<Attempt, StoreError> {
    let what = "taking the lease of a Jira issue";
    let now = unix_millis(SystemTime::now())?;
    let lease_ms = i64::try_from(leases.lease.as_millis()).unwrap_or(i64::MAX);
    let integration_id = sql_id(request.integration_id.get());
    let mut transaction = crate::sql::begin_write::<SqliteStore>(&pool, what).await?;
    // The holder is a random token the database draws: unique across processes.
    let holder: Option<String> = sqlx::query_scalar(
        "INSERT INTO jirasync_issue_locks (integration_id, key, holder, expires_at) \
         VALUES ($1, $2, lower(hex(randomblob(16))), $3) \
         ON CONFLICT (integration_id, key) DO UPDATE \
         SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE jirasync_issue_locks.expires_at <= $4 \
         RETURNING holder",
    )
    .bind(integration_id)
    .bind(request.issue_key.as_str())
    .bind(now.saturating_add(lease_ms))
    .bind(now)
    .fetch_optional(&mut *transaction)
    .await
    .map_err(|error| store_error(what, error))?;
    let Some(holder) = holder else {
        return Ok(Attempt::Held);
    };
    if delivery_recorded(&mut transaction, &request)
        .await
        .map_err(|error| store_error(what, error))?
    {
        // Dropping the transaction rolls the lease back: nothing to release.
        return Ok(Attempt::Done(IssueSyncStart::Duplicate));
    }
    let watermarks = request_watermarks(&mut transaction, &request)
        .await
        .map_err(|error| store_error(what, error))?;
    let session = SqliteSession {
        pool,
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
        released: false,
    };
    // From here on, dropping the session releases the lease.
    transaction
        .commit()
        .await
        .map_err(|error| store_error(what, error))?;
    Ok(Attempt::Done(IssueSyncStart::Started(Box::new(session))))
}

/// Deletes the lease if `lease.holder` still holds it.
async fn release(pool: &SqlitePool, lease: &Lease) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM jirasync_issue_locks \
         WHERE integration_id = $1 AND key = $2 AND holder = $3",
    )
    .bind(lease.integration_id)
    .bind(&lease.key)
    .bind(&lease.holder)
    .execute(pool)
    .await?;
    Ok(())
}

#[async_trait]
impl IssueSyncSession for SqliteSession {
    fn watermarks(&self) -> &[(OrganizationId, Option<EventTime>)] {
        &self.watermarks
    }

    async fn commit(
        mut self: Box<Self>,
        advance: &[(OrganizationId, EventTime)],
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        let what = "committing the sync of a Jira issue";
        let events = self.events.stamp(events);
        let mut transaction = crate::sql::begin_write::<SqliteStore>(&self.pool, what).await?;
        let lease = &self.lease;
        let still_ours = sqlx::query(
            "DELETE FROM jirasync_issue_locks \
             WHERE integration_id = $1 AND key = $2 AND holder = $3",
        )
        .bind(lease.integration_id)
        .bind(&lease.key)
        .bind(&lease.holder)
        .execute(&mut *transaction)
        .await
        .map_err(|error| store_error(what, error))?;
        if still_ours.rows_affected() == 0 {
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
        finish_sync(
            &mut transaction,
            &self.request,
            advance,
            &events,
            self.app_ids,
        )
        .await
        .map_err(|error| store_error(what, error))?;
        transaction
            .commit()
            .await
            .map_err(|error| store_error(what, error))?;
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
        let pool = self.pool.clone();
        let lease = self.lease.clone();
        let released = Arc::clone(&self.leases.released);
        runtime.spawn(async move {
            match release(&pool, &lease).await {
                Ok(()) => released.notify_waiters(),
                Err(error) => tracing::debug!(
                    %error,
                    issue_key = %lease.key,
                    "could not release the lease of a Jira issue: it ends by itself"
                ),
            }
        });
    }
}
