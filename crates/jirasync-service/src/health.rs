//! What the health and metrics endpoints report: whether the store and the inbox answer, and the
//! Prometheus exposition with the inbox depth read now.

use std::time::Duration;

use jirasync_domain::StoreError;
use jirasync_domain::ids::IntegrationId;

use crate::service::SyncService;

/// Why the service is not ready to take deliveries.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadinessError {
    /// The store did not answer a read.
    #[error(transparent)]
    Store(StoreError),
    /// The inbox did not answer a read.
    #[error("the inbox failed: {0}")]
    Inbox(#[source] StoreError),
    /// The store and the inbox did not both answer within the readiness timeout
    /// ([`SyncServiceBuilder::readiness_timeout`](crate::SyncServiceBuilder::readiness_timeout)).
    #[error("the store did not answer within {} s, retry later", after.as_secs_f64())]
    TimedOut {
        /// The readiness timeout.
        after: Duration,
    },
}

impl SyncService {
    /// Whether the store (and the inbox, if any) answers a read within the readiness timeout
    /// (1 s by default); a failure is logged (`readiness-store-failed`,
    /// `readiness-inbox-failed`, `readiness-timed-out`).
    ///
    /// # Errors
    ///
    /// The [`ReadinessError`] naming what did not answer.
    pub async fn check_ready(&self) -> Result<(), ReadinessError> {
        let after = self.readiness_timeout();
        match tokio::time::timeout(after, self.read_store_and_inbox()).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(timeout_secs = after.as_secs_f64(), "readiness-timed-out");
                Err(ReadinessError::TimedOut { after })
            }
        }
    }

    async fn read_store_and_inbox(&self) -> Result<(), ReadinessError> {
        // Any cheap read proves the store answers; id 0 is never assigned.
        if let Err(error) = self.store().integration(IntegrationId::new(0)).await {
            tracing::warn!(%error, "readiness-store-failed");
            return Err(ReadinessError::Store(error));
        }
        if let Some(inbox) = self.inbox()
            && let Err(error) = inbox.depth(self.now()).await
        {
            tracing::warn!(%error, "readiness-inbox-failed");
            return Err(ReadinessError::Inbox(error));
        }
        Ok(())
    }

    /// The Prometheus exposition of the service's metrics (served with
    /// [`METRICS_CONTENT_TYPE`](crate::METRICS_CONTENT_TYPE)), with the inbox depth read now.
    /// When the inbox cannot be read the depth is left out (and logged) rather than failing the
    /// scrape.
    pub async fn render_metrics(&self) -> String {
        let depth = match self.inbox() {
            None => None,
            Some(inbox) => match inbox.depth(self.now()).await {
                Ok(depth) => Some(depth),
                Err(error) => {
                    tracing::warn!(%error, "metrics-inbox-depth-failed");
                    None
                }
            },
        };
        self.metrics().render(depth)
    }
}
