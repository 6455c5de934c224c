//! The durable webhook inbox: a delivery is stored **before** Jira gets its answer, then workers
//! claim it with a lease, apply it, and mark it done, or record the failure and retry it later.
//!
//! # Life of a delivery
//!
//! ```text
//!   enqueue ──► pending ──claim──► leased ──complete──► done
//!                 ▲                  │
//!                 │   fail(retry_at) │ fail(None) / attempts exhausted
//!                 └──────────────────┤
//!                                    ▼
//!           replay ◄──────────── dead (last error kept)
//! ```
//!
//! * **Leases.** [`Inbox::claim`] hands out deliveries whose lease is free or has expired, and
//!   counts one attempt. A worker that crashes keeps its lease until it expires; then the
//!   delivery is claimed again. Leases are short and a worker renews its lease
//!   ([`Inbox::renew`]) while it applies the delivery, so a crash holds an issue back only for
//!   a short lease. Each claim carries its attempt number: [`Inbox::complete`] and
//!   [`Inbox::fail`] only act when the delivery is still held by that attempt, so a worker whose
//!   lease expired cannot complete a delivery another worker now holds.
//! * **Order.** Deliveries with the same [`NewDelivery::ordering_key`] (the Jira issue) are handed
//!   out one at a time, oldest `occurred_at` first (then oldest enqueued): a delivery is not
//!   claimable while an older one of its key is pending, leased or waiting for a retry. Dead
//!   deliveries do not hold their key back. Deliveries without an ordering key are independent.
//!   A delivery that arrives (or is replayed) while a later one of its key is held by a worker
//!   waits for that one to finish, then goes next: a key is never claimed twice at once.
//! * **Retries.** What to do after a failure is the caller's choice: [`RetryPolicy`] computes the
//!   next attempt time with exponential back-off and jitter ([`DEFAULT_INBOX_RETRY_POLICY`]), or
//!   `None` to dead-letter the delivery.
//! * **Completion in groups.** [`Inbox::complete_all`] marks several claims done in one write
//!   (one transaction on the SQL stores), each refused in its place when its attempt no longer
//!   holds it; workers use it for the deliveries of a claim.
//! * **Leased at enqueue.** [`Inbox::enqueue_leased`] stores a delivery already claimed, as its
//!   first attempt, when a claim at that moment could hand it out (the same order rule), so a
//!   receiver with a free worker can apply it from the bytes in hand; otherwise it is stored
//!   pending, as [`Inbox::enqueue`] stores it.
//! * **Replay.** A dead delivery goes back to pending with its attempt count reset, by command.
//!
//! Implementations: the SQLite and PostgreSQL stores of `jirasync-store`; `MemoryInbox` for
//! tests (`testing` feature). Every implementation passes the conformance suite
//! (`inbox::conformance`, `testing` feature).

#[cfg(feature = "testing")]
mod memory;

#[cfg(feature = "testing")]
pub mod conformance;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use jirasync_webhook::{DeliveryKey, EventTime, WebhookToken};

use crate::ids::IntegrationId;
use crate::store::StoreError;

#[cfg(feature = "testing")]
pub use memory::MemoryInbox;
// jirasync's one retry policy (capped exponential back-off with equal jitter), re-exported for the
// inbox's callers.
pub use jirasync_core::{Jitter, RetryPolicy};

/// The inbox's retry policy unless configured otherwise: 8 attempts, waiting about 1 s, 2 s, 4 s …
/// up to 5 minutes (about 4 minutes in all without jitter, between half of that and all of it
/// with). Jitter is on: when the database or Jira is down, every delivery claimed at that moment
/// fails together, and without jitter they would all come back together.
pub const DEFAULT_INBOX_RETRY_POLICY: RetryPolicy =
    RetryPolicy::new(8, Duration::from_secs(1), Duration::from_secs(300));

/// An inbox row's id, given by the store in enqueue order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeliveryId(i64);

impl DeliveryId {
    /// Wraps a stored id.
    pub const fn new(id: i64) -> Self {
        Self(id)
    }

    /// The stored id.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A request header kept with a delivery (content type, user agent, Jira's webhook identifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryHeader {
    /// The header name, lower-case.
    pub name: String,
    /// The header value, as text.
    pub value: String,
}

/// Whose delivery it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliverySource {
    /// The integration whose URL token the receiver verified: the worker trusts it and does not
    /// verify again, so a secret rotated out between receipt and processing does not make a
    /// genuine delivery fail.
    Integration(IntegrationId),
    /// A delivery stored by a version of jirasync that kept the URL token and verified it in the
    /// worker: its token (a secret, redacted in `Debug`), verified once more when processed. No
    /// delivery is stored this way any more.
    LegacyToken(WebhookToken),
}

/// A webhook delivery as received, with what the receiver extracted from it to order and
/// de-duplicate it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Whose delivery it is: the integration its verified URL token named.
    pub source: DeliverySource,
    /// The request body, byte for byte.
    pub body: Vec<u8>,
    /// The request headers that matter for processing or diagnosis.
    pub headers: Vec<DeliveryHeader>,
    /// When the delivery was received.
    pub received_at: SystemTime,
    /// Deliveries with the same key are processed one at a time, in `occurred_at` order: the
    /// receiver uses the integration and the Jira issue key.
    pub ordering_key: Option<String>,
    /// When the change happened in Jira, if the payload says.
    pub occurred_at: Option<EventTime>,
    /// The delivery's de-duplication key, if it has one (kept for inspection).
    pub delivery_key: Option<DeliveryKey>,
}

impl fmt::Debug for NewDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewDelivery")
            .field("source", &self.source)
            .field("body_len", &self.body.len())
            .field("headers", &self.headers)
            .field("received_at", &self.received_at)
            .field("ordering_key", &self.ordering_key)
            .field("occurred_at", &self.occurred_at)
            .field("delivery_key", &self.delivery_key)
            .finish()
    }
}

/// A delivery a worker holds: the stored delivery, and the attempt this claim is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// The delivery's id.
    pub id: DeliveryId,
    /// This claim's attempt number, from 1. Pass it back to [`Inbox::complete`] / [`Inbox::fail`].
    pub attempt: u32,
    /// The lease ends at this time; after it the delivery may be claimed again.
    pub leased_until: SystemTime,
    /// The delivery as enqueued.
    pub delivery: NewDelivery,
}

/// What [`Inbox::enqueue_leased`] stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The delivery's id.
    pub id: DeliveryId,
    /// The claim the delivery was leased under as it was stored, when a claim at that moment
    /// could have handed it out; `None` when it waits pending for a worker's claim.
    pub lease: Option<Lease>,
}

/// A claim held on a delivery: the attempt it is, and when its lease ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// The claim's attempt number, from 1. Pass it back to [`Inbox::complete`] / [`Inbox::fail`].
    pub attempt: u32,
    /// The lease ends at this time; after it the delivery may be claimed again.
    pub leased_until: SystemTime,
}

/// When a lease of `lease` taken at `now` ends: what a claim and [`Inbox::enqueue_leased`] set
/// as [`Lease::leased_until`]. [`StoreError::Invalid`] when that lies past the last time the
/// system can tell.
pub fn lease_end(now: SystemTime, lease: Duration) -> Result<SystemTime, StoreError> {
    now.checked_add(lease)
        .ok_or_else(|| StoreError::invalid(format!("a lease of {lease:?} ends past the last time")))
}

/// The completion of a claimed delivery, handed to the sync session that applies the delivery's
/// last change, so that its commit marks the delivery done in the same transaction as the
/// sync's bookkeeping
/// ([`IssueSyncSession::stage_completion`](crate::store::IssueSyncSession::stage_completion)):
/// one write fewer per delivery, and no window in which the sync is recorded while its delivery
/// is still held.
///
/// Clones share the outcome. The session's commit records it; the caller reads it back with
/// [`DeliveryCompletion::take_outcome`] and marks the delivery done itself when no commit did
/// (the session did not take the completion, or the delivery needed no session).
#[derive(Debug, Clone)]
pub struct DeliveryCompletion {
    id: DeliveryId,
    attempt: u32,
    outcome: Arc<Mutex<Option<Result<(), StoreError>>>>,
}

impl DeliveryCompletion {
    /// The completion of attempt `attempt` of delivery `id`, not recorded yet.
    pub fn new(id: DeliveryId, attempt: u32) -> Self {
        Self {
            id,
            attempt,
            outcome: Arc::default(),
        }
    }

    /// The delivery.
    pub const fn id(&self) -> DeliveryId {
        self.id
    }

    /// The claim's attempt: only while it holds the delivery is the delivery marked done.
    pub const fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Records what the commit did: `Ok` when the delivery was marked done with it, or the
    /// [`StoreError::Conflict`] / [`StoreError::NotFound`] that [`Inbox::complete`] would have
    /// given when the attempt no longer held the delivery (the commit landed without it). For
    /// stores; the last record wins.
    pub fn record(&self, outcome: Result<(), StoreError>) {
        *self.lock() = Some(outcome);
    }

    /// What a commit recorded, taken out: `None` when no commit completed the delivery, which
    /// is then still to be marked done ([`Inbox::complete`]).
    pub fn take_outcome(&self) -> Option<Result<(), StoreError>> {
        self.lock().take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Result<(), StoreError>>> {
        self.outcome.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting for a worker, or held by one under a lease, or waiting for its retry time.
    Pending,
    /// Processed.
    Done,
    /// Gave up after its attempts; kept with its last error until replayed.
    Dead,
}

impl DeliveryState {
    /// The name stored in the database and shown by `inbox list`: `pending`, `done`, `dead`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    /// The state named by [`DeliveryState::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(Self::Pending),
            "done" => Some(Self::Done),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One delivery as `inbox list` shows it (no token, no body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySummary {
    /// The delivery's id.
    pub id: DeliveryId,
    /// Its state.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it was received.
    pub received_at: SystemTime,
    /// Its ordering key.
    pub ordering_key: Option<String>,
    /// When the change happened in Jira.
    pub occurred_at: Option<EventTime>,
    /// Its de-duplication key.
    pub delivery_key: Option<DeliveryKey>,
    /// Not claimable before this time (retry back-off), if set.
    pub available_at: Option<SystemTime>,
    /// Held under a lease until this time, if leased.
    pub leased_until: Option<SystemTime>,
    /// The last failure's message.
    pub last_error: Option<String>,
}

/// How many deliveries are in each state, for metrics and health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InboxDepth {
    /// Pending deliveries not held by a live lease (including those waiting for a retry).
    pub ready: u64,
    /// Pending deliveries held by a live lease.
    pub leased: u64,
    /// Dead deliveries.
    pub dead: u64,
}

/// What [`Inbox::fail`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// The delivery waits until this time for its next attempt.
    RetryAt(SystemTime),
    /// The delivery is dead.
    DeadLettered,
}

impl FailOutcome {
    /// What failing a delivery does: with `retry_at` it waits until then, with `None` it is
    /// dead-lettered.
    pub const fn from_retry_at(retry_at: Option<SystemTime>) -> Self {
        match retry_at {
            Some(at) => Self::RetryAt(at),
            None => Self::DeadLettered,
        }
    }

    /// The state the failed delivery is left in: pending until its retry, or dead.
    pub const fn state(self) -> DeliveryState {
        match self {
            Self::RetryAt(_) => DeliveryState::Pending,
            Self::DeadLettered => DeliveryState::Dead,
        }
    }
}

/// Durable storage of webhook deliveries. Every method is atomic.
#[async_trait]
pub trait Inbox: Send + Sync {
    /// Stores a delivery, pending. Returns once it is durable: only then may the receiver answer.
    async fn enqueue(&self, delivery: NewDelivery) -> Result<DeliveryId, StoreError>;

    /// Stores a delivery as [`Inbox::enqueue`] does and, in the same atomic write, claims it
    /// under a lease ending `lease` after `now` when a claim at `now` could hand it out: it has
    /// no ordering key, or it comes first among its key's pending deliveries and no claim holds
    /// its key. The lease is its first attempt ([`Lease::attempt`] 1), completed, failed and
    /// renewed as a claim's is. Otherwise the delivery is stored pending, exactly as
    /// [`Inbox::enqueue`] stores it, and a worker's claim hands it out in its turn.
    ///
    /// A receiver with a free worker slot uses it to apply a delivery from the bytes in hand:
    /// the claim, the read of the stored body and the second parse are saved, and the order of
    /// each key is kept by the same rule a claim follows. Returns once the delivery (and its
    /// lease) is durable.
    ///
    /// The default enqueues and takes no lease, which is always correct.
    async fn enqueue_leased(
        &self,
        delivery: NewDelivery,
        now: SystemTime,
        lease: Duration,
    ) -> Result<Enqueued, StoreError> {
        let _ = (now, lease);
        let id = self.enqueue(delivery).await?;
        Ok(Enqueued { id, lease: None })
    }

    /// Claims up to `limit` claimable deliveries at `now` under a lease of `lease`, oldest first
    /// (see the module docs for the order), counting one attempt on each.
    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;

    /// Moves the end of a claim's lease to `until`, while its worker is still applying it, so
    /// that a short lease protects a long application and a crashed worker's delivery is free
    /// soon. [`StoreError::Conflict`] as for [`Inbox::complete`]; [`StoreError::NotFound`] when
    /// there is no such delivery.
    async fn renew(
        &self,
        id: DeliveryId,
        attempt: u32,
        until: SystemTime,
    ) -> Result<(), StoreError>;

    /// Marks a claimed delivery done. [`StoreError::Conflict`] when the claim's attempt no longer
    /// holds it (its lease expired and it was claimed again, or it was replayed).
    async fn complete(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError>;

    /// Marks several claimed deliveries done, each as [`Inbox::complete`] does, in one write
    /// where the store can (the SQLite and PostgreSQL stores do: one transaction for them all).
    /// Returns one outcome per claim, in order: a claim whose attempt no longer holds its
    /// delivery gets the [`StoreError::Conflict`] or [`StoreError::NotFound`] that
    /// [`Inbox::complete`] would give, and the others are done. `Err` when the write itself
    /// failed: none of them was marked done.
    ///
    /// The default completes them one after the other and reports every failure in its place.
    async fn complete_all(
        &self,
        claims: &[(DeliveryId, u32)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut outcomes = Vec::with_capacity(claims.len());
        for &(id, attempt) in claims {
            outcomes.push(self.complete(id, attempt).await);
        }
        Ok(outcomes)
    }

    /// Records a failed attempt with its message: with `retry_at` the delivery waits until then,
    /// with `None` it is dead-lettered. [`StoreError::Conflict`] as for [`Inbox::complete`].
    async fn fail(
        &self,
        id: DeliveryId,
        attempt: u32,
        error: &str,
        retry_at: Option<SystemTime>,
    ) -> Result<FailOutcome, StoreError>;

    /// Puts a dead delivery back to pending with no attempts and no error.
    /// [`StoreError::NotFound`] when there is no such delivery; [`StoreError::Conflict`] when it is
    /// not dead.
    async fn replay(&self, id: DeliveryId) -> Result<(), StoreError>;

    /// Deliveries in `state` (all states with `None`), by id, at most `limit`.
    async fn list(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<DeliverySummary>, StoreError>;

    /// How many deliveries are ready, leased and dead at `now`.
    async fn depth(&self, now: SystemTime) -> Result<InboxDepth, StoreError>;

    /// Deletes done deliveries received before `before`; returns how many.
    async fn purge_done(&self, before: SystemTime) -> Result<u64, StoreError>;
}
