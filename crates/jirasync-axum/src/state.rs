//! What every route and worker shares: the store, the inbox, the sync rules, the settings.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use jirasync_domain::{InboundSync, JiraDirectory, Store};
use jirasync_store::inbox::Inbox;
use tokio::sync::Notify;

use crate::metrics::Metrics;
use crate::worker::WorkerOptions;

/// The default request body limit of the webhook route: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What the webhook route does with a valid delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebhookMode {
    /// Store it in the inbox and answer 202; workers apply it ([`crate::spawn_workers`]).
    #[default]
    Inbox,
    /// Apply it in the request and answer 200.
    Inline,
}

/// A source of wall-clock time (receipt times, inbox leases), injectable for tests.
pub trait WallClock: fmt::Debug + Send + Sync {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Why an [`AppState`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Inbox mode was chosen without an inbox.
    #[error(
        "the webhook mode is `inbox` but no inbox was given: pass one with `.inbox(...)` or choose `WebhookMode::Inline`"
    )]
    InboxModeWithoutInbox,
    /// The body limit is zero.
    #[error("the webhook body limit is 0 bytes: every delivery would be refused; use at least 1")]
    ZeroBodyLimit,
}

/// The state of the routes of this crate and of the inbox workers. Cheap to clone: clones share
/// everything.
///
/// Build it with [`AppState::builder`].
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    inbox: Option<Arc<dyn Inbox>>,
    sync: InboundSync<dyn Store, dyn JiraDirectory>,
    mode: WebhookMode,
    body_limit: usize,
    metrics: Metrics,
    clock: Arc<dyn WallClock>,
    workers: WorkerOptions,
    /// Woken when a delivery is enqueued, so idle workers need not wait for their next poll.
    enqueued: Notify,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("mode", &self.inner.mode)
            .field("inbox", &self.inner.inbox.is_some())
            .field("body_limit", &self.inner.body_limit)
            .field("workers", &self.inner.workers)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// A builder on `store` (the domain's storage traits) and `directory` (the Jira look-ups, such
    /// as [`crate::ClientJiraDirectory`]).
    pub fn builder(store: Arc<dyn Store>, directory: Arc<dyn JiraDirectory>) -> AppStateBuilder {
        AppStateBuilder {
            store,
            directory,
            inbox: None,
            mode: WebhookMode::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            metrics: Metrics::new(),
            clock: Arc::new(SystemWallClock),
            workers: WorkerOptions::default(),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The inbox, if one was given.
    pub fn inbox(&self) -> Option<&Arc<dyn Inbox>> {
        self.inner.inbox.as_ref()
    }

    /// The inbound sync rules on the store and the Jira directory.
    pub fn sync(&self) -> &InboundSync<dyn Store, dyn JiraDirectory> {
        &self.inner.sync
    }

    /// The webhook mode.
    pub fn mode(&self) -> WebhookMode {
        self.inner.mode
    }

    /// The webhook route's body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Now, on the state's clock.
    pub fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// The inbox workers' settings.
    pub fn worker_options(&self) -> &WorkerOptions {
        &self.inner.workers
    }

    pub(crate) fn enqueued(&self) -> &Notify {
        &self.inner.enqueued
    }
}

/// Builds an [`AppState`]; see [`AppState::builder`].
#[must_use]
pub struct AppStateBuilder {
    store: Arc<dyn Store>,
    directory: Arc<dyn JiraDirectory>,
    inbox: Option<Arc<dyn Inbox>>,
    mode: WebhookMode,
    body_limit: usize,
    metrics: Metrics,
    clock: Arc<dyn WallClock>,
    workers: WorkerOptions,
}

impl fmt::Debug for AppStateBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppStateBuilder")
            .field("mode", &self.mode)
            .field("inbox", &self.inbox.is_some())
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl AppStateBuilder {
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

    /// The webhook route's body limit in bytes ([`DEFAULT_BODY_LIMIT`] by default).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The metrics registry (a new one by default).
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The wall clock ([`SystemWallClock`] by default).
    pub fn clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.clock = clock;
        self
    }

    /// The inbox workers' settings.
    pub fn worker_options(mut self, options: WorkerOptions) -> Self {
        self.workers = options;
        self
    }

    /// The state, or why these settings do not work together.
    pub fn build(self) -> Result<AppState, BuildError> {
        if self.mode == WebhookMode::Inbox && self.inbox.is_none() {
            return Err(BuildError::InboxModeWithoutInbox);
        }
        if self.body_limit == 0 {
            return Err(BuildError::ZeroBodyLimit);
        }
        let sync = InboundSync::new(Arc::clone(&self.store), self.directory);
        Ok(AppState {
            inner: Arc::new(Inner {
                store: self.store,
                inbox: self.inbox,
                sync,
                mode: self.mode,
                body_limit: self.body_limit,
                metrics: self.metrics,
                clock: self.clock,
                workers: self.workers,
                enqueued: Notify::new(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use jirasync_domain::{InMemoryStore, StaticJiraDirectory};

    use super::*;

    fn builder() -> AppStateBuilder {
        AppState::builder(
            Arc::new(InMemoryStore::new()),
            Arc::new(StaticJiraDirectory::new()),
        )
    }

    #[test]
    fn inbox_mode_needs_an_inbox() {
        let error = builder().build().err();
        assert_eq!(error, Some(BuildError::InboxModeWithoutInbox));
    }

    #[test]
    fn a_zero_body_limit_is_refused() {
        let error = builder()
            .mode(WebhookMode::Inline)
            .body_limit(0)
            .build()
            .err();
        assert_eq!(error, Some(BuildError::ZeroBodyLimit));
    }

    #[test]
    fn inline_mode_needs_no_inbox() {
        let state = builder().mode(WebhookMode::Inline).build();
        assert!(state.is_ok_and(|state| state.inbox().is_none()));
    }
}
