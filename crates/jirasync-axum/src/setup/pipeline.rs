//! The setup pipeline's server-side state: what one browser entered and the request token it is
//! approving, kept under a random session id with an expiry.
//!
//! [`PipelineStore`] is a trait so that several instances behind a load balancer can share the
//! state; [`InMemoryPipelineStore`] serves a single instance.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use jirasync_client::RequestToken;
use jirasync_core::{Clock, Secret, SystemClock};
use jirasync_domain::StoreError;
use jirasync_service::InstallationData;

use super::SetupGrant;

/// How long a pipeline lives after its last change unless configured otherwise: Jira's request
/// tokens live about as long.
pub const DEFAULT_PIPELINE_TTL: Duration = Duration::from_secs(10 * 60);

/// How many pipelines the in-memory store keeps unless configured otherwise.
pub const DEFAULT_PIPELINE_CAPACITY: usize = 1024;

jirasync_core::secret_newtype! {
    /// The random id of a pipeline, carried by the session cookie. A credential: `Debug` and
    /// `Display` hide it; [`PipelineId::new`] wraps one received in a cookie.
    #[derive(Hash)]
    pub struct PipelineId;
}

impl PipelineId {
    /// A new random id: 32 bytes from the operating system, hex-encoded.
    pub fn generate() -> Self {
        Self::from(Secret::random_hex::<32>())
    }
}

jirasync_core::secret_newtype! {
    /// The anti-CSRF token of a pipeline: put in the form (or given to the JSON client) and
    /// required back with every state-changing request, where [`CsrfToken::matches`] compares it
    /// in constant time.
    pub struct CsrfToken;
}

impl CsrfToken {
    /// A new random token: 32 bytes from the operating system, hex-encoded.
    pub fn generate() -> Self {
        Self::from(Secret::random_hex::<32>())
    }
}

/// Which front end drives a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PipelineFlow {
    /// The server-rendered pages.
    Html,
    /// The JSON steps.
    Json,
}

/// Where a pipeline is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PipelineStage {
    /// The form has not been accepted yet.
    Config,
    /// The form was accepted and the user is approving `request_token` in Jira.
    Authorizing {
        /// The accepted form.
        installation: Box<InstallationData>,
        /// The request token being approved.
        request_token: RequestToken,
    },
}

/// One browser's setup in progress.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Pipeline {
    /// Required back with every state-changing request.
    pub csrf_token: CsrfToken,
    /// Which front end drives it.
    pub flow: PipelineFlow,
    /// Where it is.
    pub stage: PipelineStage,
    /// What opened it: the admin token or a one-time set-up link.
    pub grant: SetupGrant,
}

impl Pipeline {
    /// A new pipeline at the form, opened by `grant`, with a fresh CSRF token.
    pub fn new(flow: PipelineFlow, grant: SetupGrant) -> Self {
        Self {
            csrf_token: CsrfToken::generate(),
            flow,
            stage: PipelineStage::Config,
            grant,
        }
    }
}

/// Where pipelines are kept between requests. Every pipeline expires some time after its last
/// [`insert`](Self::insert); an expired one is never returned.
#[async_trait]
pub trait PipelineStore: fmt::Debug + Send + Sync {
    /// Stores `pipeline` under `id` (replacing what was there) and restarts its expiry.
    async fn insert(&self, id: &PipelineId, pipeline: Pipeline) -> Result<(), StoreError>;

    /// The live pipeline under `id`.
    async fn get(&self, id: &PipelineId) -> Result<Option<Pipeline>, StoreError>;

    /// Removes and returns the live pipeline under `id`: a request token is exchanged once.
    async fn take(&self, id: &PipelineId) -> Result<Option<Pipeline>, StoreError>;
}

#[derive(Debug)]
struct Entry {
    pipeline: Pipeline,
    expires_at: u64,
}

/// Pipelines in this process's memory, with a time to live and a bounded size: when full, expired
/// pipelines go first, then the one closest to expiry.
#[derive(Debug)]
pub struct InMemoryPipelineStore {
    entries: Mutex<HashMap<PipelineId, Entry>>,
    ttl_seconds: u64,
    capacity: usize,
    clock: Arc<dyn Clock>,
}

impl Default for InMemoryPipelineStore {
    fn default() -> Self {
        Self::new(DEFAULT_PIPELINE_TTL, DEFAULT_PIPELINE_CAPACITY)
    }
}

impl InMemoryPipelineStore {
    /// A store whose pipelines live `ttl` after their last change, holding at most `capacity`
    /// (at least one).
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl_seconds: ttl.as_secs(),
            capacity: capacity.max(1),
            clock: Arc::new(SystemClock),
        }
    }

    /// Uses another clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How many pipelines are held, expired ones included until they are swept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no pipeline is held.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PipelineId, Entry>> {
        // A panic while holding the lock cannot leave a map half-changed: every change is a
        // single insert or remove.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl PipelineStore for InMemoryPipelineStore {
    async fn insert(&self, id: &PipelineId, pipeline: Pipeline) -> Result<(), StoreError> {
        let now = self.clock.unix_timestamp();
        let mut entries = self.lock();
        if !entries.contains_key(id) && entries.len() >= self.capacity {
            entries.retain(|_, entry| entry.expires_at > now);
            if entries.len() >= self.capacity {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.expires_at)
                    .map(|(id, _)| id.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(
            id.clone(),
            Entry {
                pipeline,
                expires_at: now.saturating_add(self.ttl_seconds),
            },
        );
        Ok(())
    }

    async fn get(&self, id: &PipelineId) -> Result<Option<Pipeline>, StoreError> {
        let now = self.clock.unix_timestamp();
        let mut entries = self.lock();
        match entries.get(id) {
            Some(entry) if entry.expires_at > now => Ok(Some(entry.pipeline.clone())),
            Some(_) => {
                entries.remove(id);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn take(&self, id: &PipelineId) -> Result<Option<Pipeline>, StoreError> {
        let now = self.clock.unix_timestamp();
        Ok(self
            .lock()
            .remove(id)
            .filter(|entry| entry.expires_at > now)
            .map(|entry| entry.pipeline))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is a failed test")]

    use jirasync_core::ManualClock;

    use super::*;

    fn store(capacity: usize) -> (InMemoryPipelineStore, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        let store = InMemoryPipelineStore::new(Duration::from_secs(600), capacity)
            .with_clock(Arc::clone(&clock) as Arc<dyn Clock>);
        (store, clock)
    }

    #[tokio::test]
    async fn a_pipeline_expires_after_its_ttl() {
        let (store, clock) = store(4);
        let id = PipelineId::generate();
        store
            .insert(&id, Pipeline::new(PipelineFlow::Html, SetupGrant::Admin))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(599));
        assert!(store.get(&id).await.unwrap().is_some());
        clock.advance(Duration::from_secs(1));
        assert!(store.get(&id).await.unwrap().is_none());
        assert!(store.is_empty());
    }

    #[tokio::test]
    async fn take_removes_the_pipeline() {
        let (store, _clock) = store(4);
        let id = PipelineId::generate();
        store
            .insert(&id, Pipeline::new(PipelineFlow::Json, SetupGrant::Admin))
            .await
            .unwrap();
        assert!(store.take(&id).await.unwrap().is_some());
        assert!(store.take(&id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_full_store_drops_expired_then_oldest_pipelines() {
        let (store, clock) = store(2);
        let first = PipelineId::generate();
        let second = PipelineId::generate();
        let third = PipelineId::generate();
        store
            .insert(&first, Pipeline::new(PipelineFlow::Html, SetupGrant::Admin))
            .await
            .unwrap();
        clock.advance(Duration::from_secs(10));
        store
            .insert(
                &second,
                Pipeline::new(PipelineFlow::Html, SetupGrant::Admin),
            )
            .await
            .unwrap();
        store
            .insert(&third, Pipeline::new(PipelineFlow::Html, SetupGrant::Admin))
            .await
            .unwrap();
        assert_eq!(store.len(), 2);
        assert!(store.get(&first).await.unwrap().is_none());
        assert!(store.get(&second).await.unwrap().is_some());
        assert!(store.get(&third).await.unwrap().is_some());
    }

    #[test]
    fn csrf_tokens_compare_exactly_and_never_print() {
        let token = CsrfToken::generate();
        assert!(token.matches(token.expose_secret()));
        assert!(!token.matches(""));
        assert!(!token.matches(token.expose_secret().get(1..).unwrap()));
        assert!(!format!("{token:?}").contains(token.expose_secret()));
        let id = PipelineId::generate();
        assert!(!format!("{id:?}").contains(id.expose_secret()));
    }
}
