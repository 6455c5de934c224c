//! Inbox retention: a done delivery keeps its body (and a legacy row its URL token), so the
//! inbox deletes done deliveries some time after their receipt. Pending and dead deliveries are
//! kept: they still need a worker or an operator.

use std::sync::Arc;
use std::time::Duration;

use jirasync_core::Clock;
use jirasync_domain::StoreError;
use jirasync_domain::events::EventTimestamp;
use jirasync_domain::store::OutboxStore;
use tokio::task::JoinHandle;

use crate::service::SyncService;
use crate::shutdown::Shutdown;

/// How long done deliveries are kept unless configured otherwise: 7 days, long enough to look
/// into last week's deliveries with `jirasync inbox list`.
pub const DEFAULT_DONE_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// How often the retention task purges unless configured otherwise: hourly.
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// How long the inbox keeps done deliveries, and how often it purges them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxRetention {
    /// Done deliveries received longer ago than this are deleted.
    pub done: Duration,
    /// How long the retention task waits between two purges.
    pub interval: Duration,
}

impl Default for InboxRetention {
    /// [`DEFAULT_DONE_RETENTION`], purged every [`DEFAULT_PURGE_INTERVAL`].
    fn default() -> Self {
        Self {
            done: DEFAULT_DONE_RETENTION,
            interval: DEFAULT_PURGE_INTERVAL,
        }
    }
}

/// Deletes the done deliveries of `service`'s inbox received more than `retention.done` before
/// the service's clock says now, and logs how many (`inbox-purged`). Returns how many; none
/// without an inbox, or when the retention reaches back before the clock's epoch.
pub async fn purge_done_deliveries(
    service: &SyncService,
    retention: &InboxRetention,
) -> Result<u64, StoreError> {
    let Some(inbox) = service.inbox() else {
        return Ok(0);
    };
    let Some(before) = service.now().checked_sub(retention.done) else {
        return Ok(0);
    };
    let purged = inbox.purge_done(before).await?;
    tracing::info!(
        purged,
        retention_secs = retention.done.as_secs(),
        "inbox-purged"
    );
    Ok(purged)
}

/// Starts the retention task: it purges once at start, then every `retention.interval`, until
/// `shutdown`. A failed purge is logged (`inbox-purge-failed`) and tried again at the next
/// interval. Without an inbox no task is started.
pub fn spawn_retention(
    service: &SyncService,
    retention: InboxRetention,
    shutdown: &Shutdown,
) -> Option<JoinHandle<()>> {
    service.inbox()?;
    let service = service.clone();
    Some(spawn_periodic_purge(
        retention.interval,
        shutdown,
        "inbox-purge-failed",
        move || {
            let service = service.clone();
            async move { purge_done_deliveries(&service, &retention).await }
        },
    ))
}

/// Runs `purge` once now and then every `interval` until `shutdown`; a failure is logged as
/// `failure` (with the error) and tried again at the next interval.
pub(crate) fn spawn_periodic_purge<F, Fut>(
    interval: Duration,
    shutdown: &Shutdown,
    failure: &'static str,
    purge: F,
) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<u64, StoreError>> + Send,
{
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        while !shutdown.is_triggered() {
            if let Err(error) = purge().await {
                tracing::warn!(%error, "{failure}");
            }
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = shutdown.clone().triggered() => {}
            }
        }
    })
}

/// The time before which records kept for `keep` go: `keep` before `clock`'s now, or `None`
/// when that reaches back before the epoch.
pub(crate) fn retention_cutoff(clock: &dyn Clock, keep: Duration) -> Option<EventTimestamp> {
    clock
        .now()
        .checked_sub(keep)
        .map(EventTimestamp::from_system_time)
}

/// How long done outbound work is kept unless configured otherwise: 30 days.
pub const DEFAULT_OUTBOX_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Deletes the done outbound work that ended more than `keep` before `clock`'s now (keeping
/// what a failed change's retry needs, see [`OutboxStore::purge_done_outbound`]) and logs how
/// many (`outbox-purged`). None when `keep` reaches back before the clock's epoch.
pub async fn purge_done_outbound(
    store: &dyn OutboxStore,
    clock: &dyn Clock,
    keep: Duration,
) -> Result<u64, StoreError> {
    let Some(before) = retention_cutoff(clock, keep) else {
        return Ok(0);
    };
    let purged = store.purge_done_outbound(before).await?;
    tracing::info!(purged, retention_secs = keep.as_secs(), "outbox-purged");
    Ok(purged)
}

/// Starts the outbox retention task: [`purge_done_outbound`] once at start, then every
/// `interval`, until `shutdown` (a failure is logged as `outbox-purge-failed`).
pub fn spawn_outbox_retention(
    store: Arc<dyn OutboxStore>,
    clock: Arc<dyn Clock>,
    keep: Duration,
    interval: Duration,
    shutdown: &Shutdown,
) -> JoinHandle<()> {
    spawn_periodic_purge(interval, shutdown, "outbox-purge-failed", move || {
        let (store, clock) = (Arc::clone(&store), Arc::clone(&clock));
        async move { purge_done_outbound(store.as_ref(), clock.as_ref(), keep).await }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_deliveries_are_kept_a_week_and_purged_hourly_by_default() {
        let retention = InboxRetention::default();
        assert_eq!(retention.done, Duration::from_secs(604_800));
        assert_eq!(retention.interval, Duration::from_secs(3_600));
    }
}
