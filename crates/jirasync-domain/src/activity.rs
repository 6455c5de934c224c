//! The activity log of local issues: what the sync changed, and where the change came from.

use jirasync_webhook::EventTime;

use crate::ids::{ActivityId, IntegrationId, LocalIssueId};
use crate::issue::Assignee;

/// What happened to a local issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// The issue was assigned.
    Assigned,
    /// The issue was unassigned.
    Unassigned,
    /// The issue was resolved.
    SetResolved,
    /// The issue was reopened.
    SetUnresolved,
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
}

impl ActivityData {
    /// Whether this change should be sent to `integration`: never back to where it came from
    /// (reference §4.4: loop prevention through the assignment source).
    pub fn should_sync_outbound_to(&self, integration: IntegrationId) -> bool {
        self.sync_source != Some(integration)
    }
}
