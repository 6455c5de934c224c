//! Inbound comments: a comment written in Jira on a linked issue is added to the application's
//! issues, in the organizations with `sync_comments` on (`docs/outbound.md#comments`).
//!
//! A comment has no value to compare and no ordering to keep: every comment adds to the issue,
//! and an older one arriving late is still added. What makes it exact is the delivery log,
//! keyed by the Jira comment id ([`CommentAdded::delivery_key`]) under [`SyncKind::Comment`]:
//! Jira may send the same comment twice (`jira:issue_updated` and `comment_created`), and it is
//! applied once. The comment jirasync itself posted for an organization (outbound, its
//! [`EchoField::Comment`] expectation) is not added back to that organization's issues.

use std::collections::BTreeMap;

use jirasync_webhook::{CommentAdded, IssueKey};

use super::inbound::{AffectedIssues, GuardedEvent, InboundSync};
use super::outcome::{HaltReason, SyncError};
use crate::activity::{ActivityData, ActivityKind, IssueComment};
use crate::host::{Host, IssueChange};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId};
use crate::inbox::DeliveryCompletion;
use crate::integration::SyncDirection;
use crate::jira_directory::JiraDirectory;
use crate::outbound::{EchoField, comment_echo_value};
use crate::store::{SyncKind, SyncStore};

/// What an inbound comment sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundCommentOutcome {
    /// The integration.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// The Jira comment.
    pub comment_id: String,
    /// How many organizations sync comments.
    pub organizations: usize,
    /// How many local issues are linked to the key in those organizations.
    pub affected_issues: usize,
    /// Issues the comment was added to.
    pub added: usize,
    /// Issues of organizations whose own comment it is (jirasync posted it for them).
    pub echoes: usize,
    /// Why the sync stopped short, if it did (`duplicate-delivery`: the comment was applied
    /// before).
    pub halt: Option<HaltReason>,
}

impl<S, H, D> InboundSync<S, H, D>
where
    S: SyncStore + ?Sized,
    H: Host + ?Sized,
    D: JiraDirectory + ?Sized,
{
    /// Adds a comment written in Jira to the local issues linked to its key, in the
    /// organizations with `sync_comments` on, through [`Host::apply_change`] with
    /// [`ActivityKind::Commented`], once per Jira comment: a second delivery of the same comment
    /// is a `duplicate-delivery` halt. The organizations that posted the comment themselves
    /// (outbound sync) are skipped.
    pub async fn sync_comment(
        &self,
        integration_id: IntegrationId,
        comment: &CommentAdded,
    ) -> Result<InboundCommentOutcome, SyncError> {
        self.comment_sync(integration_id, comment, None).await
    }

    /// [`InboundSync::sync_comment`], handing `completion` to its sync session
    /// ([`InboundSync::apply_delivery`]).
    pub(super) async fn comment_sync(
        &self,
        integration_id: IntegrationId,
        comment: &CommentAdded,
        completion: Option<&DeliveryCompletion>,
    ) -> Result<InboundCommentOutcome, SyncError> {
        let mut outcome = InboundCommentOutcome {
            integration_id,
            issue_key: comment.issue_key.clone(),
            comment_id: comment.comment_id.clone(),
            organizations: 0,
            affected_issues: 0,
            added: 0,
            echoes: 0,
            halt: None,
        };
        let AffectedIssues {
            organizations,
            linked,
            halt,
        } = self
            .affected_issues(integration_id, &comment.issue_key, SyncDirection::Comments)
            .await?;
        outcome.organizations = organizations;
        outcome.affected_issues = linked.len();
        if halt.is_some() {
            outcome.halt = halt;
            return Ok(outcome);
        }
        let delivery_key = comment.delivery_key();
        // The second delivery of a comment is common (both webhook kinds): recognised before
        // an echo expectation is taken for nothing.
        if self
            .store
            .delivery_seen(integration_id, SyncKind::Comment, &delivery_key)
            .await?
        {
            outcome.halt = Some(HaltReason::DuplicateDelivery);
            return Ok(outcome);
        }
        let mut work: BTreeMap<OrganizationId, Vec<(LocalIssueId, ())>> = BTreeMap::new();
        for linked in &linked {
            work.entry(linked.organization_id)
                .or_default()
                .push((linked.local_issue_id, ()));
        }
        let echo = comment_echo_value(&comment.body);
        let added = IssueComment {
            comment_id: comment.comment_id.clone(),
            body: comment.body.clone(),
            author: comment.author.clone(),
            created: comment.created,
        };
        let guarded = GuardedEvent {
            integration_id,
            issue_key: &comment.issue_key,
            kind: SyncKind::Comment,
            // No ordering guard: every comment adds to the issue.
            occurred_at: None,
            delivery_key: Some(&delivery_key),
            echo: Some((EchoField::Comment, &echo)),
            completion,
        };
        let applied = self
            .apply_under_guard(guarded, work, |issue, _current, ()| {
                Some(IssueChange {
                    issue,
                    kind: ActivityKind::Commented,
                    data: ActivityData::inbound_comment(integration_id, added.clone()),
                })
            })
            .await?;
        outcome.added = applied.changed;
        outcome.echoes = applied.unchanged;
        outcome.halt = applied.halt(false);
        tracing::info!(
            %integration_id,
            issue_key = %comment.issue_key,
            comment_id = %comment.comment_id,
            added = outcome.added,
            echoes = outcome.echoes,
            halt = outcome.halt.map(HaltReason::as_str),
            "inbound-comment"
        );
        Ok(outcome)
    }
}
