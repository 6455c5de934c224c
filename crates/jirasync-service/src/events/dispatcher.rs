//! The event dispatcher: pushes each pending delivery to its subscriber, signed, and records
//! how it went: delivered on a 2xx answer; otherwise retried with exponential back-off and
//! jitter until [`DispatcherOptions::retry_for`] has passed since the delivery became pending,
//! then dead-lettered (listed by `jirasync events list --dead`, tried again by
//! `jirasync events replay`).
//!
//! Order per issue is the store's business: it hands out the deliveries of one subscriber and
//! one ordering key one at a time, oldest first, so any number of dispatchers (on any number of
//! instances sharing a database) keep it. A claim lasts [`DispatcherOptions::lease`]: a
//! dispatcher that dies holding one (kill -9) leaves it to be taken over when the lease ends.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jirasync_core::{Clock, RetryPolicy};
use jirasync_domain::EventStore;
use jirasync_domain::StoreError;
use jirasync_domain::events::{DeliveryJob, DeliveryResult, EventTimestamp};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use super::signing::signature_header;
use crate::shutdown::Shutdown;

/// How the dispatcher pushes and retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DispatcherOptions {
    /// How long a claim holds a delivery; longer than [`DispatcherOptions::request_timeout`].
    pub lease: Duration,
    /// How long an idle dispatcher waits before looking again (woken sooner by new events in
    /// this process).
    pub idle_poll: Duration,
    /// The back-off between attempts (its attempt limit is not used: the time is).
    pub retry: RetryPolicy,
    /// How long a delivery is retried before it is dead-lettered.
    pub retry_for: Duration,
    /// The longest one POST may take, connection included.
    pub request_timeout: Duration,
    /// The most deliveries pushed at once.
    pub batch: usize,
}

impl Default for DispatcherOptions {
    /// A 60 s lease, a 1 s idle poll, back-off from 1 s doubling to 5 min, retried for 24 h,
    /// 10 s per request, 16 at once.
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_secs(1),
            retry: RetryPolicy::new(u32::MAX, Duration::from_secs(1), Duration::from_secs(300)),
            retry_for: Duration::from_secs(24 * 60 * 60),
            request_timeout: Duration::from_secs(10),
            batch: 16,
        }
    }
}

/// Why the dispatcher could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DispatcherError {
    /// The HTTP client could not be built (no TLS roots, …).
    #[error("cannot build the HTTP client for event pushes: {0}")]
    Client(#[source] reqwest::Error),
}

/// Pushes events to subscribers. Cheap to clone.
#[derive(Clone)]
pub struct EventDispatcher {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
    options: DispatcherOptions,
    appended: Arc<Notify>,
}

impl std::fmt::Debug for EventDispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventDispatcher")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The signal that new events were committed in this process: a [`Notify`] the store's hub
/// wakes (see [`jirasync_domain::store::EventHub::listen`]).
pub fn event_signal(store: &dyn EventStore) -> Arc<Notify> {
    let notify = Arc::new(Notify::new());
    let woken = Arc::clone(&notify);
    store
        .event_hub()
        .listen(Arc::new(move || woken.notify_waiters()));
    notify
}

impl EventDispatcher {
    /// A dispatcher over `store`'s deliveries, on `clock`.
    ///
    /// # Errors
    ///
    /// [`DispatcherError::Client`] when the HTTP client cannot be built.
    pub fn new(
        store: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
        options: DispatcherOptions,
    ) -> Result<Self, DispatcherError> {
        // Redirects are not followed: a subscriber that moved says so with a failure an operator
        // sees, and a push never goes to a host nobody configured.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.request_timeout)
            .timeout(options.request_timeout)
            .user_agent(concat!("jirasync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(DispatcherError::Client)?;
        let appended = event_signal(store.as_ref());
        Ok(Self {
            store,
            clock,
            client,
            options,
            appended,
        })
    }

    /// The options.
    pub fn options(&self) -> &DispatcherOptions {
        &self.options
    }

    /// Starts the dispatcher; it stops claiming once `shutdown` is triggered and returns after
    /// the pushes it started.
    pub fn spawn(&self, shutdown: &Shutdown) -> JoinHandle<()> {
        let dispatcher = self.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move { dispatcher.run(shutdown).await })
    }

    async fn run(self, shutdown: Shutdown) {
        tracing::debug!("event-dispatcher-started");
        // Woken by every commit with events, so one committed meanwhile is not missed.
        crate::polling::poll_until_shutdown(
            &shutdown,
            &self.appended,
            self.options.idle_poll,
            "event-claim-failed",
            || self.dispatch_once(),
            || async {},
        )
        .await;
        tracing::debug!("event-dispatcher-stopped");
    }

    /// Claims the deliveries due now (at most [`DispatcherOptions::batch`]), pushes them at once
    /// and records each result; returns how many were attempted. For tests and commands;
    /// services use [`EventDispatcher::spawn`].
    ///
    /// # Errors
    ///
    /// The store's, when the claim fails.
    pub async fn dispatch_once(&self) -> Result<usize, StoreError> {
        let now = EventTimestamp::from_system_time(self.clock.now());
        let jobs = self
            .store
            .claim_deliveries(now, self.options.lease, self.options.batch.max(1))
            .await?;
        let count = jobs.len();
        let mut pushes = JoinSet::new();
        for job in jobs {
            let dispatcher = self.clone();
            pushes.spawn(async move { dispatcher.deliver(job).await });
        }
        while pushes.join_next().await.is_some() {}
        Ok(count)
    }

    /// Pushes one claimed delivery and records the result.
    async fn deliver(&self, job: DeliveryJob) {
        let attempt = job.attempts.saturating_add(1);
        let result = match self.push(&job).await {
            Ok(()) => DeliveryResult::Delivered {
                at: EventTimestamp::from_system_time(self.clock.now()),
            },
            Err(error) => self.after_failure(&job, attempt, error),
        };
        let event_id = job.event.event.id.as_str();
        let subscriber = job.subscriber.id;
        match &result {
            DeliveryResult::Delivered { .. } => {
                tracing::info!(event_id, %subscriber, attempt, "event-delivered");
            }
            DeliveryResult::Retry { error, .. } => {
                tracing::info!(event_id, %subscriber, attempt, %error, "event-retry-scheduled");
            }
            DeliveryResult::Dead { error, .. } => {
                tracing::warn!(event_id, %subscriber, attempt, %error, "event-dead-lettered");
            }
        }
        if let Err(error) = self.store.finish_delivery(&job.claim, result).await {
            // The lease ends and the delivery is pushed again: at least once.
            tracing::warn!(event_id, %subscriber, %error, "event-record-failed");
        }
    }

    /// What a failed attempt leads to: a retry after the back-off (never later than the end of
    /// the retry time), or the dead letter once that time has passed.
    fn after_failure(&self, job: &DeliveryJob, attempt: u32, error: String) -> DeliveryResult {
        let now = self.clock.now();
        let deadline = job
            .pending_since
            .to_system_time()
            .checked_add(self.options.retry_for)
            .unwrap_or(now);
        if now >= deadline {
            return DeliveryResult::Dead {
                at: EventTimestamp::from_system_time(now),
                error,
            };
        }
        let wait = self
            .options
            .retry
            .delay_after(attempt.min(self.options.retry.max_attempts.saturating_sub(1)))
            .unwrap_or(self.options.retry.max_delay);
        let next = now.checked_add(wait).unwrap_or(deadline).min(deadline);
        DeliveryResult::Retry {
            next_attempt_at: EventTimestamp::from_system_time(next),
            error,
        }
    }

    /// One signed POST; `Err` with what went wrong unless the subscriber answered 2xx.
    async fn push(&self, job: &DeliveryJob) -> Result<(), String> {
        let body = job.event.event.to_json_bytes();
        let message_id = job.event.event.id.as_str();
        let timestamp = unix_seconds(self.clock.now());
        let signature = signature_header(
            job.subscriber.signing_secrets(),
            message_id,
            timestamp,
            &body,
        )
        .map_err(|error| format!("the subscriber's secret is unusable: {error}"))?;
        let response = self
            .client
            .post(job.subscriber.url.as_str())
            .header("content-type", "application/json")
            .header("webhook-id", message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(describe_transport_error)?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the subscriber answered HTTP {}", status.as_u16()))
        }
    }
}

/// Whole seconds since the epoch (0 before it).
fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

/// A transport failure in words, without the URL's query (it may hold a token).
fn describe_transport_error(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let error = error.without_url();
    format!("the request {kind}: {error}")
}
