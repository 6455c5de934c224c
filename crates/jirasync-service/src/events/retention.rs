//! Event retention: events every subscriber has settled (delivered or dead-lettered) are
//! deleted some time after they occurred, so the outbox does not grow for ever. Pending ones are
//! kept, whatever their age.

use std::sync::Arc;
use std::time::Duration;

use jirasync_core::Clock;
use jirasync_domain::{EventStore, StoreError};
use tokio::task::JoinHandle;

use crate::shutdown::Shutdown;

/// How often the retention task purges: hourly.
pub const EVENT_PURGE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Deletes the settled events that occurred more than `keep` before `clock`'s now, and logs
/// how many (`events-purged`). Returns how many; none when `keep` reaches back before the
/// clock's epoch.
pub async fn purge_settled_events(
    store: &dyn EventStore,
    clock: &dyn Clock,
    keep: Duration,
) -> Result<u64, StoreError> {
    let Some(before) = crate::retention::retention_cutoff(clock, keep) else {
        return Ok(0);
    };
    let purged = store.purge_settled_events(before).await?;
    tracing::info!(purged, retention_secs = keep.as_secs(), "events-purged");
    Ok(purged)
}

/// Starts the event retention task: it purges once at start, then every `interval`, until
/// `shutdown`. A failed purge is logged (`events-purge-failed`) and tried again at the next
/// interval.
pub fn spawn_event_retention(
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    keep: Duration,
    interval: Duration,
    shutdown: &Shutdown,
) -> JoinHandle<()> {
    crate::retention::spawn_periodic_purge(interval, shutdown, "events-purge-failed", move || {
        let (store, clock) = (Arc::clone(&store), Arc::clone(&clock));
        async move { purge_settled_events(store.as_ref(), clock.as_ref(), keep).await }
    })
}

#[cfg(test)]
mod tests {
    use jirasync_core::ManualClock;
    use jirasync_domain::memory::InMemoryStore;

    use super::*;

    #[tokio::test]
    async fn a_retention_reaching_back_before_the_epoch_purges_nothing() {
        let store = InMemoryStore::new();
        let clock = ManualClock::at_unix_timestamp(10);
        let keep = Duration::from_secs(3600);
        assert_eq!(purge_settled_events(&store, &clock, keep).await.unwrap(), 0);
    }
}
