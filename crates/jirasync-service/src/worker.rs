//! Inbox workers: claim a delivery under a lease, load the integration its token was verified
//! for at receipt (not verified again: a secret rotated out since then does not fail a genuine
//! delivery; rows stored by earlier versions carry their token and are verified once here),
//! parse, apply, then mark it done, or record the failure for a retry or the dead-letter service.
//!
//! Order per Jira issue is the inbox's business: it hands out deliveries of one ordering key one
//! at a time, oldest first, so any number of workers (on any number of instances) apply them in
//! order.

use std::convert::Infallible;
use std::time::{Duration, SystemTime};

use jirasync_domain::StoreError;
use jirasync_domain::inbox::{
    ClaimedDelivery, DEFAULT_INBOX_RETRY_POLICY, DeliveryId, DeliverySource, FailOutcome, Inbox,
    RetryPolicy,
};
use tokio::task::JoinHandle;

use crate::delivery::{self, DeliveryError};
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
}

impl Default for WorkerOptions {
    /// A [`DEFAULT_INBOX_LEASE`] (renewed every 5 s), a 1 s idle poll, [`DEFAULT_INBOX_RETRY_POLICY`].
    fn default() -> Self {
        Self {
            lease: DEFAULT_INBOX_LEASE,
            idle_poll: Duration::from_secs(1),
            retry: DEFAULT_INBOX_RETRY_POLICY,
        }
    }
}

/// The lease of a claim unless configured otherwise: 15 s. A crashed instance's deliveries are
/// claimed again within 15 s; a live worker renews its lease every 5 s.
pub const DEFAULT_INBOX_LEASE: Duration = Duration::from_secs(15);

/// Starts `count` workers on `service`'s inbox. Each stops claiming once `shutdown` is triggered and
/// returns after finishing the delivery it holds; await the handles to drain.
///
/// A worker claims a delivery under a lease ([`WorkerOptions::lease`], renewed while the
/// delivery is applied), loads the integration
/// its token was verified for at receipt (not verified again; rows stored by earlier versions
/// carry their token and are verified once here), parses and applies it, then marks it done, or
/// records the failure for a retry or the dead-letter state ([`WorkerOptions::retry`]). Order
/// per Jira issue is the inbox's business: it hands out one issue's deliveries one at a time,
/// oldest first, so any number of workers, on any number of instances, apply them in order.
///
/// Without an inbox no worker is started. In inline mode with an inbox, the workers apply the
/// deliveries the receiver kept there because Jira could not be reached.
pub fn spawn_workers(
    service: &SyncService,
    count: usize,
    shutdown: &Shutdown,
) -> Vec<JoinHandle<()>> {
    if service.inbox().is_none() {
        return Vec::new();
    }
    (0..count)
        .map(|index| {
            let service = service.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move { run_worker(service, index, shutdown).await })
        })
        .collect()
}

async fn run_worker(service: SyncService, index: usize, shutdown: Shutdown) {
    let Some(inbox) = service.inbox().cloned() else {
        return;
    };
    let options = *service.worker_options();
    tracing::debug!(worker = index, "inbox-worker-started");
    while !shutdown.is_triggered() {
        let claimed = inbox.claim(service.now(), options.lease, 1).await;
        match claimed {
            Ok(claimed) if !claimed.is_empty() => {
                for delivery in claimed {
                    process(&service, inbox.as_ref(), delivery).await;
                }
            }
            Ok(_) => idle(&service, &shutdown, options.idle_poll).await,
            Err(error) => {
                tracing::warn!(worker = index, %error, "inbox-claim-failed");
                idle(&service, &shutdown, options.idle_poll).await;
            }
        }
    }
    tracing::debug!(worker = index, "inbox-worker-stopped");
}

/// Claims and handles deliveries until none is claimable now; returns how many were handled.
/// For commands that drain the inbox once and for tests; long-running services use
/// [`spawn_workers`]. Without an inbox, handles none.
pub async fn process_available(service: &SyncService) -> Result<usize, StoreError> {
    let Some(inbox) = service.inbox().cloned() else {
        return Ok(0);
    };
    let lease = service.worker_options().lease;
    let mut handled = 0;
    loop {
        let claimed = inbox.claim(service.now(), lease, 1).await?;
        if claimed.is_empty() {
            return Ok(handled);
        }
        for delivery in claimed {
            process(service, inbox.as_ref(), delivery).await;
            handled += 1;
        }
    }
}

/// Waits for an enqueue in this process, the poll interval, or shutdown, whichever comes first.
async fn idle(service: &SyncService, shutdown: &Shutdown, poll: Duration) {
    tokio::select! {
        () = service.enqueued().notified() => {}
        () = tokio::time::sleep(poll) => {}
        () = shutdown.clone().triggered() => {}
    }
}

/// Handles one claimed delivery to the end: done, waiting for a retry, or dead.
async fn process(service: &SyncService, inbox: &dyn Inbox, claimed: ClaimedDelivery) {
    let ClaimedDelivery {
        id,
        attempt,
        delivery,
        ..
    } = claimed;
    let result = tokio::select! {
        result = apply_stored(service, &delivery.source, &delivery.body, delivery.received_at) => result,
        never = keep_leased(service, inbox, id, attempt) => match never {},
    };
    let recorded = match result {
        Ok(()) => inbox.complete(id, attempt).await,
        Err(error) => {
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
                    Ok(())
                }
                Ok(FailOutcome::DeadLettered) => {
                    tracing::warn!(delivery_id = %id, attempt, %error, "delivery-dead-lettered");
                    Ok(())
                }
                Err(store_error) => Err(store_error),
            }
        }
    };
    if let Err(error) = recorded {
        // The lease will expire and the delivery be claimed again; re-applying is safe.
        tracing::warn!(delivery_id = %id, attempt, %error, "inbox-record-failed");
    }
}

/// Renews the lease of `attempt` on delivery `id` every third of the lease, for as long as it is
/// polled (beside the delivery's application), so that a worker applying a delivery for longer
/// than a lease keeps it, while a crashed worker's delivery is free a short lease after its last
/// renewal. Stops renewing once the inbox says the attempt no longer holds the delivery (its
/// complete or fail will then be refused as well); a renewal that fails otherwise is tried again
/// at the next tick.
async fn keep_leased(
    service: &SyncService,
    inbox: &dyn Inbox,
    id: DeliveryId,
    attempt: u32,
) -> Infallible {
    let lease = service.worker_options().lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        let Some(until) = service.now().checked_add(lease) else {
            break;
        };
        match inbox.renew(id, attempt, until).await {
            Ok(()) => tracing::trace!(delivery_id = %id, attempt, "inbox-lease-renewed"),
            Err(error @ (StoreError::Conflict { .. } | StoreError::NotFound { .. })) => {
                tracing::warn!(delivery_id = %id, attempt, %error, "inbox-lease-lost");
                break;
            }
            Err(error) => {
                tracing::warn!(delivery_id = %id, attempt, %error, "inbox-lease-renewal-failed");
            }
        }
    }
    std::future::pending().await
}

/// Opens and applies a stored delivery. A delivery with nothing to sync is done.
async fn apply_stored(
    service: &SyncService,
    source: &DeliverySource,
    body: &[u8],
    received_at: SystemTime,
) -> Result<(), DeliveryError> {
    let opened = delivery::open_stored(service, source, body, received_at).await?;
    if let Some(changes) = &opened.changes {
        delivery::apply(
            service,
            &opened.integration,
            changes,
            ProcessingPath::Worker,
        )
        .await?;
    }
    Ok(())
}
