//! [`SyncService`]: what the receiver and the inbox workers share: jirasync's store, the
//! application's host, the Jira look-ups, the inbox, the settings, the metrics and the clock.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use jirasync_core::{Clock, SystemClock};
use jirasync_domain::inbox::{DeliveryCompletion, DeliveryId};
use jirasync_domain::{Host, InboundSync, Inbox, JiraDirectory, SyncStore};
use tokio::sync::{Notify, Semaphore};

use crate::integration_cache::{DEFAULT_INTEGRATION_CACHE_TTL, IntegrationCache};
use crate::metrics::Metrics;
use crate::worker::WorkerOptions;

/// How far past its receipt a delivery's event time may lie before it is ignored, unless
/// configured otherwise ([`SyncServiceBuilder::event_time_tolerance`]): 24 hours. Past times are
/// always accepted.
pub const DEFAULT_EVENT_TIME_TOLERANCE: Duration = Duration::from_secs(24 * 60 * 60);

/// How long [`SyncService::check_ready`] waits for the store and the inbox unless configured
/// otherwise ([`SyncServiceBuilder::readiness_timeout`]): 1 second.
pub const DEFAULT_READINESS_TIMEOUT: Duration = Duration::from_secs(1);

/// What the service does with a valid delivery that has something to sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookMode {
    /// Store it in the inbox ([`WebhookReceipt::Accepted`](crate::WebhookReceipt::Accepted));
    /// workers apply it ([`spawn_workers`](crate::spawn_workers)).
    #[default]
    Inbox,
    /// Apply it at once ([`WebhookReceipt::Applied`](crate::WebhookReceipt::Applied)).
    Inline,
}

/// Why a [`SyncService`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Inbox mode was chosen without an inbox.
    #[error(
        "the webhook mode is `inbox` but no inbox was given: pass one with `.inbox(...)` or choose `WebhookMode::Inline`"
    )]
    InboxModeWithoutInbox,
}

/// jirasync's service: receives webhook deliveries
/// ([`receive_webhook`](SyncService::receive_webhook)) and applies stored ones
/// ([`spawn_workers`](crate::spawn_workers), [`process_available`](crate::process_available)).
/// Cheap to clone: clones share everything.
///
/// Build it with [`SyncService::builder`].
#[derive(Clone)]
pub struct SyncService {
    inner: Arc<Inner>,
}

struct Inner {
    inbox: Option<Arc<dyn Inbox>>,
    /// Whether the inbox is the store's own, so that a sync's commit may mark its delivery done
    /// ([`SyncServiceBuilder::inbox_is_store`]).
    completions_in_commit: bool,
    sync: InboundSync<dyn SyncStore, dyn Host, dyn JiraDirectory>,
    mode: WebhookMode,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    workers: WorkerOptions,
    event_time_tolerance: Duration,
    readiness_timeout: Duration,
    /// Woken when a delivery is enqueued, so idle workers need not wait for their next poll.
    enqueued: Notify,
    /// How many deliveries the receiver stored pending (not leased) so far: a delivery applied
    /// at receipt wakes a worker when it is done if one was stored meanwhile, since it may have
    /// waited behind it.
    stored_pending: AtomicU64,
    /// The worker slots: one per worker [`spawn_workers`](crate::spawn_workers) started. A
    /// worker holds one while it claims and applies; the receiver takes a free one to apply a
    /// delivery it stored leased ([`WorkerOptions::apply_at_receipt`]).
    worker_slots: Arc<Semaphore>,
    /// The integrations deliveries named lately.
    integrations: IntegrationCache,
}

impl fmt::Debug for SyncService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncService")
            .field("mode", &self.inner.mode)
            .field("inbox", &self.inner.inbox.is_some())
            .field("workers", &self.inner.workers)
            .finish_non_exhaustive()
    }
}

impl SyncService {
    /// A builder on `store` (jirasync's own bookkeeping), `host` (the application's users and
    /// issues) and `directory` (the Jira look-ups, such as [`crate::ClientJiraDirectory`]).
    pub fn builder(
        store: Arc<dyn SyncStore>,
        host: Arc<dyn Host>,
        directory: Arc<dyn JiraDirectory>,
    ) -> SyncServiceBuilder {
        SyncServiceBuilder {
            store,
            host,
            directory,
            inbox: None,
            mode: WebhookMode::default(),
            metrics: Metrics::new(),
            clock: Arc::new(SystemClock),
            workers: WorkerOptions::default(),
            event_time_tolerance: DEFAULT_EVENT_TIME_TOLERANCE,
            readiness_timeout: DEFAULT_READINESS_TIMEOUT,
            integration_cache_ttl: DEFAULT_INTEGRATION_CACHE_TTL,
            host_is_store: false,
            inbox_is_store: false,
        }
    }

    /// jirasync's store.
    pub fn store(&self) -> &Arc<dyn SyncStore> {
        self.inner.sync.store()
    }

    /// The application's host.
    pub fn host(&self) -> &Arc<dyn Host> {
        self.inner.sync.host()
    }

    /// The inbox, if one was given.
    pub fn inbox(&self) -> Option<&Arc<dyn Inbox>> {
        self.inner.inbox.as_ref()
    }

    /// The completion of attempt `attempt` of delivery `id` to hand to the sync that applies
    /// it, when the inbox is the store's own ([`SyncServiceBuilder::inbox_is_store`]).
    pub(crate) fn completion(&self, id: DeliveryId, attempt: u32) -> Option<DeliveryCompletion> {
        self.inner
            .completions_in_commit
            .then(|| DeliveryCompletion::new(id, attempt))
    }

    /// The inbound sync rules on the store, the host and the Jira directory.
    pub fn sync(&self) -> &InboundSync<dyn SyncStore, dyn Host, dyn JiraDirectory> {
        &self.inner.sync
    }

    /// The webhook mode.
    pub fn mode(&self) -> WebhookMode {
        self.inner.mode
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Now, on the service's clock.
    pub fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// The inbox workers' settings.
    pub fn worker_options(&self) -> &WorkerOptions {
        &self.inner.workers
    }

    /// How far past its receipt a delivery's event time may lie: a later one is ignored (the
    /// change is applied without moving the ordering watermark), logged as
    /// `event-time-ignored` and counted in `jirasync_event_times_ignored_total`.
    pub fn event_time_tolerance(&self) -> Duration {
        self.inner.event_time_tolerance
    }

    /// How long [`check_ready`](Self::check_ready) waits for the store and the inbox.
    pub fn readiness_timeout(&self) -> Duration {
        self.inner.readiness_timeout
    }

    /// The inbox new deliveries go to: the inbox in [`WebhookMode::Inbox`] (which
    /// [`SyncServiceBuilder::build`] guarantees), `None` in [`WebhookMode::Inline`].
    pub(crate) fn receiving_inbox(&self) -> Option<&Arc<dyn Inbox>> {
        match self.inner.mode {
            WebhookMode::Inbox => self.inner.inbox.as_ref(),
            WebhookMode::Inline => None,
        }
    }

    pub(crate) fn enqueued(&self) -> &Notify {
        &self.inner.enqueued
    }

    /// Counts a delivery the receiver stored pending, and wakes an idle worker for it.
    pub(crate) fn stored_pending(&self) {
        self.inner.stored_pending.fetch_add(1, Ordering::Relaxed);
        self.inner.enqueued.notify_one();
    }

    /// How many deliveries the receiver stored pending so far.
    pub(crate) fn stored_pending_count(&self) -> u64 {
        self.inner.stored_pending.load(Ordering::Relaxed)
    }

    pub(crate) fn worker_slots(&self) -> &Arc<Semaphore> {
        &self.inner.worker_slots
    }

    pub(crate) fn integration_cache(&self) -> &IntegrationCache {
        &self.inner.integrations
    }
}

/// Builds a [`SyncService`]; see [`SyncService::builder`].
#[must_use]
pub struct SyncServiceBuilder {
    store: Arc<dyn SyncStore>,
    host: Arc<dyn Host>,
    directory: Arc<dyn JiraDirectory>,
    inbox: Option<Arc<dyn Inbox>>,
    mode: WebhookMode,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    workers: WorkerOptions,
    event_time_tolerance: Duration,
    readiness_timeout: Duration,
    integration_cache_ttl: Duration,
    host_is_store: bool,
    inbox_is_store: bool,
}

impl fmt::Debug for SyncServiceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncServiceBuilder")
            .field("mode", &self.mode)
            .field("inbox", &self.inbox.is_some())
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl SyncServiceBuilder {
    /// The durable inbox deliveries are stored in (required in [`WebhookMode::Inbox`]).
    pub fn inbox(mut self, inbox: Arc<dyn Inbox>) -> Self {
        self.inbox = Some(inbox);
        self
    }

    /// The webhook mode ([`WebhookMode::Inbox`] by default).
    pub fn mode(mut self, mode: WebhookMode) -> Self {
        self.mode = mode;
        self
    }

    /// The metrics registry (a new one by default).
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The clock ([`SystemClock`] by default): receipt times, retry times, and the age of the
    /// cached `done` statuses.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The inbox workers' settings.
    pub fn worker_options(mut self, options: WorkerOptions) -> Self {
        self.workers = options;
        self
    }

    /// How far past its receipt a delivery's event time may lie before it is ignored
    /// ([`DEFAULT_EVENT_TIME_TOLERANCE`] by default). A Jira whose clock runs ahead by more than
    /// this has its event times ignored: its changes are still applied, without the ordering
    /// guard.
    pub fn event_time_tolerance(mut self, tolerance: Duration) -> Self {
        self.event_time_tolerance = tolerance;
        self
    }

    /// How long [`SyncService::check_ready`] waits for the store and the inbox before it
    /// answers [`ReadinessError::TimedOut`](crate::ReadinessError::TimedOut)
    /// ([`DEFAULT_READINESS_TIMEOUT`] by default), so `/readyz` answers within it even when the
    /// database hangs.
    pub fn readiness_timeout(mut self, timeout: Duration) -> Self {
        self.readiness_timeout = timeout;
        self
    }

    /// How long the integration a delivery's token names is kept after it was read from the
    /// store ([`DEFAULT_INTEGRATION_CACHE_TTL`] by default; zero reads it for every delivery).
    /// A token its kept secrets do not verify is checked against the store before it is
    /// refused, so a rotated secret is seen at once; a removed integration may verify tokens
    /// for up to this long, with nothing left to sync for it.
    pub fn integration_cache_ttl(mut self, ttl: Duration) -> Self {
        self.integration_cache_ttl = ttl;
        self
    }

    /// Says that the host is the store itself (the standalone service: the application's data
    /// in jirasync's own tables of the same database), so that the store may write the host's
    /// changes in the sync's commit, in one transaction with the bookkeeping
    /// ([`InboundSync::with_host_changes_in_commit`]). Off by default: an embedder's host is its
    /// own.
    pub fn host_is_store(mut self, host_is_store: bool) -> Self {
        self.host_is_store = host_is_store;
        self
    }

    /// Says that the inbox is the store itself (one database holds jirasync's bookkeeping and
    /// the deliveries, as the SQLite and PostgreSQL stores do), so that the commit of the sync
    /// that applies a delivery's last change also marks the delivery done, in the same
    /// transaction ([`InboundSync::apply_delivery`]): one write fewer per delivery. Off by
    /// default: an inbox of another store is completed on its own, after the sync.
    pub fn inbox_is_store(mut self, inbox_is_store: bool) -> Self {
        self.inbox_is_store = inbox_is_store;
        self
    }

    /// The service, or why these settings do not work together.
    ///
    /// # Errors
    ///
    /// [`BuildError::InboxModeWithoutInbox`] in [`WebhookMode::Inbox`] without an inbox.
    pub fn build(self) -> Result<SyncService, BuildError> {
        if self.mode == WebhookMode::Inbox && self.inbox.is_none() {
            return Err(BuildError::InboxModeWithoutInbox);
        }
        let sync = InboundSync::with_clock(
            self.store,
            self.host,
            self.directory,
            Arc::clone(&self.clock),
        );
        Ok(SyncService {
            inner: Arc::new(Inner {
                completions_in_commit: self.inbox_is_store && self.inbox.is_some(),
                inbox: self.inbox,
                sync: if self.host_is_store {
                    sync.with_host_changes_in_commit()
                } else {
                    sync
                },
                mode: self.mode,
                metrics: self.metrics,
                clock: self.clock,
                workers: self.workers,
                event_time_tolerance: self.event_time_tolerance,
                readiness_timeout: self.readiness_timeout,
                enqueued: Notify::new(),
                stored_pending: AtomicU64::new(0),
                worker_slots: Arc::new(Semaphore::new(0)),
                integrations: IntegrationCache::new(self.integration_cache_ttl),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use jirasync_domain::{InMemoryStore, StaticJiraDirectory};

    use super::*;

    fn builder() -> SyncServiceBuilder {
        let store = Arc::new(InMemoryStore::new());
        SyncService::builder(store.clone(), store, Arc::new(StaticJiraDirectory::new()))
    }

    #[test]
    fn inbox_mode_needs_an_inbox() {
        let error = builder().build().err();
        assert_eq!(error, Some(BuildError::InboxModeWithoutInbox));
    }

    #[test]
    fn inline_mode_needs_no_inbox() {
        let service = builder().mode(WebhookMode::Inline).build();
        assert!(service.is_ok_and(|service| service.inbox().is_none()));
    }
}
