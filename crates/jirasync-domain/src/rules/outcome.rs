//! What a rule reports: counts and halt reasons with stable names, for logs and metrics.

use std::fmt;

use crate::host::HostError;
use crate::ids::IntegrationId;
use crate::jira_directory::DirectoryError;
use crate::store::StoreError;

/// Why a sync stopped short of changing everything it was asked to. A halt is not an error: the
/// delivery was handled, and the webhook still answers 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HaltReason {
    /// No organization syncs this direction through the integration.
    SyncDisabled,
    /// No local issue is linked to the Jira key in the organizations that sync.
    NoAffectedIssues,
    /// Some linked issues found no user to assign (reference name `inbound-assignee-not-found`).
    AssigneeNotFound,
    /// The event is older than what was applied already, in at least one organization.
    StaleEvent,
    /// The delivery was applied before.
    DuplicateDelivery,
    /// The status change neither enters nor leaves the `done` category.
    NoResolutionChange,
}

impl HaltReason {
    /// The stable name used in logs and metric tags.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SyncDisabled => "sync-disabled",
            Self::NoAffectedIssues => "no-affected-issues",
            Self::AssigneeNotFound => "inbound-assignee-not-found",
            Self::StaleEvent => "stale-event",
            Self::DuplicateDelivery => "duplicate-delivery",
            Self::NoResolutionChange => "no-resolution-change",
        }
    }
}

impl fmt::Display for HaltReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an inbound sync failed. The delivery was not (fully) applied; see
/// [`SyncError::is_retryable`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// jirasync's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The application (the [`Host`](crate::Host)) failed or refused.
    #[error(transparent)]
    Host(#[from] HostError),
    /// A Jira look-up the rule cannot do without failed (the `done` statuses for status sync).
    #[error("a Jira look-up failed: {0}")]
    Directory(#[from] DirectoryError),
    /// The integration does not exist (any more).
    #[error("integration {integration_id} does not exist")]
    UnknownIntegration {
        /// The integration.
        integration_id: IntegrationId,
    },
}

impl SyncError {
    /// Whether handling the same delivery again later may succeed: store and application
    /// outages and an unreachable Jira are retryable; a missing integration is not, nor is a
    /// Jira look-up the installation's configuration prevents ([`SyncError::needs_operator`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(error) => error.is_retryable(),
            Self::Host(error) => error.is_retryable(),
            Self::Directory(error) => error.is_retryable(),
            Self::UnknownIntegration { .. } => false,
        }
    }

    /// Whether the sync needs an operator before it can succeed: a Jira look-up failed because
    /// the installation has no credentials or Jira refuses them
    /// ([`DirectoryError::needs_operator`]). Once fixed, the same delivery can be applied.
    pub fn needs_operator(&self) -> bool {
        matches!(self, Self::Directory(error) if error.needs_operator())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halt_reasons_have_stable_names() {
        assert_eq!(
            HaltReason::AssigneeNotFound.as_str(),
            "inbound-assignee-not-found"
        );
        assert_eq!(
            HaltReason::NoAffectedIssues.to_string(),
            "no-affected-issues"
        );
    }

    #[test]
    fn only_store_outages_and_jira_failures_are_retryable() {
        assert!(SyncError::Store(StoreError::unavailable("pool timed out")).is_retryable());
        assert!(!SyncError::Store(StoreError::conflict("dup")).is_retryable());
        let jira = DirectoryError::Unreachable {
            message: "timeout".into(),
        };
        assert!(SyncError::Directory(jira).is_retryable());
        let no_credentials = SyncError::Directory(DirectoryError::NoCredentials {
            integration_id: IntegrationId::new(1),
        });
        assert!(!no_credentials.is_retryable());
        assert!(no_credentials.needs_operator());
        let gone = SyncError::UnknownIntegration {
            integration_id: IntegrationId::new(1),
        };
        assert!(!gone.is_retryable());
    }
}
