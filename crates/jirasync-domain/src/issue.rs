//! Local issues, Jira issues as an organization links them, and the link between the two.

use jirasync_webhook::{EventTime, IssueKey};

use crate::ids::{
    ExternalIssueId, IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId, UserId,
};
use crate::store::SyncKind;

/// Who an issue is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assignee {
    /// A user.
    User(UserId),
    /// A team.
    Team(TeamId),
}

/// Whether a local issue is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ResolutionStatus {
    /// Open.
    #[default]
    Unresolved,
    /// Resolved.
    Resolved,
}

/// An issue of the host application (the reference's "group").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalIssue {
    /// The issue's id.
    pub id: LocalIssueId,
    /// The organization it belongs to.
    pub organization_id: OrganizationId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// Resolved or not.
    pub status: ResolutionStatus,
    /// The current assignee, if any.
    pub assignee: Option<Assignee>,
}

/// A Jira issue as one organization links it through one integration.
///
/// It carries the ordering-guard watermarks: the `occurred_at` of the newest assignee event and of
/// the newest status event applied for this (organization, integration, key). See
/// [`crate::store::SyncKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIssue {
    /// The row's id.
    pub id: ExternalIssueId,
    /// The organization that linked it.
    pub organization_id: OrganizationId,
    /// The integration it lives in.
    pub integration_id: IntegrationId,
    /// The Jira key, compared exactly.
    pub key: IssueKey,
    /// The newest assignee event applied, if any.
    pub assignee_updated_at: Option<EventTime>,
    /// The newest status event applied, if any.
    pub status_updated_at: Option<EventTime>,
}

impl ExternalIssue {
    /// The watermark of `kind`.
    pub fn watermark(&self, kind: SyncKind) -> Option<EventTime> {
        match kind {
            SyncKind::Assignee => self.assignee_updated_at,
            SyncKind::Status => self.status_updated_at,
            SyncKind::Comment => None,
        }
    }

    /// Moves the watermark of `kind` forward to `time`; an older `time` leaves it as it is.
    pub fn advance_watermark(&mut self, kind: SyncKind, time: EventTime) {
        let slot = match kind {
            SyncKind::Assignee => &mut self.assignee_updated_at,
            SyncKind::Status => &mut self.status_updated_at,
            // Comments have no watermark.
            SyncKind::Comment => return,
        };
        if slot.is_none_or(|stored| stored < time) {
            *slot = Some(time);
        }
    }
}

/// A local issue found through a Jira key, with the organization that linked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedIssue {
    /// The linking organization.
    pub organization_id: OrganizationId,
    /// The application's issue.
    pub local_issue_id: LocalIssueId,
}

/// A local issue's link to a Jira issue, as [`crate::store::IssueLinkStore::link_issue`] leaves
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueLink {
    /// The organization's row for the Jira issue, with its watermarks.
    pub external_issue: ExternalIssue,
    /// The linked local issue.
    pub local_issue_id: LocalIssueId,
    /// Whether this call created the link (false: it existed already).
    pub created: bool,
}
