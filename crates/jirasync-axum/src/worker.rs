//! Inbox workers: claim a delivery under a lease, re-verify its token against the store as it is
//! **now** (a secret may have been rotated since receipt), parse, apply, then mark it done, or
//! record the failure for a retry or the dead-letter state.
//!
//! Order per Jira issue is the inbox's business: it hands out deliveries of one ordering key one
//! at a time, oldest first, so any number of workers (on any number of instances) apply them in
//! order.

use std::time::Duration;

use jirasync_domain::StoreError;
use jirasync_store::inbox::{ClaimedDelivery, FailOutcome, Inbox, RetryPolicy};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::delivery::{self, DeliveryError};
use crate::metrics::ProcessingPath;
use crate::state::AppState;

/// How workers claim and retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerOptions {
    /// How long a claim holds a delivery; another worker may take it after that.
    pub lease: Duration,
    /// How long an idle worker waits before looking again (it is woken sooner when this process
    /// enqueues a delivery).
    pub idle_poll: Duration,
    /// When to retry a failed delivery and when to dead-letter it.
    pub retry: RetryPolicy,
}

impl Default for WorkerOptions {
    /// A 60 s lease, a 1 s idle poll, [`RetryPolicy::default`].
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_secs(1),
            retry: RetryPolicy::default(),
        }
    }
}

/// Tells workers (and anything else listening, such as the HTTP server) to stop.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// The listening side of a [`ShutdownTrigger`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new trigger and its listener.
pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger(sender), Shutdown(receiver))
}

impl ShutdownTrigger {
    /// Asks every listener to stop.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// Whether stopping was asked for (or the trigger was dropped).
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// Waits until stopping is asked for (or the trigger is dropped).
    pub async fn triggered(mut self) {
        // An error means the trigger is gone: stop as well.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Starts `count` workers on `state`'s inbox. Each stops claiming once `shutdown` is triggered and
/// returns after finishing the delivery it holds; await the handles to drain.
///
/// Without an inbox (inline mode) no worker is started.
pub fn spawn_workers(state: &AppState, count: usize, shutdown: &Shutdown) -> Vec<JoinHandle<()>> {
    if state.inbox().is_none() {
        return Vec::new();
    }
    (0..count)
        .map(|index| {
            let state = state.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move { run_worker(state, index, shutdown).await })
        })
        .collect()
}

async fn run_worker(state: AppState, index: usize, shutdown: Shutdown) {
    let Some(inbox) = state.inbox().cloned() else {
        return;
    };
    let options = *state.worker_options();
    tracing::debug!(worker = index, "inbox-worker-started");
    while !shutdown.is_triggered() {
        let claimed = inbox.claim(state.now(), options.lease, 1).await;
        match claimed {
            Ok(claimed) if !claimed.is_empty() => {
                for delivery in claimed {
                    process(&state, inbox.as_ref(), delivery).await;
                }
            }
            Ok(_) => idle(&state, &shutdown, options.idle_poll).await,
            Err(error) => {
                tracing::warn!(worker = index, %error, "inbox-claim-failed");
                idle(&state, &shutdown, options.idle_poll).await;
            }
        }
    }
    tracing::debug!(worker = index, "inbox-worker-stopped");
}

/// Claims and handles deliveries until none is claimable now; returns how many were handled.
/// For commands that drain the inbox once and for tests; long-running services use
/// [`spawn_workers`]. Without an inbox, handles none.
pub async fn process_available(state: &AppState) -> Result<usize, StoreError> {
    let Some(inbox) = state.inbox().cloned() else {
        return Ok(0);
    };
    let lease = state.worker_options().lease;
    let mut handled = 0;
    loop {
        let claimed = inbox.claim(state.now(), lease, 1).await?;
        if claimed.is_empty() {
            return Ok(handled);
        }
        for delivery in claimed {
            process(state, inbox.as_ref(), delivery).await;
            handled += 1;
        }
    }
}

/// Waits for an enqueue in this process, the poll interval, or shutdown, whichever comes first.
async fn idle(state: &AppState, shutdown: &Shutdown, poll: Duration) {
    tokio::select! {
        () = state.enqueued().notified() => {}
        () = tokio::time::sleep(poll) => {}
        () = shutdown.clone().triggered() => {}
    }
}

/// Handles one claimed delivery to the end: done, waiting for a retry, or dead.
async fn process(state: &AppState, inbox: &dyn Inbox, claimed: ClaimedDelivery) {
    let ClaimedDelivery {
        id,
        attempt,
        delivery,
        ..
    } = claimed;
    let result = apply_delivery(state, delivery.token.expose(), &delivery.body).await;
    let recorded = match result {
        Ok(()) => inbox.complete(id, attempt).await,
        Err(error) => {
            let retry_at = if error.is_retryable() {
                state
                    .worker_options()
                    .retry
                    .next_attempt(attempt, state.now())
            } else {
                None
            };
            match inbox.fail(id, attempt, &error.to_string(), retry_at).await {
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

/// Re-verifies, parses and applies a stored delivery. A delivery with nothing to sync is done.
async fn apply_delivery(state: &AppState, token: &str, body: &[u8]) -> Result<(), DeliveryError> {
    let opened = delivery::open(state, token, body).await?;
    if let Some(changes) = &opened.changes {
        delivery::apply(state, &opened.integration, changes, ProcessingPath::Worker).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_is_seen_by_every_listener() {
        let (trigger, shutdown) = shutdown_channel();
        let other = shutdown.clone();
        assert!(!shutdown.is_triggered());
        trigger.trigger();
        assert!(shutdown.is_triggered());
        other.triggered().await;
    }

    #[tokio::test]
    async fn a_dropped_trigger_stops_listeners() {
        let (trigger, shutdown) = shutdown_channel();
        drop(trigger);
        assert!(shutdown.is_triggered());
        shutdown.triggered().await;
    }
}
