//! What the webhook, health and metrics routes share: the service, and the HTTP settings.

use jirasync_service::SyncService;

/// The default request body limit of the webhook route: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Why an [`AppState`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The body limit is zero.
    #[error("the webhook body limit is 0 bytes: every delivery would be refused; use at least 1")]
    ZeroBodyLimit,
}

/// The state of the webhook, health and metrics routes: the [`SyncService`] and the webhook
/// route's body limit. Cheap to clone: clones share the service.
#[derive(Debug, Clone)]
pub struct AppState {
    service: SyncService,
    body_limit: usize,
}

impl AppState {
    /// The routes' state on `service`, with the [`DEFAULT_BODY_LIMIT`].
    pub fn new(service: SyncService) -> Self {
        Self {
            service,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// A builder on `service`, to change the HTTP settings.
    pub fn builder(service: SyncService) -> AppStateBuilder {
        AppStateBuilder {
            state: Self::new(service),
        }
    }

    /// The service the routes hand deliveries to (and whose inbox the workers drain).
    pub fn service(&self) -> &SyncService {
        &self.service
    }

    /// The webhook route's body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }
}

/// Builds an [`AppState`]; see [`AppState::builder`].
#[derive(Debug)]
#[must_use]
pub struct AppStateBuilder {
    state: AppState,
}

impl AppStateBuilder {
    /// The webhook route's body limit in bytes ([`DEFAULT_BODY_LIMIT`] by default).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.state.body_limit = bytes;
        self
    }

    /// The state, or why these settings do not work.
    ///
    /// # Errors
    ///
    /// [`BuildError::ZeroBodyLimit`] for a body limit of 0.
    pub fn build(self) -> Result<AppState, BuildError> {
        if self.state.body_limit == 0 {
            return Err(BuildError::ZeroBodyLimit);
        }
        Ok(self.state)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use std::sync::Arc;

    use jirasync_domain::{InMemoryStore, StaticJiraDirectory};
    use jirasync_service::WebhookMode;

    use super::*;

    fn service() -> SyncService {
        let store = Arc::new(InMemoryStore::new());
        SyncService::builder(store.clone(), store, Arc::new(StaticJiraDirectory::new()))
            .mode(WebhookMode::Inline)
            .build()
            .unwrap()
    }

    #[test]
    fn a_zero_body_limit_is_refused() {
        let error = AppState::builder(service()).body_limit(0).build().err();
        assert_eq!(error, Some(BuildError::ZeroBodyLimit));
    }
}
