//! The outbox of outgoing events, its subscribers and their deliveries
//! ([`crate::events`]).
//!
//! Events are never appended through this trait: a store appends them in the transaction of the
//! change they describe ([`IssueSyncSession::commit`](super::IssueSyncSession::commit),
//! [`IntegrationStore::save_install`](super::IntegrationStore::save_install),
//! [`IssueLinkStore::link_issue`](super::IssueLinkStore::link_issue) and
//! [`IssueLinkStore::unlink_issue`](super::IssueLinkStore::unlink_issue)), with one pending
//! delivery per subscriber, and then calls the listeners of its [`EventHub`].

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::StoreError;
use crate::events::{
    DeliveryClaim, DeliveryFilter, DeliveryJob, DeliveryRecord, DeliveryResult, Event, EventCursor,
    EventId, EventIds, EventTimestamp, NewEvent, NewSubscriber, SigningSecret, StoredEvent,
    Subscriber, SubscriberId,
};

/// Reading events, managing subscribers, and the deliveries a dispatcher claims.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// The store's hub: where its event ids come from and who hears of new events.
    fn event_hub(&self) -> &EventHub;

    /// At most `limit` events after `after`, in cursor order.
    async fn events_after(
        &self,
        after: EventCursor,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The event with this id.
    async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError>;

    /// Adds a subscriber: events appended from now on are delivered to it.
    async fn create_subscriber(&self, subscriber: NewSubscriber) -> Result<Subscriber, StoreError>;

    /// Every subscriber, in id order.
    async fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError>;

    /// The subscriber with this id.
    async fn subscriber(&self, id: SubscriberId) -> Result<Option<Subscriber>, StoreError>;

    /// Makes `secret` the subscriber's current secret; the current one becomes the previous one
    /// (both sign until the next rotation), the previous one is dropped.
    /// [`StoreError::NotFound`] when there is no such subscriber.
    async fn rotate_subscriber_secret(
        &self,
        id: SubscriberId,
        secret: SigningSecret,
    ) -> Result<Subscriber, StoreError>;

    /// Removes a subscriber and its deliveries. [`StoreError::NotFound`] when there is none.
    async fn delete_subscriber(&self, id: SubscriberId) -> Result<(), StoreError>;

    /// Claims at most `limit` deliveries due at `now` for `lease`: pending, their time come, not
    /// claimed by a live claim, and each the oldest pending one of its subscriber and ordering
    /// key (so one issue's events reach a subscriber one after the other, in order).
    async fn claim_deliveries(
        &self,
        now: EventTimestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>, StoreError>;

    /// Records how a claimed delivery's attempt ended. [`StoreError::Conflict`] (writing
    /// nothing) when the claim is no longer the delivery's.
    async fn finish_delivery(
        &self,
        claim: &DeliveryClaim,
        result: DeliveryResult,
    ) -> Result<(), StoreError>;

    /// Deliveries for operators, newest event first.
    async fn deliveries(&self, filter: DeliveryFilter) -> Result<Vec<DeliveryRecord>, StoreError>;

    /// Delivers the event again to every current subscriber: each delivery of it becomes pending,
    /// due at `now`, its attempts reset (one is created for a subscriber that had none). Returns
    /// how many. [`StoreError::NotFound`] when there is no such event.
    async fn replay_event(&self, id: &EventId, now: EventTimestamp) -> Result<usize, StoreError>;

    /// Deletes the events that occurred before `before` and that no subscriber still waits for
    /// (none of their deliveries is pending), with their deliveries; returns how many events.
    /// The cursor of the feed never goes back: later events keep theirs.
    async fn purge_settled_events(&self, before: EventTimestamp) -> Result<u64, StoreError>;
}

/// Called after a store committed new events.
pub type EventListener = Arc<dyn Fn() + Send + Sync>;

/// What every store of events shares: the id source and the listeners told of new events.
/// Cloning gives another handle to the same hub.
#[derive(Clone, Default)]
pub struct EventHub {
    ids: Arc<EventIds>,
    listeners: Arc<Mutex<Vec<EventListener>>>,
}

impl fmt::Debug for EventHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventHub")
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

impl EventHub {
    /// A hub drawing ids from `ids`.
    pub fn new(ids: EventIds) -> Self {
        Self {
            ids: Arc::new(ids),
            listeners: Arc::default(),
        }
    }

    /// The id source.
    pub fn ids(&self) -> &EventIds {
        &self.ids
    }

    /// Gives each new event its id and timestamp.
    pub fn stamp(&self, events: Vec<NewEvent>) -> Vec<Event> {
        events
            .into_iter()
            .map(|event| {
                let (id, timestamp) = self.ids.next();
                Event {
                    id,
                    timestamp,
                    organization_id: event.organization_id.get(),
                    payload: event.payload,
                }
            })
            .collect()
    }

    /// Calls `listener` after every commit that appended events, from now on (on the
    /// committing task: it must return at once, e.g. wake a waiting task).
    pub fn listen(&self, listener: EventListener) {
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(listener);
    }

    /// Tells the listeners that events were committed.
    pub fn appended(&self) {
        let listeners = self
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for listener in listeners {
            listener();
        }
    }
}
