//! Inbox workers: claim a few deliveries at once under a lease, and for each in turn load the
//! integration its token was verified for at receipt (not verified again: a secret rotated out
//! since then does not fail a genuine delivery; rows stored by earlier versions carry their token
//! and are verified once here), parse and apply it, or record the failure for a retry or the
//! dead-letter service. The deliveries applied are marked done together, in one write at the end
//! of the claim ([`Inbox::complete_all`]). The leases of every delivery a worker still holds are
//! renewed while it works.
//!
//! Order per Jira issue is the inbox's business: it hands out deliveries of one ordering key one
//! at a time, oldest first, so any number of workers (on any number of instances) apply them in
//! order.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use jirasync_domain::StoreError;
use jirasync_domain::inbox::{
    ClaimedDelivery, DEFAULT_INBOX_RETRY_POLICY, DeliveryCompletion, DeliveryId, DeliverySource,
    FailOutcome, Inbox, Lease, RetryPolicy,
};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;

use crate::delivery::{self, DeliveryError, OpenedDelivery};
use crate::metrics::ProcessingPath;
use crate::service::SyncService;
use crate::shutdown::Shutdown;

/// How workers claim and retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerOptions {
    /// How long a claim holds a delivery; another worker may take it after that. A worker
    /// renews its lease every third of this while it applies the delivery, so the lease bounds
    /// how long a crashed worker's delivery (and the later changes of its issue) waits, not
    /// how long an application may take.
    pub lease: Duration,
    /// How long an idle worker waits before looking again (it is woken sooner when this process
    /// enqueues a delivery).
    pub idle_poll: Duration,
    /// When to retry a failed delivery and when to dead-letter it.
    pub retry: RetryPolicy,
    /// How many deliveries a worker claims at once (0 counts as 1). It applies them one after
    /// the other, renewing the leases of all it still holds, so a delivery waiting its turn in
    /// a worker is not claimed by another; one claim then serves several deliveries, which
    /// costs the store less per delivery (docs/performance.md). A claim hands out at most one
    /// delivery per Jira issue, so a batch never holds back a later change of an issue in it.
    pub claim_batch: usize,
    /// Whether the receiver applies a delivery itself when a worker slot is free (on by
    /// default). It then stores the delivery already claimed ([`Inbox::enqueue_leased`]), which
    /// the inbox does only when a claim could hand it out at that moment, so each issue's order
    /// is kept; answers; and applies it from the request in hand, in a task that holds the
    /// slot, renews the lease and records a failure as a worker does. That saves the claim,
    /// the read of the stored body and its second parse (docs/performance.md). When every
    /// worker is busy, or the delivery's issue has an earlier one pending, it waits for a
    /// claim. Off: every delivery waits for a claim.
    pub apply_at_receipt: bool,
}

impl Default for WorkerOptions {
    /// A [`DEFAULT_INBOX_LEASE`] (renewed every 5 s), a 1 s idle poll,
    /// [`DEFAULT_INBOX_RETRY_POLICY`], claims of [`DEFAULT_CLAIM_BATCH`], deliveries applied
    /// at receipt when a worker slot is free.
    fn default() -> Self {
        Self {
            lease: DEFAULT_INBOX_LEASE,
            idle_poll: Duration::from_secs(1),
            retry: DEFAULT_INBOX_RETRY_POLICY,
            claim_batch: DEFAULT_CLAIM_BATCH,
            apply_at_receipt: true,
        }
    }
}

/// How many deliveries a worker claims at once unless configured otherwise: 8. With the default
/// two workers, a backlog on SQLite drained 15–30 % faster and for 15–25 % less CPU per
/// delivery than with claims of one (docs/performance.md).
pub const DEFAULT_CLAIM_BATCH: usize = 8;

/// The lease of a claim unless configured otherwise: 15 s. A crashed instance's deliveries are
/// claimed again within 15 s; a live worker renews its lease every 5 s.
pub const DEFAULT_INBOX_LEASE: Duration = Duration::from_secs(15);

/// Starts `count` workers on `service`'s inbox. Each stops claiming once `shutdown` is triggered and
/// returns after finishing the deliveries it holds; await the handles to drain.
///
/// A worker claims up to [`WorkerOptions::claim_batch`] deliveries under a lease
/// ([`WorkerOptions::lease`], renewed for every delivery it still holds), and for each in turn
/// loads the integration its token was verified for at receipt (not verified again; rows stored
/// by earlier versions carry their token and are verified once here), parses and applies it,
/// or records the failure for a retry or the dead-letter state ([`WorkerOptions::retry`]). The
/// deliveries it applied are marked done together at the end of the claim, in one write of the
/// store ([`Inbox::complete_all`]), or before the next delivery starts once one of them has
/// waited 20 ms (a delivery after it asked Jira, say). A delivery whose lease was lost while it
/// waited its turn (another worker took it) is left to that worker. Order per Jira issue is the
/// inbox's business: it hands out one issue's deliveries one at a time, oldest first, so any
/// number of workers, on any number of instances, apply them in order.
///
/// Once `shutdown` is triggered a worker claims nothing more; it finishes the deliveries it
/// holds, then returns.
///
/// Each worker is a slot: a worker holds its slot while it claims and applies, and in inbox
/// mode the receiver takes a free one to apply a delivery itself
/// ([`WorkerOptions::apply_at_receipt`]), so at most `count` deliveries are applied at once,
/// however they were handed out. One more handle is returned beside the workers': it waits,
/// once `shutdown` is triggered, for the deliveries applied at receipt to finish, so awaiting
/// every handle drains those too.
///
/// Without an inbox no worker is started. In inline mode with an inbox, the workers apply the
/// deliveries the receiver kept there because Jira could not be reached.
pub fn spawn_workers(
    service: &SyncService,
    count: usize,
    shutdown: &Shutdown,
) -> Vec<JoinHandle<()>> {
    if service.inbox().is_none() || count == 0 {
        return Vec::new();
    }
    // One slot per worker; past `u32::MAX` workers (never in practice) the rest share them.
    let slots = u32::try_from(count).unwrap_or(u32::MAX);
    service.worker_slots().add_permits(slots as usize);
    let mut handles: Vec<JoinHandle<()>> = (0..count)
        .map(|index| {
            let service = service.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move { run_worker(service, index, shutdown).await })
        })
        .collect();
    let service = service.clone();
    let shutdown = shutdown.clone();
    handles.push(tokio::spawn(async move {
        withdraw_slots(&service, slots, shutdown).await;
    }));
    handles
}

/// Once `shutdown` is triggered, takes back the `slots` [`spawn_workers`] added, waiting for
/// whoever holds them (a worker's claim, a delivery applied at receipt) to finish: then no
/// more deliveries are applied at receipt, and the receiver only stores them.
async fn withdraw_slots(service: &SyncService, slots: u32, shutdown: Shutdown) {
    shutdown.triggered().await;
    if let Ok(taken) = service.worker_slots().acquire_many(slots).await {
        taken.forget();
    }
}

async fn run_worker(service: SyncService, index: usize, shutdown: Shutdown) {
    let Some(inbox) = service.inbox().cloned() else {
        return;
    };
    let options = *service.worker_options();
    tracing::debug!(worker = index, "inbox-worker-started");
    while !shutdown.is_triggered() {
        // A slot the receiver holds (applying a delivery) is waited for; once stopping, a slot
        // that frees up is not used to claim.
        let slot = tokio::select! {
            biased;
            () = shutdown.clone().triggered() => break,
            slot = Arc::clone(service.worker_slots()).acquire_owned() => match slot {
                Ok(slot) => slot,
                // The slots are never closed; were they, there would be nothing left to do.
                Err(_) => break,
            },
        };
        let claimed = claim(&service, inbox.as_ref()).await;
        match claimed {
            Ok(claimed) if !claimed.is_empty() => {
                process_batch(&service, inbox.as_ref(), claimed).await;
                drop(slot);
            }
            other => {
                drop(slot);
                if let Err(error) = other {
                    tracing::warn!(worker = index, %error, "inbox-claim-failed");
                }
                idle(&service, &shutdown, options.idle_poll).await;
            }
        }
    }
    tracing::debug!(worker = index, "inbox-worker-stopped");
}

/// A delivery the receiver stored leased ([`Inbox::enqueue_leased`]), to apply from what it
/// opened at receipt.
pub(crate) struct Received {
    /// The delivery's id.
    pub(crate) id: DeliveryId,
    /// Its lease, taken as it was stored.
    pub(crate) lease: Lease,
    /// What the receiver read from it.
    pub(crate) opened: OpenedDelivery,
    /// [`SyncService::stored_pending_count`] before it was stored: when it has moved on once
    /// the delivery is done, a delivery stored since may have waited behind it, and an idle
    /// worker is woken for it.
    pub(crate) stored_pending: u64,
}

/// Applies a delivery the receiver stored leased from what it opened at receipt, in a task
/// that holds the worker slot `slot` until it is done: as a worker applies a claimed delivery,
/// with its lease renewed meanwhile, marked done once applied, its failure recorded for a retry
/// or the dead-letter state otherwise. A crash (or a panic) leaves the lease to expire and a
/// worker to claim the delivery again.
pub(crate) fn apply_received(
    service: &SyncService,
    inbox: Arc<dyn Inbox>,
    received: Received,
    slot: OwnedSemaphorePermit,
) {
    let service = service.clone();
    tokio::spawn(async move {
        let Received {
            id,
            lease,
            opened,
            stored_pending,
        } = received;
        let held = Held(Mutex::new(vec![(id, lease.attempt)]));
        let work = async {
            let completion = service.completion(id, lease.attempt);
            let path = ProcessingPath::Receipt;
            let result = apply_opened(&service, &opened, path, completion.as_ref()).await;
            let settled = settle(&service, inbox.as_ref(), id, lease.attempt, result).await;
            if let Processed::Applied = settled.unless_completed(completion.as_ref()) {
                let mut applied = Applied::default();
                applied.push(id, lease.attempt);
                applied.complete(inbox.as_ref(), &held).await;
            }
        };
        tokio::select! {
            () = work => {}
            never = keep_leased(&service, inbox.as_ref(), &held) => match never {},
        }
        drop(slot);
        if service.stored_pending_count() != stored_pending {
            service.enqueued().notify_one();
        }
    });
}

/// Claims and handles deliveries until none is claimable now; returns how many were handled.
/// For commands that drain the inbox once and for tests; long-running services use
/// [`spawn_workers`]. Without an inbox, handles none.
pub async fn process_available(service: &SyncService) -> Result<usize, StoreError> {
    let Some(inbox) = service.inbox().cloned() else {
        return Ok(0);
    };
    let mut handled = 0;
    loop {
        let claimed = claim(service, inbox.as_ref()).await?;
        if claimed.is_empty() {
            return Ok(handled);
        }
        handled += process_batch(service, inbox.as_ref(), claimed).await;
    }
}

/// Claims what a worker claims at once: up to [`WorkerOptions::claim_batch`] deliveries (at
/// least one), under [`WorkerOptions::lease`].
async fn claim(
    service: &SyncService,
    inbox: &dyn Inbox,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let options = service.worker_options();
    inbox
        .claim(service.now(), options.lease, options.claim_batch.max(1))
        .await
}

/// Waits for an enqueue in this process, the poll interval, or shutdown, whichever comes first.
async fn idle(service: &SyncService, shutdown: &Shutdown, poll: Duration) {
    tokio::select! {
        () = service.enqueued().notified() => {}
        () = tokio::time::sleep(poll) => {}
        () = shutdown.clone().triggered() => {}
    }
}

/// The deliveries of a claim that a worker still holds, by id and attempt: the ones whose leases
/// it renews.
struct Held(Mutex<Vec<(DeliveryId, u32)>>);

impl Held {
    fn of(claimed: &[ClaimedDelivery]) -> Self {
        Self(Mutex::new(
            claimed
                .iter()
                .map(|delivery| (delivery.id, delivery.attempt))
                .collect(),
        ))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(DeliveryId, u32)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `attempt` still holds delivery `id`, as far as the worker knows.
    fn holds(&self, id: DeliveryId, attempt: u32) -> bool {
        self.lock().contains(&(id, attempt))
    }

    /// Stops renewing delivery `id`'s lease (it is done with, or was lost).
    fn release(&self, id: DeliveryId) {
        self.lock().retain(|(held, _)| *held != id);
    }

    fn snapshot(&self) -> Vec<(DeliveryId, u32)> {
        self.lock().clone()
    }
}

/// How long an applied delivery may wait for the rest of its claim before it is marked done on
/// its own: the completions of a claim are written together at its end (one write for up to
/// [`WorkerOptions::claim_batch`] of them), unless the deliveries after it take longer than
/// this (a Jira look-up, say), in which case those waiting are written before the next one
/// starts. Until then the delivery's lease is renewed like the others'; a crash meanwhile hands
/// it out again, and applying it again is safe (its delivery key is recorded).
const COMPLETION_WAIT: Duration = Duration::from_millis(20);

/// Handles the deliveries of one claim one after the other, while the leases of all those still
/// held are renewed; returns how many it handled. A delivery whose lease was lost before its
/// turn came is skipped: another worker holds it now. The ones applied are marked done together
/// (see [`COMPLETION_WAIT`]).
async fn process_batch(
    service: &SyncService,
    inbox: &dyn Inbox,
    claimed: Vec<ClaimedDelivery>,
) -> usize {
    let held = Held::of(&claimed);
    // A claim of one is marked done in its sync's commit when the inbox is the store's own (one
    // transaction fewer); a claim of several shares one completion write, which rewrites the
    // pages of their rows once instead of once per commit (decision 0026).
    let alone = claimed.len() == 1;
    let work = async {
        let mut handled = 0;
        let mut applied = Applied::default();
        for delivery in claimed {
            let (id, attempt) = (delivery.id, delivery.attempt);
            if !held.holds(id, attempt) {
                tracing::info!(delivery_id = %id, attempt, "delivery-skipped-lease-lost");
                continue;
            }
            if applied.waited(COMPLETION_WAIT) {
                applied.complete(inbox, &held).await;
            }
            match process(service, inbox, delivery, alone).await {
                Processed::Applied => applied.push(id, attempt),
                Processed::Completed | Processed::Recorded => held.release(id),
            }
            handled += 1;
        }
        applied.complete(inbox, &held).await;
        handled
    };
    tokio::select! {
        handled = work => handled,
        never = keep_leased(service, inbox, &held) => match never {},
    }
}

/// The deliveries of a claim applied and not yet marked done, and since when the first waits.
#[derive(Default)]
struct Applied {
    claims: Vec<(DeliveryId, u32)>,
    since: Option<tokio::time::Instant>,
}

impl Applied {
    fn push(&mut self, id: DeliveryId, attempt: u32) {
        self.since.get_or_insert_with(tokio::time::Instant::now);
        self.claims.push((id, attempt));
    }

    /// Whether the first has waited `wait` or longer.
    fn waited(&self, wait: Duration) -> bool {
        self.since.is_some_and(|since| since.elapsed() >= wait)
    }

    /// Marks them done in one write and stops renewing their leases. A completion refused (the
    /// lease was lost) or not written leaves the delivery to be claimed again; applying it again
    /// is safe.
    async fn complete(&mut self, inbox: &dyn Inbox, held: &Held) {
        let claims = std::mem::take(&mut self.claims);
        self.since = None;
        if claims.is_empty() {
            return;
        }
        match inbox.complete_all(&claims).await {
            Ok(outcomes) => {
                for (&(id, attempt), outcome) in claims.iter().zip(outcomes) {
                    if let Err(error) = outcome {
                        tracing::warn!(delivery_id = %id, attempt, %error, "inbox-record-failed");
                    }
                }
            }
            Err(error) => {
                for &(id, attempt) in &claims {
                    tracing::warn!(delivery_id = %id, attempt, %error, "inbox-record-failed");
                }
            }
        }
        for (id, _) in claims {
            held.release(id);
        }
    }
}

/// What [`process`] did with a delivery.
enum Processed {
    /// Applied: it is to be marked done.
    Applied,
    /// Applied and marked done by the commit of its last sync (or found held by another
    /// attempt there, which is logged).
    Completed,
    /// Its failure was recorded (a retry or the dead-letter state), or could not be.
    Recorded,
}

impl Processed {
    /// [`Processed::Completed`] instead of [`Processed::Applied`] when the commit of the
    /// delivery's last sync recorded its completion
    /// ([`InboundSync::apply_delivery`](jirasync_domain::InboundSync::apply_delivery)); a
    /// completion refused there (another attempt holds the delivery now) is logged as
    /// [`Applied::complete`] logs one.
    fn unless_completed(self, completion: Option<&DeliveryCompletion>) -> Self {
        let (Self::Applied, Some(completion)) = (&self, completion) else {
            return self;
        };
        match completion.take_outcome() {
            None => self,
            Some(Ok(())) => Self::Completed,
            Some(Err(error)) => {
                let (id, attempt) = (completion.id(), completion.attempt());
                tracing::warn!(delivery_id = %id, attempt, %error, "inbox-record-failed");
                Self::Completed
            }
        }
    }
}

/// Handles one claimed delivery: applies it, or records its failure (waiting for a retry, or
/// dead). Its lease is renewed meanwhile by [`process_batch`], which marks it done once applied,
/// unless `complete_in_commit` let the commit of its last sync do so
/// ([`SyncService::completion`]).
async fn process(
    service: &SyncService,
    inbox: &dyn Inbox,
    claimed: ClaimedDelivery,
    complete_in_commit: bool,
) -> Processed {
    let ClaimedDelivery {
        id,
        attempt,
        delivery,
        ..
    } = claimed;
    let completion = service
        .completion(id, attempt)
        .filter(|_| complete_in_commit);
    let result = apply_stored(
        service,
        &delivery.source,
        &delivery.body,
        delivery.received_at,
        completion.as_ref(),
    )
    .await;
    settle(service, inbox, id, attempt, result)
        .await
        .unless_completed(completion.as_ref())
}

/// Records how attempt `attempt` of delivery `id` went: [`Processed::Applied`] when `result`
/// is `Ok` (the caller marks it done), else the failure with a retry time (or dead-lettered).
async fn settle(
    service: &SyncService,
    inbox: &dyn Inbox,
    id: DeliveryId,
    attempt: u32,
    result: Result<(), DeliveryError>,
) -> Processed {
    let Err(error) = result else {
        return Processed::Applied;
    };
    let retry_at = if error.is_retryable() {
        service
            .worker_options()
            .retry
            .next_attempt(attempt, service.now())
    } else {
        None
    };
    match inbox
        .fail(id, attempt, &error.inbox_message(id), retry_at)
        .await
    {
        Ok(FailOutcome::RetryAt(_)) => {
            tracing::info!(delivery_id = %id, attempt, %error, "delivery-retry-scheduled");
        }
        Ok(FailOutcome::DeadLettered) => {
            tracing::warn!(delivery_id = %id, attempt, %error, "delivery-dead-lettered");
        }
        Err(store_error) => {
            // The lease will expire and the delivery be claimed again; re-applying is safe.
            tracing::warn!(delivery_id = %id, attempt, error = %store_error, "inbox-record-failed");
        }
    }
    Processed::Recorded
}

/// Renews the leases of the deliveries `held` names every third of the lease, for as long as it
/// is polled (beside their application), so that a worker applying deliveries for longer than a
/// lease keeps them, while a crashed worker's deliveries are free a short lease after its last
/// renewal. Stops renewing a delivery once the inbox says the attempt no longer holds it (its
/// complete or fail will then be refused as well, and a delivery still waiting its turn is
/// skipped); a renewal that fails otherwise is tried again at the next tick.
async fn keep_leased(service: &SyncService, inbox: &dyn Inbox, held: &Held) -> Infallible {
    let lease = service.worker_options().lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        let Some(until) = service.now().checked_add(lease) else {
            continue;
        };
        for (id, attempt) in held.snapshot() {
            match inbox.renew(id, attempt, until).await {
                Ok(()) => tracing::trace!(delivery_id = %id, attempt, "inbox-lease-renewed"),
                Err(error @ (StoreError::Conflict { .. } | StoreError::NotFound { .. })) => {
                    tracing::warn!(delivery_id = %id, attempt, %error, "inbox-lease-lost");
                    held.release(id);
                }
                Err(error) => {
                    tracing::warn!(delivery_id = %id, attempt, %error, "inbox-lease-renewal-failed");
                }
            }
        }
    }
}

/// Opens and applies a stored delivery. A delivery with nothing to sync is done.
async fn apply_stored(
    service: &SyncService,
    source: &DeliverySource,
    body: &[u8],
    received_at: SystemTime,
    completion: Option<&DeliveryCompletion>,
) -> Result<(), DeliveryError> {
    let opened = delivery::open_stored(service, source, body, received_at).await?;
    apply_opened(service, &opened, ProcessingPath::Worker, completion).await
}

/// Applies an opened delivery's changes on `path`, its `completion` handed to the sync of the
/// last change. A delivery with nothing to sync is done.
async fn apply_opened(
    service: &SyncService,
    opened: &OpenedDelivery,
    path: ProcessingPath,
    completion: Option<&DeliveryCompletion>,
) -> Result<(), DeliveryError> {
    if let Some(changes) = &opened.changes {
        delivery::apply(service, &opened.integration, changes, path, completion).await?;
    }
    Ok(())
}
