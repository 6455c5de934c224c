//! The entry point of inbound sync: a store, a Jira directory and the `done` status cache.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use jirasync_webhook::{ChangeSet, IssueKey};

use super::assignee::InboundAssigneeOutcome;
use super::outcome::{HaltReason, SyncError};
use super::status::InboundStatusOutcome;
use super::where_should_sync::select_sync_targets;
use crate::ids::{IntegrationId, OrganizationId};
use crate::integration::{Integration, SyncDirection};
use crate::issue::LinkedIssue;
use crate::jira_directory::{Clock, DoneStatusCache, JiraDirectory, SystemClock};
use crate::store::{OrganizationResult, PlanApplied, Store};

/// Applies Jira events to the host's issues: [`InboundSync::sync_assignee`],
/// [`InboundSync::sync_status`], or both from one delivery with [`InboundSync::apply_change_set`].
///
/// Each call reads through the store, decides, and writes with one plan call, so it is safe to
/// run many at once, on one instance or several sharing a database.
pub struct InboundSync<S: ?Sized, D: ?Sized> {
    pub(super) store: Arc<S>,
    pub(super) directory: Arc<D>,
    pub(super) done_statuses: DoneStatusCache,
}

impl<S: ?Sized, D: ?Sized> fmt::Debug for InboundSync<S, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundSync")
            .field("done_statuses", &self.done_statuses)
            .finish_non_exhaustive()
    }
}

/// What one delivery's changes did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSetOutcome {
    /// The assignee sync, when the delivery changed the assignee.
    pub assignee: Option<InboundAssigneeOutcome>,
    /// The status sync, when the delivery changed the status.
    pub status: Option<InboundStatusOutcome>,
}

impl<S: Store + ?Sized, D: JiraDirectory + ?Sized> InboundSync<S, D> {
    /// Inbound sync on the system clock.
    pub fn new(store: Arc<S>, directory: Arc<D>) -> Self {
        Self::with_clock(store, directory, Arc::new(SystemClock))
    }

    /// Inbound sync whose `done` status cache runs on `clock`.
    pub fn with_clock(store: Arc<S>, directory: Arc<D>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            directory,
            done_statuses: DoneStatusCache::new(clock),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// Applies a delivery's assignee change, then its status change (the reference's order).
    /// A failure of either is returned; handling the delivery again is safe, since what was
    /// applied is recognised by the delivery key or re-applied idempotently.
    pub async fn apply_change_set(
        &self,
        integration_id: IntegrationId,
        changes: &ChangeSet,
    ) -> Result<ChangeSetOutcome, SyncError> {
        let delivery_key = changes.delivery_key.as_ref();
        let assignee = match &changes.assignee {
            Some(event) => Some(
                self.sync_assignee(integration_id, event, delivery_key)
                    .await?,
            ),
            None => None,
        };
        let status = match &changes.status {
            Some(event) => Some(
                self.sync_status(integration_id, event, delivery_key)
                    .await?,
            ),
            None => None,
        };
        Ok(ChangeSetOutcome { assignee, status })
    }

    /// The local issues linked to `key` in the organizations that sync `direction`, or why there
    /// are none.
    pub(super) async fn affected_issues(
        &self,
        integration_id: IntegrationId,
        key: &IssueKey,
        direction: SyncDirection,
    ) -> Result<AffectedIssues, SyncError> {
        let links = self.store.organization_links(integration_id).await?;
        let targets = select_sync_targets(&links, integration_id, direction, None, None);
        if targets.organizations.is_empty() {
            return Ok(AffectedIssues {
                organizations: 0,
                linked: Vec::new(),
                halt: Some(HaltReason::SyncDisabled),
            });
        }
        let linked = self
            .store
            .linked_issues(integration_id, key, &targets.organizations)
            .await?;
        let halt = linked.is_empty().then(|| {
            tracing::info!(%integration_id, issue_key = %key, "no-affected-issues");
            HaltReason::NoAffectedIssues
        });
        Ok(AffectedIssues {
            organizations: targets.organizations.len(),
            linked,
            halt,
        })
    }

    pub(super) async fn integration(
        &self,
        integration_id: IntegrationId,
    ) -> Result<Integration, SyncError> {
        self.store
            .integration(integration_id)
            .await?
            .ok_or(SyncError::UnknownIntegration { integration_id })
    }
}

/// The local issues an event touches.
#[derive(Debug)]
pub(super) struct AffectedIssues {
    /// How many organizations sync the direction.
    pub(super) organizations: usize,
    /// The linked local issues in those organizations.
    pub(super) linked: Vec<LinkedIssue>,
    /// `SyncDisabled` or `NoAffectedIssues` when there is nothing to do.
    pub(super) halt: Option<HaltReason>,
}

/// What a store reported for a plan, summed up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct PlanSummary {
    pub(super) duplicate: bool,
    pub(super) changed: usize,
    pub(super) unchanged: usize,
    pub(super) stale_organizations: usize,
    /// The organizations where the plan was applied (not stale).
    pub(super) applied_organizations: BTreeSet<OrganizationId>,
}

impl PlanSummary {
    /// The halt to report: a duplicate first, then `inbound-assignee-not-found` when some
    /// issues found no user, then a stale organization.
    pub(super) fn halt(&self, assignee_not_found: bool) -> Option<HaltReason> {
        if self.duplicate {
            Some(HaltReason::DuplicateDelivery)
        } else if assignee_not_found {
            Some(HaltReason::AssigneeNotFound)
        } else if self.stale_organizations > 0 {
            Some(HaltReason::StaleEvent)
        } else {
            None
        }
    }

    pub(super) fn of(applied: &PlanApplied) -> Self {
        let mut summary = Self::default();
        match applied {
            PlanApplied::Duplicate => summary.duplicate = true,
            PlanApplied::Applied(organizations) => {
                for organization in organizations {
                    match &organization.result {
                        OrganizationResult::Stale { .. } => summary.stale_organizations += 1,
                        OrganizationResult::Applied { changed, unchanged } => {
                            summary.changed += changed.len();
                            summary.unchanged += unchanged.len();
                            summary
                                .applied_organizations
                                .insert(organization.organization_id);
                        }
                    }
                }
            }
        }
        summary
    }
}
