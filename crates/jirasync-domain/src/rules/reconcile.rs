//! Reconciling with Jira: Jira's current view of an issue (a search's snapshot) turned into the
//! same inbound changes a webhook makes, applied through the same rules and ordering guard with
//! the issue's `updated` time as the event time (`docs/decisions/0012-reconcile.md`).
//!
//! So a change a webhook applied already is recognised (same time, already as wanted: nothing
//! written), a webhook newer than the snapshot is never overridden (the snapshot is stale there),
//! and what no webhook delivered is applied now and counted.

use std::collections::BTreeSet;

use jirasync_webhook::{AssigneeChanged, EventTime, IssueId, IssueKey, JiraUser, StatusId};

use super::assignee::InboundAssigneeOutcome;
use super::inbound::{AffectedIssues, GuardedEvent, InboundSync};
use super::outcome::SyncError;
use super::status::{InboundStatusOutcome, ResolveAction};
use super::where_should_sync::select_sync_targets;
use crate::host::Host;
use crate::ids::IntegrationId;
use crate::integration::SyncDirection;
use crate::issue::ResolutionStatus;
use crate::jira_directory::JiraDirectory;
use crate::store::{OrganizationLink, SyncKind, SyncStore};

/// Jira's view of one issue at its last update, as a search reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueSnapshot {
    /// The issue's key.
    pub issue_key: IssueKey,
    /// The issue's id.
    pub issue_id: Option<IssueId>,
    /// The assignee; `None` when the issue is unassigned.
    pub assignee: Option<JiraUser>,
    /// The status id.
    pub status_id: StatusId,
    /// Whether the status is in the `done` category, when the answer said (`statusCategory`);
    /// `None` leaves it to the integration's `done` statuses, as a webhook's status change does.
    pub status_done: Option<bool>,
    /// When the issue last changed (`fields.updated`): the event time of everything read here.
    pub updated: EventTime,
}

/// The assignee change a webhook would carry for the snapshot's assignee, at its `updated` time.
pub fn assignee_event(snapshot: &IssueSnapshot) -> AssigneeChanged {
    AssigneeChanged {
        issue_key: snapshot.issue_key.clone(),
        issue_id: snapshot.issue_id.clone(),
        assignee: snapshot.assignee.clone(),
        occurred_at: Some(snapshot.updated),
    }
}

/// The resolution the snapshot's status asks of linked issues: resolved in a `done` status,
/// unresolved in any other. The snapshot's own category decides when it has one, else `done`
/// (the integration's `done` status ids).
pub fn status_target(snapshot: &IssueSnapshot, done: &BTreeSet<StatusId>) -> ResolutionStatus {
    let is_done = snapshot
        .status_done
        .unwrap_or_else(|| done.contains(&snapshot.status_id));
    if is_done {
        ResolutionStatus::Resolved
    } else {
        ResolutionStatus::Unresolved
    }
}

/// Whether any organization syncs an inbound direction (assignee or status) through the
/// integration, by [`select_sync_targets`]: reconciling an integration nobody syncs inbound
/// would read Jira for nothing.
pub fn syncs_inbound(links: &[OrganizationLink], integration_id: IntegrationId) -> bool {
    [SyncDirection::InboundAssignee, SyncDirection::InboundStatus]
        .into_iter()
        .any(|direction| {
            !select_sync_targets(links, integration_id, direction, None, None)
                .organizations
                .is_empty()
        })
}

/// What reconciling one issue did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileOutcome {
    /// The assignee sync of the snapshot's assignee.
    pub assignee: InboundAssigneeOutcome,
    /// The status sync of the snapshot's status.
    pub status: InboundStatusOutcome,
}

impl ReconcileOutcome {
    /// Local issues changed: each one a change Jira made that no webhook had delivered.
    pub fn changed(&self) -> usize {
        self.assignee.changed + self.status.changed
    }

    /// Organizations where a newer event (a webhook) had been applied, per kind, added up.
    pub fn stale(&self) -> usize {
        self.assignee.stale_organizations + self.status.stale_organizations
    }
}

impl<S, H, D> InboundSync<S, H, D>
where
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    D: JiraDirectory + ?Sized,
{
    /// Brings the local issues linked to the snapshot's key to Jira's state: the assignee
    /// through [`InboundSync::sync_assignee`] (the same matching, guard and activities as a
    /// webhook), then the status towards [`status_target`] under the status watermark. Both use
    /// the snapshot's `updated` as the event time and no delivery key.
    pub async fn reconcile_issue(
        &self,
        integration_id: IntegrationId,
        snapshot: &IssueSnapshot,
    ) -> Result<ReconcileOutcome, SyncError> {
        let assignee = self
            .sync_assignee(integration_id, &assignee_event(snapshot), None)
            .await?;
        let status = self.reconcile_status(integration_id, snapshot).await?;
        Ok(ReconcileOutcome { assignee, status })
    }

    async fn reconcile_status(
        &self,
        integration_id: IntegrationId,
        snapshot: &IssueSnapshot,
    ) -> Result<InboundStatusOutcome, SyncError> {
        let integration = self.integration(integration_id).await?;
        let AffectedIssues {
            organizations,
            linked,
            halt,
        } = self
            .affected_issues(
                integration_id,
                &snapshot.issue_key,
                SyncDirection::InboundStatus,
            )
            .await?;
        let mut outcome = InboundStatusOutcome {
            integration_id,
            issue_key: snapshot.issue_key.clone(),
            action: None,
            organizations,
            affected_issues: linked.len(),
            changed: 0,
            unchanged: 0,
            stale_organizations: 0,
            halt,
        };
        if outcome.halt.is_some() {
            return Ok(outcome);
        }
        let done = match snapshot.status_done {
            Some(_) => Default::default(),
            None => {
                self.done_statuses
                    .done_status_ids(self.directory.as_ref(), &integration)
                    .await?
            }
        };
        let target = status_target(snapshot, &done);
        outcome.action = Some(match target {
            ResolutionStatus::Resolved => ResolveAction::Resolve,
            ResolutionStatus::Unresolved => ResolveAction::Unresolve,
        });
        let guarded = GuardedEvent {
            integration_id,
            issue_key: &snapshot.issue_key,
            kind: SyncKind::Status,
            occurred_at: Some(snapshot.updated),
            delivery_key: None,
            echo: None,
            completion: None,
        };
        self.apply_status_target(&linked, target, guarded, outcome)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(status_id: &str, status_done: Option<bool>) -> IssueSnapshot {
        IssueSnapshot {
            issue_key: IssueKey::new("APP-1"),
            issue_id: Some(IssueId::new("10001")),
            assignee: Some(JiraUser {
                name: Some("jess".into()),
                key: Some("JIRAUSER10100".into()),
                email_address: Some("jess@example.com".into()),
                ..JiraUser::default()
            }),
            status_id: StatusId::new(status_id),
            status_done,
            updated: EventTime::from_unix_millis(1_780_308_300_000),
        }
    }

    fn done_ids() -> BTreeSet<StatusId> {
        [StatusId::new("10102")].into_iter().collect()
    }

    #[test]
    fn assignee_event_carries_the_snapshots_assignee_at_its_updated_time() {
        let snapshot = snapshot("1", None);
        let event = assignee_event(&snapshot);
        assert_eq!(event.issue_key, snapshot.issue_key);
        assert_eq!(event.issue_id, snapshot.issue_id);
        assert_eq!(event.assignee, snapshot.assignee);
        assert_eq!(event.occurred_at, Some(snapshot.updated));
    }

    #[test]
    fn unassigned_snapshot_is_an_unassign_event() {
        let mut snapshot = snapshot("1", None);
        snapshot.assignee = None;
        assert_eq!(assignee_event(&snapshot).assignee, None);
    }

    #[test]
    fn the_snapshots_own_category_decides_the_target() {
        // The answer's category wins over the cached `done` ids (a status moved category).
        assert_eq!(
            status_target(&snapshot("1", Some(true)), &BTreeSet::new()),
            ResolutionStatus::Resolved
        );
        assert_eq!(
            status_target(&snapshot("10102", Some(false)), &done_ids()),
            ResolutionStatus::Unresolved
        );
    }

    #[test]
    fn without_a_category_the_done_statuses_decide_the_target() {
        assert_eq!(
            status_target(&snapshot("10102", None), &done_ids()),
            ResolutionStatus::Resolved
        );
        assert_eq!(
            status_target(&snapshot("3", None), &done_ids()),
            ResolutionStatus::Unresolved
        );
    }
}
