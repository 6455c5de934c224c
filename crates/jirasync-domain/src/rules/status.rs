//! Inbound status sync (reference §3.5): resolve or reopen local issues when a Jira issue enters
//! or leaves the `done` status category.

use std::collections::{BTreeMap, BTreeSet};

use jirasync_webhook::{DeliveryKey, IssueKey, StatusChanged, StatusId};

use super::inbound::{AffectedIssues, GuardedEvent, InboundSync};
use super::ordering::status_change;
use super::outcome::{HaltReason, SyncError};
use crate::activity::ActivityData;
use crate::host::{Host, IssueChange};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId};
use crate::inbox::DeliveryCompletion;
use crate::integration::{Integration, SyncDirection};
use crate::issue::{LinkedIssue, ResolutionStatus};
use crate::jira_directory::JiraDirectory;
use crate::outbound::EchoField;
use crate::store::{SyncKind, SyncStore};

/// What a status change asks of local issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResolveAction {
    /// The issue entered the `done` category.
    Resolve,
    /// The issue left the `done` category.
    Unresolve,
    /// Neither.
    Noop,
}

/// RESOLVE if `to` is done and `from` is not, UNRESOLVE for the opposite, else NOOP (reference
/// §3.5 `get_resolve_sync_action`). A missing id counts as not done.
pub fn resolve_action(
    done: &BTreeSet<StatusId>,
    from: Option<&StatusId>,
    to: Option<&StatusId>,
) -> ResolveAction {
    let is_done = |status: Option<&StatusId>| status.is_some_and(|status| done.contains(status));
    match (is_done(from), is_done(to)) {
        (false, true) => ResolveAction::Resolve,
        (true, false) => ResolveAction::Unresolve,
        _ => ResolveAction::Noop,
    }
}

/// What an inbound status sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundStatusOutcome {
    /// The integration.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// Resolve, unresolve or nothing; `None` when the sync stopped before deciding.
    pub action: Option<ResolveAction>,
    /// How many organizations sync inbound status.
    pub organizations: usize,
    /// How many local issues are linked to the key in those organizations.
    pub affected_issues: usize,
    /// Issues whose status changed.
    pub changed: usize,
    /// Issues already in the target status (no activity written).
    pub unchanged: usize,
    /// Organizations skipped because they had applied a newer status event.
    pub stale_organizations: usize,
    /// Why the sync stopped short, if it did.
    pub halt: Option<HaltReason>,
}

impl<S, H, D> InboundSync<S, H, D>
where
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    D: JiraDirectory + ?Sized,
{
    /// Applies a status change from Jira to the local issues linked to the key, in the
    /// organizations with `sync_status_reverse` on.
    ///
    /// The `done` set comes from the [`JiraDirectory`] (cached 240 s per integration); when it
    /// cannot be had the call fails with [`SyncError::Directory`], which is retryable: the
    /// reference's silent give-up would lose the change.
    ///
    /// A NOOP change writes nothing and leaves the status watermark where it is: it carries no
    /// resolution, and moving the watermark would make a reordered, older real transition look
    /// stale. Every other path goes through the ordering guard.
    pub async fn sync_status(
        &self,
        integration_id: IntegrationId,
        event: &StatusChanged,
        delivery_key: Option<&DeliveryKey>,
    ) -> Result<InboundStatusOutcome, SyncError> {
        let integration = self.integration(integration_id).await?;
        self.status_sync(&integration, event, delivery_key, None)
            .await
    }

    /// [`InboundSync::sync_status`] for `integration` as read already, handing `completion`
    /// to its sync session ([`InboundSync::apply_delivery`]).
    pub(super) async fn status_sync(
        &self,
        integration: &Integration,
        event: &StatusChanged,
        delivery_key: Option<&DeliveryKey>,
        completion: Option<&DeliveryCompletion>,
    ) -> Result<InboundStatusOutcome, SyncError> {
        let integration_id = integration.id;
        let mut outcome = InboundStatusOutcome {
            integration_id,
            issue_key: event.issue_key.clone(),
            action: None,
            organizations: 0,
            affected_issues: 0,
            changed: 0,
            unchanged: 0,
            stale_organizations: 0,
            halt: None,
        };

        let AffectedIssues {
            organizations,
            linked,
            halt,
        } = self
            .affected_issues(
                integration_id,
                &event.issue_key,
                SyncDirection::InboundStatus,
            )
            .await?;
        outcome.organizations = organizations;
        outcome.affected_issues = linked.len();
        if halt.is_some() {
            outcome.halt = halt;
            return Ok(outcome);
        }

        let done = self
            .done_statuses
            .done_status_ids(self.directory.as_ref(), integration)
            .await?;
        let action = resolve_action(&done, event.from.as_ref(), event.to.as_ref());
        outcome.action = Some(action);
        let target = match action {
            ResolveAction::Resolve => ResolutionStatus::Resolved,
            ResolveAction::Unresolve => ResolutionStatus::Unresolved,
            ResolveAction::Noop => {
                outcome.halt = Some(HaltReason::NoResolutionChange);
                return Ok(outcome);
            }
        };

        // The webhook of a transition jirasync made for an organization reaches the status
        // it moved to: that organization does not apply it back (no echo).
        let echo = event.to.as_ref().map(|to| (EchoField::Status, to.as_str()));
        let guarded = GuardedEvent {
            integration_id,
            issue_key: &event.issue_key,
            kind: SyncKind::Status,
            occurred_at: event.occurred_at,
            delivery_key,
            echo,
            completion,
        };
        self.apply_status_target(&linked, target, guarded, outcome)
            .await
    }

    /// Moves the linked local issues to `target` under the ordering guard of the status
    /// watermark (`guarded`, a [`SyncKind::Status`] event: its time, delivery key, echo value
    /// and completion): the part of a status sync after its target is known, shared by webhooks
    /// and reconcile. The echo is the value an outbound transition of jirasync's would have
    /// recorded (see [`crate::outbound::OutboundEcho`]).
    pub(super) async fn apply_status_target(
        &self,
        linked: &[LinkedIssue],
        target: ResolutionStatus,
        guarded: GuardedEvent<'_>,
        mut outcome: InboundStatusOutcome,
    ) -> Result<InboundStatusOutcome, SyncError> {
        let GuardedEvent {
            integration_id,
            issue_key,
            occurred_at,
            ..
        } = guarded;
        let mut work: BTreeMap<OrganizationId, Vec<(LocalIssueId, ResolutionStatus)>> =
            BTreeMap::new();
        for linked in linked {
            work.entry(linked.organization_id)
                .or_default()
                .push((linked.local_issue_id, target));
        }
        let applied = self
            .apply_under_guard(guarded, work, |issue, current, target| {
                Some(IssueChange {
                    issue,
                    kind: status_change(current.status, target)?,
                    data: ActivityData::inbound(integration_id, None, occurred_at),
                })
            })
            .await?;
        outcome.changed = applied.changed;
        outcome.unchanged = applied.unchanged;
        outcome.stale_organizations = applied.stale.len();
        outcome.halt = applied.halt(false);
        if let Some(halt) = outcome.halt {
            tracing::info!(
                %integration_id,
                %issue_key,
                stale_organizations = outcome.stale_organizations,
                "{halt}"
            );
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(values: &[&str]) -> BTreeSet<StatusId> {
        values.iter().map(|v| StatusId::new(*v)).collect()
    }

    #[test]
    fn resolve_action_follows_the_done_category() {
        let done = ids(&["10002", "6"]);
        let id = |v: &str| Some(StatusId::new(v));
        let action = |from: Option<StatusId>, to: Option<StatusId>| {
            resolve_action(&done, from.as_ref(), to.as_ref())
        };
        assert_eq!(action(id("3"), id("10002")), ResolveAction::Resolve);
        assert_eq!(action(id("10002"), id("3")), ResolveAction::Unresolve);
        assert_eq!(action(id("1"), id("3")), ResolveAction::Noop);
        assert_eq!(action(id("10002"), id("6")), ResolveAction::Noop);
        assert_eq!(action(None, id("6")), ResolveAction::Resolve);
        assert_eq!(action(id("6"), None), ResolveAction::Unresolve);
        assert_eq!(action(None, None), ResolveAction::Noop);
    }
}
