//! The delivery of events to subscribers: one delivery per (subscriber, event), claimed by a
//! dispatcher, then delivered, retried later or dead-lettered.

use std::fmt;

use super::{EventTimestamp, StoredEvent, Subscriber, SubscriberId};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not delivered yet: waiting for its time, or for the event before it of the same ordering
    /// key, or being tried.
    Pending,
    /// The subscriber answered 2xx.
    Delivered,
    /// Retried until the time allowed ran out; `jirasync events replay` tries it again.
    Dead,
}

impl DeliveryStatus {
    /// The stored name (`pending`, `delivered`, `dead`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// The status with this stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead]
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The proof that a dispatcher claimed a delivery: finishing it checks that the claim is still
/// this one (a claim whose lease ran out may have been taken over).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryClaim {
    /// The subscriber.
    pub subscriber_id: SubscriberId,
    /// The event's cursor.
    pub cursor: super::EventCursor,
    /// The claim's token.
    pub token: String,
}

/// A claimed delivery: the event, the subscriber and how many attempts failed before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryJob {
    /// The claim, to finish the delivery with.
    pub claim: DeliveryClaim,
    /// The subscriber, with its secrets.
    pub subscriber: Subscriber,
    /// The event.
    pub event: StoredEvent,
    /// The attempts made before this one.
    pub attempts: u32,
    /// When the delivery became pending (its event's time, or its last replay's): the retry
    /// time is counted from here.
    pub pending_since: EventTimestamp,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    /// Delivered at this time.
    Delivered {
        /// When.
        at: EventTimestamp,
    },
    /// Failed; try again at `next_attempt_at`.
    Retry {
        /// When to try again.
        next_attempt_at: EventTimestamp,
        /// What went wrong.
        error: String,
    },
    /// Failed for the last time.
    Dead {
        /// When.
        at: EventTimestamp,
        /// What went wrong.
        error: String,
    },
}

/// Which deliveries to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryFilter {
    /// Only those with this status.
    pub status: Option<DeliveryStatus>,
    /// At most this many, newest event first (0: no limit).
    pub limit: usize,
}

/// One delivery, for operators (`jirasync events list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The event.
    pub event: StoredEvent,
    /// The subscriber's id.
    pub subscriber_id: SubscriberId,
    /// The subscriber's URL.
    pub url: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// When it is tried next (pending), or when it was delivered or dead-lettered.
    pub at: EventTimestamp,
}
