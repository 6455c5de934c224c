//! The in-memory store's outbox: events, subscribers and deliveries in its one state, appended
//! under the same lock as the change they describe.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::{InMemoryStore, State};
use crate::events::{
    DeliveryClaim, DeliveryFilter, DeliveryJob, DeliveryRecord, DeliveryResult, DeliveryStatus,
    Event, EventCursor, EventId, EventTimestamp, NewSubscriber, SigningSecret, StoredEvent,
    Subscriber, SubscriberId,
};
use crate::ids::OrganizationId;
use crate::store::missing::{lost_claim, missing_subscriber};
use crate::store::{EventHub, EventStore, StoreError};

/// The outbox part of the state.
#[derive(Debug, Default, Clone)]
pub(super) struct Outbox {
    events: Vec<StoredEvent>,
    subscribers: BTreeMap<SubscriberId, Subscriber>,
    deliveries: BTreeMap<(SubscriberId, EventCursor), Delivery>,
    next_subscriber: u64,
    next_claim: u64,
}

#[derive(Debug, Clone)]
struct Delivery {
    ordering_key: String,
    status: DeliveryStatus,
    attempts: u32,
    pending_since: EventTimestamp,
    /// When it is due (pending) or when it ended.
    at: EventTimestamp,
    claim: Option<(String, EventTimestamp)>,
    last_error: Option<String>,
}

impl Delivery {
    fn pending(ordering_key: String, at: EventTimestamp) -> Self {
        Self {
            ordering_key,
            status: DeliveryStatus::Pending,
            attempts: 0,
            pending_since: at,
            at,
            claim: None,
            last_error: None,
        }
    }
}

impl State {
    /// Appends stamped events, each with a pending delivery per subscriber.
    pub(super) fn append_events(&mut self, events: Vec<Event>) {
        let app_ids = &self.app_ids;
        let outbox = &mut self.outbox;
        for mut event in events {
            // The application ids of what the event names, as the SQL stores fill them in.
            let organization = OrganizationId::new(event.organization_id);
            let slots = event.payload.app_id_slots();
            *slots.organization = app_ids
                .organizations
                .key_of(organization)
                .map(ToString::to_string);
            if let Some((issue, slot)) = slots.issue {
                *slot = app_ids
                    .issues
                    .key_of(issue)
                    .map(|(_, app_id)| app_id.to_string());
            }
            for (user, slot) in slots.users {
                *slot = app_ids.users.key_of(user).map(ToString::to_string);
            }
            for (team, slot) in slots.teams {
                *slot = app_ids
                    .teams
                    .key_of(team)
                    .map(|(_, app_id)| app_id.to_string());
            }
            let cursor =
                EventCursor::new(outbox.events.last().map_or(1, |last| last.cursor.get() + 1));
            let key = event.payload.ordering_key().as_text();
            for subscriber in outbox.subscribers.keys() {
                outbox.deliveries.insert(
                    (*subscriber, cursor),
                    Delivery::pending(key.clone(), event.timestamp),
                );
            }
            outbox.events.push(StoredEvent { cursor, event });
        }
    }
}

impl Outbox {
    fn event_at(&self, cursor: EventCursor) -> Option<&StoredEvent> {
        let index = self
            .events
            .binary_search_by_key(&cursor, |event| event.cursor)
            .ok()?;
        self.events.get(index)
    }

    fn by_id(&self, id: &EventId) -> Option<&StoredEvent> {
        self.events.iter().find(|event| &event.event.id == id)
    }
}

impl InMemoryStore {
    /// Stamps `events` and appends them under the lock already held, then (after the caller
    /// releases it) the hub's listeners are told by [`InMemoryStore::appended`].
    pub(super) fn stamp(&self, events: Vec<crate::events::NewEvent>) -> Vec<Event> {
        self.events.stamp(events)
    }

    /// Tells the listeners when `any` events were appended.
    pub(super) fn appended(&self, any: bool) {
        if any {
            self.events.appended();
        }
    }
}

#[async_trait]
impl EventStore for InMemoryStore {
    fn event_hub(&self) -> &EventHub {
        &self.events
    }

    async fn events_after(
        &self,
        after: EventCursor,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let state = self.lock();
        Ok(state
            .outbox
            .events
            .iter()
            .filter(|event| event.cursor > after)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        Ok(self.lock().outbox.by_id(id).cloned())
    }

    async fn create_subscriber(&self, subscriber: NewSubscriber) -> Result<Subscriber, StoreError> {
        let mut state = self.lock();
        state.outbox.next_subscriber += 1;
        let stored = Subscriber {
            id: SubscriberId::new(state.outbox.next_subscriber),
            url: subscriber.url,
            description: subscriber.description,
            secret: subscriber.secret,
            previous_secret: None,
            created_at: subscriber.created_at,
        };
        state.outbox.subscribers.insert(stored.id, stored.clone());
        Ok(stored)
    }

    async fn subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        Ok(self.lock().outbox.subscribers.values().cloned().collect())
    }

    async fn subscriber(&self, id: SubscriberId) -> Result<Option<Subscriber>, StoreError> {
        Ok(self.lock().outbox.subscribers.get(&id).cloned())
    }

    async fn rotate_subscriber_secret(
        &self,
        id: SubscriberId,
        secret: SigningSecret,
    ) -> Result<Subscriber, StoreError> {
        let mut state = self.lock();
        let subscriber = state
            .outbox
            .subscribers
            .get_mut(&id)
            .ok_or_else(|| missing_subscriber(id))?;
        let previous = std::mem::replace(&mut subscriber.secret, secret);
        subscriber.previous_secret = Some(previous);
        Ok(subscriber.clone())
    }

    async fn delete_subscriber(&self, id: SubscriberId) -> Result<(), StoreError> {
        let mut state = self.lock();
        state
            .outbox
            .subscribers
            .remove(&id)
            .ok_or_else(|| missing_subscriber(id))?;
        state
            .outbox
            .deliveries
            .retain(|(subscriber, _), _| *subscriber != id);
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        now: EventTimestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>, StoreError> {
        let mut state = self.lock();
        let outbox = &mut state.outbox;
        let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX);
        let until = EventTimestamp::from_unix_millis(now.unix_millis().saturating_add(lease_ms));
        // The oldest pending delivery of each (subscriber, ordering key), in cursor order.
        let mut heads: BTreeMap<(SubscriberId, &str), EventCursor> = BTreeMap::new();
        for ((subscriber, cursor), delivery) in &outbox.deliveries {
            if delivery.status == DeliveryStatus::Pending {
                heads
                    .entry((*subscriber, delivery.ordering_key.as_str()))
                    .or_insert(*cursor);
            }
        }
        let mut due: Vec<(SubscriberId, EventCursor)> = heads
            .into_iter()
            .map(|((subscriber, _), cursor)| (subscriber, cursor))
            .filter(|key| {
                outbox.deliveries.get(key).is_some_and(|delivery| {
                    delivery.at <= now
                        && delivery
                            .claim
                            .as_ref()
                            .is_none_or(|(_, until)| *until <= now)
                })
            })
            .collect();
        due.sort_by_key(|(subscriber, cursor)| (*cursor, *subscriber));
        due.truncate(limit);
        let mut jobs = Vec::with_capacity(due.len());
        for key in due {
            outbox.next_claim += 1;
            let token = format!("claim-{}", outbox.next_claim);
            let (Some(subscriber), Some(event)) = (
                outbox.subscribers.get(&key.0).cloned(),
                outbox.event_at(key.1).cloned(),
            ) else {
                continue;
            };
            let Some(delivery) = outbox.deliveries.get_mut(&key) else {
                continue;
            };
            delivery.claim = Some((token.clone(), until));
            jobs.push(DeliveryJob {
                claim: DeliveryClaim {
                    subscriber_id: key.0,
                    cursor: key.1,
                    token,
                },
                subscriber,
                event,
                attempts: delivery.attempts,
                pending_since: delivery.pending_since,
            });
        }
        Ok(jobs)
    }

    async fn finish_delivery(
        &self,
        claim: &DeliveryClaim,
        result: DeliveryResult,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let delivery = state
            .outbox
            .deliveries
            .get_mut(&(claim.subscriber_id, claim.cursor))
            .filter(|delivery| {
                delivery.status == DeliveryStatus::Pending
                    && delivery
                        .claim
                        .as_ref()
                        .is_some_and(|(token, _)| *token == claim.token)
            })
            .ok_or_else(|| lost_claim(claim))?;
        delivery.claim = None;
        match result {
            DeliveryResult::Delivered { at } => {
                delivery.status = DeliveryStatus::Delivered;
                delivery.at = at;
            }
            DeliveryResult::Retry {
                next_attempt_at,
                error,
            } => {
                delivery.attempts = delivery.attempts.saturating_add(1);
                delivery.at = next_attempt_at;
                delivery.last_error = Some(error);
            }
            DeliveryResult::Dead { at, error } => {
                delivery.attempts = delivery.attempts.saturating_add(1);
                delivery.status = DeliveryStatus::Dead;
                delivery.at = at;
                delivery.last_error = Some(error);
            }
        }
        Ok(())
    }

    async fn deliveries(&self, filter: DeliveryFilter) -> Result<Vec<DeliveryRecord>, StoreError> {
        let state = self.lock();
        let outbox = &state.outbox;
        let mut records: Vec<DeliveryRecord> = outbox
            .deliveries
            .iter()
            .rev()
            .filter(|(_, delivery)| filter.status.is_none_or(|status| delivery.status == status))
            .filter_map(|((subscriber, cursor), delivery)| {
                Some(DeliveryRecord {
                    event: outbox.event_at(*cursor)?.clone(),
                    subscriber_id: *subscriber,
                    url: outbox.subscribers.get(subscriber)?.url.to_string(),
                    status: delivery.status,
                    attempts: delivery.attempts,
                    last_error: delivery.last_error.clone(),
                    at: delivery.at,
                })
            })
            .collect();
        records.sort_by(|a, b| {
            b.event
                .cursor
                .cmp(&a.event.cursor)
                .then(a.subscriber_id.cmp(&b.subscriber_id))
        });
        if filter.limit > 0 {
            records.truncate(filter.limit);
        }
        Ok(records)
    }

    async fn replay_event(&self, id: &EventId, now: EventTimestamp) -> Result<usize, StoreError> {
        let replayed = {
            let mut state = self.lock();
            let outbox = &mut state.outbox;
            let event = outbox
                .by_id(id)
                .cloned()
                .ok_or_else(|| StoreError::not_found(format!("event {id}")))?;
            let key = event.event.payload.ordering_key().as_text();
            let subscribers: Vec<SubscriberId> = outbox.subscribers.keys().copied().collect();
            for subscriber in &subscribers {
                outbox.deliveries.insert(
                    (*subscriber, event.cursor),
                    Delivery::pending(key.clone(), now),
                );
            }
            subscribers.len()
        };
        self.appended(replayed > 0);
        Ok(replayed)
    }

    async fn purge_settled_events(&self, before: EventTimestamp) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let outbox = &mut state.outbox;
        let pending: std::collections::BTreeSet<EventCursor> = outbox
            .deliveries
            .iter()
            .filter(|(_, delivery)| delivery.status == DeliveryStatus::Pending)
            .map(|((_, cursor), _)| *cursor)
            .collect();
        let purged: std::collections::BTreeSet<EventCursor> = outbox
            .events
            .iter()
            .filter(|stored| stored.event.timestamp < before && !pending.contains(&stored.cursor))
            .map(|stored| stored.cursor)
            .collect();
        outbox
            .events
            .retain(|stored| !purged.contains(&stored.cursor));
        outbox
            .deliveries
            .retain(|(_, cursor), _| !purged.contains(cursor));
        Ok(u64::try_from(purged.len()).unwrap_or(u64::MAX))
    }
}
