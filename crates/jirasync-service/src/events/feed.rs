//! The pull side: reading events after a cursor, waiting up to a limit for new ones (long
//! poll). A waiter is woken by a commit in this process at once, and otherwise looks at the
//! store again every [`EventFeed::poll`], so events committed by another instance sharing the
//! database arrive too.

use std::sync::Arc;
use std::time::Duration;

use jirasync_domain::events::{EventCursor, StoredEvent};
use jirasync_domain::{EventStore, StoreError};
use tokio::sync::Notify;

use super::dispatcher::event_signal;

/// Reads the events of a store, waiting for new ones. Cheap to clone.
#[derive(Clone)]
pub struct EventFeed {
    store: Arc<dyn EventStore>,
    appended: Arc<Notify>,
    poll: Duration,
}

impl std::fmt::Debug for EventFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventFeed")
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

impl EventFeed {
    /// How often a waiter looks at the store when nothing in this process woke it.
    pub const DEFAULT_POLL: Duration = Duration::from_secs(1);

    /// A feed of `store`'s events.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        let appended = event_signal(store.as_ref());
        Self {
            store,
            appended,
            poll: Self::DEFAULT_POLL,
        }
    }

    /// This feed polling every `poll` (at least 10 ms).
    #[must_use]
    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_millis(10));
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// At most `limit` events after `after`; when there are none, waits up to `wait` for the
    /// first ones and returns them (empty when the wait ends first).
    ///
    /// # Errors
    ///
    /// The store's.
    pub async fn wait_for_events(
        &self,
        after: EventCursor,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Listen before reading, so an event committed in between is not missed.
            let appended = self.appended.notified();
            tokio::pin!(appended);
            appended.as_mut().enable();
            let events = self.store.events_after(after, limit).await?;
            let now = tokio::time::Instant::now();
            if !events.is_empty() || now >= deadline {
                return Ok(events);
            }
            let pause = self.poll.min(deadline - now);
            tokio::select! {
                () = &mut appended => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
