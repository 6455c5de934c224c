//! The entry point of inbound sync: jirasync's store, the application's host, a Jira directory
//! and the `done` status cache; and the protocol every inbound change runs under.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use jirasync_webhook::{ChangeSet, DeliveryKey, EventTime, IssueKey};

use super::assignee::InboundAssigneeOutcome;
use super::comments::InboundCommentOutcome;
use super::ordering::{GuardDecision, guard};
use super::outcome::{HaltReason, SyncError};
use super::status::InboundStatusOutcome;
use super::where_should_sync::select_sync_targets;
use crate::events::{EventTimestamp, NewEvent};
use crate::host::{Host, HostIssue, IssueChange};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId};
use crate::inbox::DeliveryCompletion;
use crate::integration::{Integration, SyncDirection};
use crate::issue::LinkedIssue;
use crate::jira_directory::{Clock, DoneStatusCache, JiraDirectory, SystemClock};
use crate::outbound::EchoField;
use crate::store::{IssueSyncRequest, IssueSyncStart, SyncKind, SyncStore};

/// Applies Jira events to the application's issues: [`InboundSync::sync_assignee`],
/// [`InboundSync::sync_status`], or both from one delivery with
/// [`InboundSync::apply_change_set`].
///
/// It reads links and configuration from the [`SyncStore`], the application's users and issues
/// through the [`Host`], decides, and changes the host's issues under the store's serialisation
/// of the Jira issue (see [`crate::store::IssueSyncSession`]), so it is safe to run many at once,
/// on one instance or several sharing a database.
pub struct InboundSync<S: ?Sized, H: ?Sized, D: ?Sized> {
    pub(super) store: Arc<S>,
    pub(super) host: Arc<H>,
    pub(super) directory: Arc<D>,
    pub(super) done_statuses: DoneStatusCache,
    pub(super) clock: Arc<dyn Clock>,
    /// Whether the host is the store itself, so that a sync session may write the host's
    /// changes in its commit ([`InboundSync::with_host_changes_in_commit`]).
    pub(super) host_changes_in_commit: bool,
}

impl<S: ?Sized, H: ?Sized, D: ?Sized> fmt::Debug for InboundSync<S, H, D> {
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
    /// The comment sync, when the delivery added a comment.
    pub comment: Option<InboundCommentOutcome>,
}

impl<S, H, D> InboundSync<S, H, D>
where
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    D: JiraDirectory + ?Sized,
{
    /// Inbound sync on the system clock.
    pub fn new(store: Arc<S>, host: Arc<H>, directory: Arc<D>) -> Self {
        Self::with_clock(store, host, directory, Arc::new(SystemClock))
    }

    /// Inbound sync whose `done` status cache runs on `clock`.
    pub fn with_clock(
        store: Arc<S>,
        host: Arc<H>,
        directory: Arc<D>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            host,
            directory,
            done_statuses: DoneStatusCache::new(Arc::clone(&clock)),
            clock,
            host_changes_in_commit: false,
        }
    }

    /// Says that the host is the store itself (the standalone service's own tables in the
    /// same database), so that a sync session that can
    /// ([`IssueSyncSession::stage_host_change`](crate::store::IssueSyncSession::stage_host_change))
    /// writes the host's assignee and status changes in its commit: one transaction instead of
    /// two, and the change is never written without the bookkeeping that records it. A
    /// session that cannot leaves the change to the host, as without this.
    #[must_use]
    pub fn with_host_changes_in_commit(mut self) -> Self {
        self.host_changes_in_commit = true;
        self
    }

    /// jirasync's store.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// The application's host.
    pub fn host(&self) -> &Arc<H> {
        &self.host
    }

    /// Applies a delivery's assignee change, then its status change (the reference's order),
    /// then the comment it adds. A failure of any is returned; handling the delivery again is
    /// safe, since what was applied is recognised by the delivery key (the comment's id for a
    /// comment) or found already done.
    pub async fn apply_change_set(
        &self,
        integration_id: IntegrationId,
        changes: &ChangeSet,
    ) -> Result<ChangeSetOutcome, SyncError> {
        self.apply_delivery(integration_id, changes, None).await
    }

    /// [`InboundSync::apply_change_set`] for an inbox delivery, whose `completion` is handed to
    /// the sync session of its last change
    /// ([`IssueSyncSession::stage_completion`](crate::store::IssueSyncSession::stage_completion)):
    /// when that session takes it, its commit marks the delivery done in the same write, and
    /// records so on `completion`. Hand a completion only when the store's inbox holds the
    /// delivery. When nothing was recorded (no session took it: the change was a duplicate, or
    /// had nothing to apply, or the store cannot), the delivery is still to be marked done.
    ///
    /// The integration is read once, and only when an assignee or a status change needs it
    /// (its Jira look-ups); [`InboundSync::apply_delivery_with`] takes one the caller has read.
    pub async fn apply_delivery(
        &self,
        integration_id: IntegrationId,
        changes: &ChangeSet,
        completion: Option<&DeliveryCompletion>,
    ) -> Result<ChangeSetOutcome, SyncError> {
        let integration = match (&changes.assignee, &changes.status) {
            (None, None) => None,
            _ => Some(self.integration(integration_id).await?),
        };
        self.apply_read(integration_id, integration.as_ref(), changes, completion)
            .await
    }

    /// [`InboundSync::apply_delivery`] for `integration` as the caller read it, such as the
    /// integration whose secret verified the delivery's token a moment ago: no read of it from
    /// the store. Its organization links, and everything else the rules decide on, are read
    /// from the store as always, so an integration removed meanwhile syncs nothing.
    pub async fn apply_delivery_with(
        &self,
        integration: &Integration,
        changes: &ChangeSet,
        completion: Option<&DeliveryCompletion>,
    ) -> Result<ChangeSetOutcome, SyncError> {
        self.apply_read(integration.id, Some(integration), changes, completion)
            .await
    }

    /// Applies `changes` with `integration` read already when one of them needs it.
    async fn apply_read(
        &self,
        integration_id: IntegrationId,
        integration: Option<&Integration>,
        changes: &ChangeSet,
        completion: Option<&DeliveryCompletion>,
    ) -> Result<ChangeSetOutcome, SyncError> {
        let delivery_key = changes.delivery_key.as_ref();
        // Only the last change's commit may complete the delivery: an earlier one's would mark
        // it done before the rest was applied.
        let (assignee_last, status_last) = match changes {
            ChangeSet {
                comment: Some(_), ..
            } => (false, false),
            ChangeSet {
                status: Some(_), ..
            } => (false, true),
            _ => (true, false),
        };
        // Read by the callers whenever an assignee or a status change is there.
        let read = || integration.ok_or(SyncError::UnknownIntegration { integration_id });
        let assignee = match &changes.assignee {
            Some(event) => Some(
                self.assignee_sync(
                    read()?,
                    event,
                    delivery_key,
                    completion.filter(|_| assignee_last),
                )
                .await?,
            ),
            None => None,
        };
        let status = match &changes.status {
            Some(event) => Some(
                self.status_sync(
                    read()?,
                    event,
                    delivery_key,
                    completion.filter(|_| status_last),
                )
                .await?,
            ),
            None => None,
        };
        let comment = match &changes.comment {
            Some(comment) => Some(
                self.comment_sync(integration_id, comment, completion)
                    .await?,
            ),
            None => None,
        };
        Ok(ChangeSetOutcome {
            assignee,
            status,
            comment,
        })
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

    /// Applies one event to the host's issues under the store's serialisation of the Jira issue:
    /// begin (the delivery log, the watermarks), then per organization the ordering guard and,
    /// for each issue, `decide` on its current state (a change to make, or `None` when it is
    /// already as wanted), then commit the delivery key, the watermarks and the event of each
    /// change ([`crate::events`]).
    ///
    /// Every organization of `work` takes part, even one without issues to change: its
    /// watermark moves too (reference §4.3 step 7, "even for groups that did not resolve").
    pub(super) async fn apply_under_guard<T: Copy>(
        &self,
        event: GuardedEvent<'_>,
        work: BTreeMap<OrganizationId, Vec<(LocalIssueId, T)>>,
        decide: impl Fn(LocalIssueId, &HostIssue, T) -> Option<IssueChange>,
    ) -> Result<Applied, SyncError> {
        let request = IssueSyncRequest {
            integration_id: event.integration_id,
            issue_key: event.issue_key.clone(),
            kind: event.kind,
            organizations: work.keys().copied().collect(),
            delivery_key: event.delivery_key.cloned(),
        };
        // The webhook of a change jirasync made for an organization is not applied back to it
        // (no echo, docs/decisions/0017-outbound-sync.md); other organizations apply it. Taken
        // before the session: the store's call must not wait for a connection while the session
        // holds one.
        let echoes = match &event.echo {
            Some((field, value)) => {
                let now = EventTimestamp::from_system_time(self.clock.now());
                self.store
                    .take_echoes(event.integration_id, event.issue_key, *field, value, now)
                    .await?
            }
            None => Vec::new(),
        };
        let mut session = match self.store.begin_issue_sync(request).await? {
            IssueSyncStart::Duplicate => return Ok(Applied::default().duplicate()),
            IssueSyncStart::Started(session) => session,
        };
        if let Some(completion) = event.completion {
            // Not taken: the caller completes the delivery after the commit.
            session.stage_completion(completion);
        }
        let watermarks: BTreeMap<OrganizationId, Option<EventTime>> =
            session.watermarks().iter().copied().collect();
        let mut applied = Applied::default();
        let mut advance = Vec::new();
        let mut events = Vec::new();
        for (organization_id, issues) in work {
            let watermark = watermarks.get(&organization_id).copied().flatten();
            match guard(watermark, event.occurred_at) {
                GuardDecision::Stale { watermark } => {
                    applied.stale.push((organization_id, watermark));
                }
                GuardDecision::Apply { advance_to } if echoes.contains(&organization_id) => {
                    tracing::info!(
                        integration_id = %event.integration_id,
                        issue_key = %event.issue_key,
                        %organization_id,
                        "outbound-echo-ignored"
                    );
                    applied.unchanged += issues.len();
                    applied.applied_organizations.push(organization_id);
                    advance.extend(advance_to.map(|time| (organization_id, time)));
                }
                GuardDecision::Apply { advance_to } => {
                    for (issue, target) in issues {
                        // An issue the application no longer has is skipped.
                        let Some(current) = self.host.issue(issue).await? else {
                            continue;
                        };
                        match decide(issue, &current, target) {
                            Some(change) => {
                                let staged = self.host_changes_in_commit
                                    && session.stage_host_change(&change);
                                if !staged {
                                    self.host.apply_change(&change).await?;
                                }
                                events.extend(NewEvent::of_inbound_change(
                                    event.integration_id,
                                    event.issue_key,
                                    &current,
                                    &change,
                                ));
                                applied.changed += 1;
                            }
                            None => applied.unchanged += 1,
                        }
                    }
                    applied.applied_organizations.push(organization_id);
                    advance.extend(advance_to.map(|time| (organization_id, time)));
                }
            }
        }
        session.commit(&advance, events).await?;
        Ok(applied)
    }
}

/// What the ordering guard and the delivery log of one event need.
#[derive(Debug, Clone, Copy)]
pub(super) struct GuardedEvent<'a> {
    pub(super) integration_id: IntegrationId,
    pub(super) issue_key: &'a IssueKey,
    pub(super) kind: SyncKind,
    pub(super) occurred_at: Option<EventTime>,
    pub(super) delivery_key: Option<&'a DeliveryKey>,
    /// The field and value the event sets, when jirasync may have caused it (an outbound
    /// change's echo).
    pub(super) echo: Option<(EchoField, &'a str)>,
    /// The inbox delivery's completion, when this event is its last change
    /// ([`InboundSync::apply_delivery`]).
    pub(super) completion: Option<&'a DeliveryCompletion>,
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

/// What [`InboundSync::apply_under_guard`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Applied {
    /// The delivery was applied before: nothing was done.
    pub(super) duplicate: bool,
    /// Issues changed (one activity each).
    pub(super) changed: usize,
    /// Issues already as wanted.
    pub(super) unchanged: usize,
    /// Organizations that had applied a newer event, with their watermark.
    pub(super) stale: Vec<(OrganizationId, EventTime)>,
    /// The organizations where the event was applied.
    pub(super) applied_organizations: Vec<OrganizationId>,
}

impl Applied {
    fn duplicate(mut self) -> Self {
        self.duplicate = true;
        self
    }

    /// The halt to report: a duplicate first, then `inbound-assignee-not-found` when some
    /// issues found no user, then a stale organization.
    pub(super) fn halt(&self, assignee_not_found: bool) -> Option<HaltReason> {
        if self.duplicate {
            Some(HaltReason::DuplicateDelivery)
        } else if assignee_not_found {
            Some(HaltReason::AssigneeNotFound)
        } else if !self.stale.is_empty() {
            Some(HaltReason::StaleEvent)
        } else {
            None
        }
    }
}
