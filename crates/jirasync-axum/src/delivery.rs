//! From a URL token and a body to the changes to apply, and applying them: the steps the webhook
//! route (inline and inbox modes) and the inbox workers share.
//!
//! Data flows one way: token → integration (looked up by provider **and** external id, then
//! verified against every stored secret) → payload → change set → sync rules → outcome.

use std::time::Instant;

use axum::http::StatusCode;
use jirasync_domain::StoreError;
use jirasync_domain::integration::{ExternalId, Integration, JIRA_SERVER_PROVIDER};
use jirasync_domain::rules::inbound::ChangeSetOutcome;
use jirasync_domain::rules::outcome::SyncError;
use jirasync_webhook::{
    ChangeSet, Classification, EventTime, IssueKey, PayloadError, TokenError, classify, parse,
    peek_external_id, verify_token,
};

use crate::error::ApiError;
use crate::metrics::{ProcessingPath, WebhookOutcome};
use crate::state::AppState;

/// Why a delivery was not (fully) handled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The URL token was refused (its message is the reference's, e.g. ``Token did not contain `id` ``).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The token is well formed but no `jira_server` integration has its external id.
    #[error("Could not find integration for token")]
    UnknownIntegration,
    /// The body is not a usable Jira payload.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The store failed while looking up the integration.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sync rules failed.
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl DeliveryError {
    /// Whether handling the delivery again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Token(_) | Self::UnknownIntegration | Self::Payload(_) => false,
            Self::Store(error) => error.is_retryable(),
            Self::Sync(error) => error.is_retryable(),
        }
    }

    /// The metric outcome of a delivery refused with this error.
    pub fn outcome(&self) -> WebhookOutcome {
        match self {
            Self::Token(_) | Self::UnknownIntegration => WebhookOutcome::InvalidToken,
            Self::Payload(_) => WebhookOutcome::BadPayload,
            _ if self.is_retryable() => WebhookOutcome::Unavailable,
            Self::Store(_) | Self::Sync(_) => WebhookOutcome::Failed,
        }
    }
}

impl From<DeliveryError> for ApiError {
    /// Store failures as [`ApiError`] maps them (503 when unavailable); token and payload
    /// refusals → 400 with their message; other retryable failures (Jira unreachable) → 503; a
    /// sync that cannot succeed → 400.
    fn from(error: DeliveryError) -> Self {
        match error {
            DeliveryError::Store(error) | DeliveryError::Sync(SyncError::Store(error)) => {
                Self::from(error)
            }
            error if error.is_retryable() => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{error}; Jira may send the delivery again later"),
            ),
            error => Self::bad_request(error.to_string()),
        }
    }
}

/// A delivery whose token was verified and whose body was read.
#[derive(Debug)]
pub struct OpenedDelivery {
    /// The integration the token names.
    pub integration: Integration,
    /// The changes to sync; `None` when there is nothing to sync (no changelog, or one that
    /// touches neither the assignee nor the status).
    pub changes: Option<ChangeSet>,
}

impl OpenedDelivery {
    /// The Jira issue the changes are about.
    pub fn issue_key(&self) -> Option<&IssueKey> {
        let changes = self.changes.as_ref()?;
        changes
            .assignee
            .as_ref()
            .map(|change| &change.issue_key)
            .or_else(|| changes.status.as_ref().map(|change| &change.issue_key))
    }

    /// When the changes happened in Jira.
    pub fn occurred_at(&self) -> Option<EventTime> {
        let changes = self.changes.as_ref()?;
        changes
            .assignee
            .as_ref()
            .and_then(|change| change.occurred_at)
            .or_else(|| {
                changes
                    .status
                    .as_ref()
                    .and_then(|change| change.occurred_at)
            })
    }

    /// The inbox ordering key: deliveries of one issue of one integration are applied one at a
    /// time, oldest first.
    pub fn ordering_key(&self) -> Option<String> {
        self.issue_key()
            .map(|key| format!("{}:{}", self.integration.id, key.as_str()))
    }
}

/// The `jira_server` integration a URL token names, once the token verifies against one of its
/// webhook secrets (reference §3.2, with the provider filter it lacks).
pub async fn authenticate(state: &AppState, token: &str) -> Result<Integration, DeliveryError> {
    let external_id = ExternalId::new(peek_external_id(token)?);
    let integration = state
        .store()
        .integration_by_external_id(JIRA_SERVER_PROVIDER, &external_id)
        .await?
        .ok_or(DeliveryError::UnknownIntegration)?;
    verify_token(token, &integration.metadata.webhook_secrets)?;
    Ok(integration)
}

/// Verifies the token, then parses and classifies the body.
pub async fn open(
    state: &AppState,
    token: &str,
    body: &[u8],
) -> Result<OpenedDelivery, DeliveryError> {
    let integration = authenticate(state, token).await?;
    let changes = match classify(&parse(body)?)? {
        Classification::Changes(changes) if !changes.is_empty() => Some(changes),
        _ => None,
    };
    Ok(OpenedDelivery {
        integration,
        changes,
    })
}

/// Applies a delivery's changes with the sync rules, counting the outcome and the time taken.
pub async fn apply(
    state: &AppState,
    integration: &Integration,
    changes: &ChangeSet,
    path: ProcessingPath,
) -> Result<ChangeSetOutcome, DeliveryError> {
    let started = Instant::now();
    let result = state.sync().apply_change_set(integration.id, changes).await;
    let metrics = state.metrics();
    metrics.observe_processing(path, started.elapsed());
    match result {
        Ok(outcome) => {
            metrics.sync_applied(&outcome);
            Ok(outcome)
        }
        Err(error) => {
            metrics.sync_failed(error.is_retryable());
            tracing::info!(integration_id = %integration.id, %error, "sync-failed");
            Err(error.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use jirasync_domain::ids::IntegrationId;
    use jirasync_domain::jira_directory::DirectoryError;

    use super::*;

    fn status(error: DeliveryError) -> StatusCode {
        ApiError::from(error).status()
    }

    #[test]
    fn refusals_of_the_input_are_400() {
        assert_eq!(
            status(TokenError::MissingId.into()),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(DeliveryError::UnknownIntegration),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn retryable_failures_are_503_and_others_400() {
        let jira_down = SyncError::Directory(DirectoryError::Unreachable {
            message: "timed out".into(),
        });
        assert_eq!(status(jira_down.into()), StatusCode::SERVICE_UNAVAILABLE);
        let gone = SyncError::UnknownIntegration {
            integration_id: IntegrationId::new(9),
        };
        let gone = DeliveryError::from(gone);
        assert_eq!(gone.outcome(), WebhookOutcome::Failed);
        assert_eq!(status(gone), StatusCode::BAD_REQUEST);
        let store_down = SyncError::Store(StoreError::unavailable("pool timed out"));
        assert_eq!(status(store_down.into()), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn store_failures_keep_their_kind() {
        let broken = DeliveryError::Store(StoreError::other("disk full"));
        assert_eq!(broken.outcome(), WebhookOutcome::Failed);
        assert_eq!(status(broken), StatusCode::INTERNAL_SERVER_ERROR);
        let down = DeliveryError::Store(StoreError::unavailable("down"));
        assert_eq!(down.outcome(), WebhookOutcome::Unavailable);
    }
}
