//! The activity log of local issues: what the sync changed, and where the change came from.

use std::fmt;

use jirasync_webhook::{EventTime, JiraUser};

use crate::ids::{ActivityId, IntegrationId, LocalIssueId};
use crate::integration::{JIRA_SERVER_PROVIDER, JIRA_SERVER_PROVIDER_NAME};
use crate::issue::Assignee;

/// What happened to a local issue. New kinds may come (comments, outbound results): match with a
/// wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActivityKind {
    /// The issue was assigned.
    Assigned,
    /// The issue was unassigned.
    Unassigned,
    /// The issue was resolved.
    SetResolved,
    /// The issue was reopened.
    SetUnresolved,
    /// A comment was added in Jira ([`ActivityData::comment`] holds it).
    Commented,
}

impl ActivityKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::Assigned,
        Self::Unassigned,
        Self::SetResolved,
        Self::SetUnresolved,
        Self::Commented,
    ];

    /// The stable name used in stores, the state file and logs (`assigned`, `unassigned`,
    /// `set_resolved`, `set_unresolved`, `commented`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::Unassigned => "unassigned",
            Self::SetResolved => "set_resolved",
            Self::SetUnresolved => "set_unresolved",
            Self::Commented => "commented",
        }
    }

    /// The kind with this stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a local issue's activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The entry's id; ids grow in the order entries were written.
    pub id: ActivityId,
    /// The issue.
    pub local_issue_id: LocalIssueId,
    /// What happened.
    pub kind: ActivityKind,
    /// The details.
    pub data: ActivityData,
}

/// The details of an activity written by the sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityData {
    /// The provider's display name (`Jira Server`).
    pub provider: String,
    /// The provider key (`jira_server`).
    pub provider_key: String,
    /// The integration the change came through.
    pub integration_id: IntegrationId,
    /// The new assignee, for [`ActivityKind::Assigned`].
    pub assignee: Option<Assignee>,
    /// Where the change came from. Outbound sync to this integration is skipped for it, so a change
    /// from Jira is never echoed back to Jira (see [`ActivityData::should_sync_outbound_to`]).
    pub sync_source: Option<IntegrationId>,
    /// When the change happened in Jira, if known.
    pub occurred_at: Option<EventTime>,
    /// The comment, for [`ActivityKind::Commented`].
    pub comment: Option<IssueComment>,
}

/// A comment written in Jira, as inbound sync hands it to the host. A host applies it once per
/// [`IssueComment::comment_id`]: a redelivery after a crash may hand the same comment again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComment {
    /// The Jira comment's id, unique in the Jira instance.
    pub comment_id: String,
    /// The text, in Jira's wiki markup.
    pub body: String,
    /// Who wrote it, as Jira shows them (username, e-mail address when visible, display name).
    pub author: Option<JiraUser>,
    /// When it was written in Jira, if known.
    pub created: Option<EventTime>,
}

impl ActivityData {
    /// The data of a change inbound sync makes: Jira Server as the provider, the integration as
    /// both the integration and the sync source (so the change is never echoed back to it), and
    /// the event's time in Jira.
    pub fn inbound(
        integration_id: IntegrationId,
        assignee: Option<Assignee>,
        occurred_at: Option<EventTime>,
    ) -> Self {
        Self {
            provider: JIRA_SERVER_PROVIDER_NAME.to_owned(),
            provider_key: JIRA_SERVER_PROVIDER.to_owned(),
            integration_id,
            assignee,
            sync_source: Some(integration_id),
            occurred_at,
            comment: None,
        }
    }

    /// The data of a comment inbound sync adds (see [`ActivityData::inbound`]); its time is the
    /// comment's.
    pub fn inbound_comment(integration_id: IntegrationId, comment: IssueComment) -> Self {
        let occurred_at = comment.created;
        Self {
            comment: Some(comment),
            ..Self::inbound(integration_id, None, occurred_at)
        }
    }

    /// Whether this change should be sent to `integration`: never back to where it came from
    /// (reference §4.4: loop prevention through the assignment source).
    pub fn should_sync_outbound_to(&self, integration: IntegrationId) -> bool {
        self.sync_source != Some(integration)
    }
}
