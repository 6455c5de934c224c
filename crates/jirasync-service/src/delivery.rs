//! From a URL token (or a stored delivery's source) and a body to the changes to apply, and
//! applying them: the steps the receiver (inline and inbox modes) and the inbox workers share.
//!
//! Data flows one way: token → integration (looked up by provider **and** external id, then
//! verified against every stored secret) → payload → change set → sync rules → outcome. A
//! stored delivery names the integration its token was verified for at receipt, and is not
//! verified again.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jirasync_domain::StoreError;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::inbox::{DeliveryCompletion, DeliveryId, DeliverySource};
use jirasync_domain::integration::{ExternalId, Integration, JIRA_SERVER_PROVIDER};
use jirasync_domain::rules::inbound::ChangeSetOutcome;
use jirasync_domain::rules::outcome::SyncError;
use jirasync_webhook::{
    ChangeSet, Classification, EventTime, IssueKey, PayloadError, TokenError, classify, parse,
    peek_external_id, verify_token,
};

use crate::metrics::{ProcessingPath, WebhookOutcome};
use crate::service::SyncService;

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
    /// A stored delivery's integration was removed after the delivery was received.
    #[error(
        "integration {integration_id} no longer exists: it was removed after this delivery was received, so there is nothing to apply it to"
    )]
    IntegrationGone {
        /// The integration whose token was verified at receipt.
        integration_id: IntegrationId,
    },
    /// The body is not a usable Jira payload.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The store (or the inbox) failed.
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
            Self::Token(_)
            | Self::UnknownIntegration
            | Self::IntegrationGone { .. }
            | Self::Payload(_) => false,
            Self::Store(error) => error.is_retryable(),
            Self::Sync(error) => error.is_retryable(),
        }
    }

    /// Whether the delivery can be applied once an operator fixes the installation (it has no
    /// credentials to call Jira with, or Jira refuses them): not retried on its own, kept for a
    /// replay.
    pub fn needs_operator(&self) -> bool {
        matches!(self, Self::Sync(error) if error.needs_operator())
    }

    /// Whether the failure lies with Jira or with this installation, not with the delivery: Jira
    /// unreachable, or an installation that cannot call it ([`DeliveryError::needs_operator`]).
    /// Inline mode keeps such a delivery in the inbox instead of refusing it.
    pub fn is_jira_unavailable(&self) -> bool {
        matches!(self, Self::Sync(SyncError::Directory(_)))
    }

    /// The message an inbox row keeps for this failure, which `jirasync inbox list` shows: the
    /// error, and for a delivery waiting for an operator what to do about it.
    pub fn inbox_message(&self, id: DeliveryId) -> String {
        if self.needs_operator() {
            format!(
                "parked, not retried: {self}; fix the installation's credentials, then run `jirasync inbox replay {id}`"
            )
        } else {
            self.to_string()
        }
    }

    /// The metric outcome of a delivery refused with this error.
    pub fn outcome(&self) -> WebhookOutcome {
        match self {
            Self::Token(_) | Self::UnknownIntegration => WebhookOutcome::InvalidToken,
            Self::Payload(_) => WebhookOutcome::BadPayload,
            _ if self.is_retryable() || self.needs_operator() => WebhookOutcome::Unavailable,
            Self::IntegrationGone { .. } | Self::Store(_) | Self::Sync(_) => WebhookOutcome::Failed,
        }
    }
}

/// A delivery whose integration is known and whose body was read.
#[derive(Debug)]
pub(crate) struct OpenedDelivery {
    /// The integration the token names.
    pub(crate) integration: Integration,
    /// The changes to sync; `None` when there is nothing to sync (no changelog, or one that
    /// touches neither the assignee nor the status, and no comment added).
    pub(crate) changes: Option<ChangeSet>,
}

impl OpenedDelivery {
    /// The Jira issue the changes are about.
    fn issue_key(&self) -> Option<&IssueKey> {
        self.changes.as_ref()?.issue_key()
    }

    /// When the changes happened in Jira (for a comment alone, when it was written).
    pub(crate) fn occurred_at(&self) -> Option<EventTime> {
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
            .or_else(|| changes.comment.as_ref().and_then(|comment| comment.created))
    }

    /// The inbox ordering key: deliveries of one issue of one integration are applied one at a
    /// time, oldest first.
    pub(crate) fn ordering_key(&self) -> Option<String> {
        self.issue_key()
            .map(|key| format!("{}:{}", self.integration.id, key.as_str()))
    }
}

/// The `jira_server` integration a URL token names, once the token verifies against one of its
/// webhook secrets (reference §3.2, with the provider filter it lacks).
/// The integration read lately is reused while its secrets verify the token (see
/// [`crate::integration_cache`]).
async fn authenticate(service: &SyncService, token: &str) -> Result<Integration, DeliveryError> {
    let external_id = ExternalId::new(peek_external_id(token)?);
    let cache = service.integration_cache();
    if let Some(kept) = cache.get(&external_id, service.now()) {
        if verify_token(token, &kept.metadata.webhook_secrets).is_ok() {
            return Ok(kept);
        }
        cache.forget(&external_id);
    }
    let integration = service
        .store()
        .integration_by_external_id(JIRA_SERVER_PROVIDER, &external_id)
        .await?
        .ok_or(DeliveryError::UnknownIntegration)?;
    verify_token(token, &integration.metadata.webhook_secrets)?;
    cache.put(&integration, service.now());
    Ok(integration)
}

/// The changes a body asks for: parsed and classified; `None` when there is nothing to sync.
fn read_changes(body: &[u8]) -> Result<Option<ChangeSet>, DeliveryError> {
    Ok(match classify(&parse(body)?)? {
        Classification::Changes(changes) if !changes.is_empty() => Some(changes),
        _ => None,
    })
}

/// The changes a body asks for, with any event time later than `received_at` plus the
/// service's tolerance dropped (see [`bound_event_times`]); `Some(time)` for a dropped one.
fn read_bounded_changes(
    service: &SyncService,
    body: &[u8],
    received_at: SystemTime,
) -> Result<(Option<ChangeSet>, Option<EventTime>), DeliveryError> {
    let mut changes = read_changes(body)?;
    let ignored = changes.as_mut().and_then(|changes| {
        bound_event_times(changes, received_at, service.event_time_tolerance())
    });
    Ok((changes, ignored))
}

/// Drops the event times of `changes` that lie more than `tolerance` after `received_at`, and
/// returns the latest one dropped. Such a time cannot be right (Jira's clock, or a forged
/// payload): stored as a watermark it would make every later change of the issue look stale.
/// Without its time the change is applied and leaves the watermark where it is, as a change
/// without a time always did. Times in the past are kept.
pub(crate) fn bound_event_times(
    changes: &mut ChangeSet,
    received_at: SystemTime,
    tolerance: Duration,
) -> Option<EventTime> {
    let latest_allowed = received_at
        .checked_add(tolerance)
        .and_then(|latest| latest.duration_since(UNIX_EPOCH).ok())
        .map_or(i64::MAX, |since_epoch| {
            i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
        });
    let mut dropped = None;
    let times = [
        changes
            .assignee
            .as_mut()
            .map(|change| &mut change.occurred_at),
        changes
            .status
            .as_mut()
            .map(|change| &mut change.occurred_at),
    ];
    for time in times.into_iter().flatten() {
        if let Some(at) = time.filter(|at| at.unix_millis() > latest_allowed) {
            *time = None;
            dropped = dropped.max(Some(at));
        }
    }
    dropped
}

/// Verifies the token, then reads the body; an event time beyond the tolerance window is
/// dropped, logged as `event-time-ignored` and counted.
pub(crate) async fn open(
    service: &SyncService,
    token: &str,
    body: &[u8],
) -> Result<OpenedDelivery, DeliveryError> {
    let integration = authenticate(service, token).await?;
    let received_at = service.now();
    let (changes, ignored) = read_bounded_changes(service, body, received_at)?;
    if let Some(event_time) = ignored {
        tracing::warn!(
            integration_id = %integration.id,
            event_time_ms = event_time.unix_millis(),
            tolerance_secs = service.event_time_tolerance().as_secs(),
            "event-time-ignored"
        );
        service.metrics().event_time_ignored();
    }
    Ok(OpenedDelivery {
        integration,
        changes,
    })
}

/// Opens a stored delivery: the integration verified at receipt is loaded as it is now (not
/// verified again, so a secret rotated out since then does not fail a genuine delivery); a
/// legacy row's token is verified as it was before the inbox kept integrations. Event times are
/// bounded as at receipt, against `received_at` (the receiver already logged and counted them).
pub(crate) async fn open_stored(
    service: &SyncService,
    source: &DeliverySource,
    body: &[u8],
    received_at: SystemTime,
) -> Result<OpenedDelivery, DeliveryError> {
    match source {
        DeliverySource::Integration(integration_id) => {
            let integration = service.store().integration(*integration_id).await?.ok_or(
                DeliveryError::IntegrationGone {
                    integration_id: *integration_id,
                },
            )?;
            let (changes, _) = read_bounded_changes(service, body, received_at)?;
            Ok(OpenedDelivery {
                integration,
                changes,
            })
        }
        DeliverySource::LegacyToken(token) => open(service, token.expose_secret(), body).await,
    }
}

/// Applies a delivery's changes with the sync rules, counting the outcome and the time taken;
/// an inbox delivery's `completion` goes to the sync of its last change
/// ([`InboundSync::apply_delivery`](jirasync_domain::InboundSync::apply_delivery)).
pub(crate) async fn apply(
    service: &SyncService,
    integration: &Integration,
    changes: &ChangeSet,
    path: ProcessingPath,
    completion: Option<&DeliveryCompletion>,
) -> Result<ChangeSetOutcome, DeliveryError> {
    let started = Instant::now();
    let result = service
        .sync()
        .apply_delivery_with(integration, changes, completion)
        .await;
    let metrics = service.metrics();
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
    use jirasync_domain::DirectoryError;

    use super::*;

    #[test]
    fn refusals_of_the_input_are_not_retried() {
        let missing_id = DeliveryError::from(TokenError::MissingId);
        assert_eq!(missing_id.outcome(), WebhookOutcome::InvalidToken);
        assert!(!missing_id.is_retryable());
        let gone = DeliveryError::IntegrationGone {
            integration_id: IntegrationId::new(7),
        };
        assert_eq!(gone.outcome(), WebhookOutcome::Failed);
        assert!(!gone.is_retryable());
    }

    #[test]
    fn jira_being_unreachable_is_retried() {
        let jira_down = DeliveryError::from(SyncError::Directory(DirectoryError::Unreachable {
            message: "timed out".into(),
        }));
        assert!(jira_down.is_retryable());
        assert!(jira_down.is_jira_unavailable());
        assert_eq!(jira_down.outcome(), WebhookOutcome::Unavailable);
        assert_eq!(
            jira_down.inbox_message(DeliveryId::new(3)),
            jira_down.to_string()
        );
    }

    #[test]
    fn missing_credentials_wait_for_an_operator() {
        let error = DeliveryError::from(SyncError::Directory(DirectoryError::NoCredentials {
            integration_id: IntegrationId::new(7),
        }));
        assert!(!error.is_retryable());
        assert!(error.needs_operator());
        assert!(error.is_jira_unavailable());
        assert_eq!(error.outcome(), WebhookOutcome::Unavailable);
        let message = error.inbox_message(DeliveryId::new(12));
        assert!(message.starts_with("parked, not retried: "), "{message}");
        assert!(
            message.contains("no credentials for integration 7"),
            "{message}"
        );
        assert!(message.contains("`jirasync inbox replay 12`"), "{message}");
    }

    #[test]
    fn event_times_beyond_the_tolerance_are_dropped_and_past_ones_kept() {
        use jirasync_webhook::{AssigneeChanged, StatusChanged};
        let received_at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let now_ms = 1_700_000_000_000;
        let hour = Duration::from_secs(3600);
        let mut changes = ChangeSet {
            delivery_key: None,
            assignee: Some(AssigneeChanged {
                issue_key: IssueKey::new("APP-1"),
                issue_id: None,
                assignee: None,
                occurred_at: Some(EventTime::from_unix_millis(i64::MAX)),
            }),
            status: Some(StatusChanged {
                issue_key: IssueKey::new("APP-1"),
                issue_id: None,
                from: None,
                to: None,
                from_name: None,
                to_name: None,
                occurred_at: Some(EventTime::from_unix_millis(now_ms + 3_600_000)),
            }),
            comment: None,
        };
        assert_eq!(
            bound_event_times(&mut changes, received_at, hour),
            Some(EventTime::from_unix_millis(i64::MAX))
        );
        let assignee = changes
            .assignee
            .as_ref()
            .and_then(|change| change.occurred_at);
        let status = changes
            .status
            .as_ref()
            .and_then(|change| change.occurred_at);
        assert_eq!(assignee, None);
        // Exactly at the edge of the window: kept.
        assert_eq!(
            status,
            Some(EventTime::from_unix_millis(now_ms + 3_600_000))
        );

        if let Some(change) = changes.assignee.as_mut() {
            change.occurred_at = Some(EventTime::from_unix_millis(i64::MIN));
        }
        assert_eq!(bound_event_times(&mut changes, received_at, hour), None);
        let assignee = changes
            .assignee
            .as_ref()
            .and_then(|change| change.occurred_at);
        assert_eq!(assignee, Some(EventTime::from_unix_millis(i64::MIN)));
    }
}
