//! The write plans the rules hand to a store, and what the store reports back.
//!
//! A rule reads, decides, and then makes **one** write call with a plan. The store applies the
//! whole plan atomically (one transaction in an SQL store), including the ordering guard, so two
//! deliveries for one Jira issue handled at the same time give the result of handling them one
//! after the other in `occurred_at` order.

use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

use crate::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use crate::issue::ResolutionStatus;

/// Which ordering-guard watermark and which delivery log a plan uses.
///
/// Assignee and status each have **their own** watermark per (organization, integration, key), as
/// the reference's `provider_assignee_updated_at` is for the assignee only: the two fields change
/// independently in Jira, so a newer status change says nothing about whether an older assignee
/// change is outdated. Sharing one watermark would drop a late assignee change because of an
/// unrelated status change. Delivery keys are recorded per kind too, because one delivery often
/// carries both an assignee and a status change. The full reasoning is in the project's
/// `docs/decisions/0004-ordering-guard.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SyncKind {
    /// Assignee events.
    Assignee,
    /// Status events.
    Status,
}

/// What to do with one local issue's assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssigneeTarget {
    /// Assign this user (replacing any user or team).
    User(UserId),
    /// Clear the assignee, whoever it is.
    Unassign,
}

/// The assignee changes of one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationAssignments {
    /// The organization.
    pub organization_id: OrganizationId,
    /// The changes, one per local issue. Empty when no issue resolved to a user: the watermark
    /// still moves.
    pub changes: Vec<(LocalIssueId, AssigneeTarget)>,
}

/// Everything one inbound assignee event writes, for [`crate::store::IssueSyncStore::apply_assignee_plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssigneePlan {
    /// The integration the event came through; also the activities' sync source.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// When the change happened in Jira; `None` disables the ordering guard for this plan.
    pub occurred_at: Option<EventTime>,
    /// The delivery's de-duplication key, if it has one.
    pub delivery_key: Option<DeliveryKey>,
    /// Per organization, what to change.
    pub organizations: Vec<OrganizationAssignments>,
}

/// The local issues of one organization a status plan touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationIssues {
    /// The organization.
    pub organization_id: OrganizationId,
    /// The issues to move to the plan's target status.
    pub issues: Vec<LocalIssueId>,
}

/// Everything one inbound status event writes, for [`crate::store::IssueSyncStore::apply_status_plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPlan {
    /// The integration the event came through; also the activities' sync source.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// When the change happened in Jira; `None` disables the ordering guard for this plan.
    pub occurred_at: Option<EventTime>,
    /// The delivery's de-duplication key, if it has one.
    pub delivery_key: Option<DeliveryKey>,
    /// Resolved or unresolved.
    pub target: ResolutionStatus,
    /// Per organization, the issues to move.
    pub organizations: Vec<OrganizationIssues>,
}

/// What a store did with a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanApplied {
    /// The delivery key was seen before for this kind: nothing was written.
    Duplicate,
    /// The plan was applied; one entry per organization of the plan, in the plan's order.
    Applied(Vec<OrganizationApplied>),
}

/// What a store did for one organization of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationApplied {
    /// The organization.
    pub organization_id: OrganizationId,
    /// The result.
    pub result: OrganizationResult,
}

/// The result of a plan in one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganizationResult {
    /// The organization's watermark was newer than the event: nothing changed there.
    Stale {
        /// The stored watermark.
        watermark: EventTime,
    },
    /// The changes were applied.
    Applied {
        /// Issues whose assignee or status changed (one activity each).
        changed: Vec<LocalIssueId>,
        /// Issues already in the wanted state (no write, no activity).
        unchanged: Vec<LocalIssueId>,
    },
}

/// Everything an install writes, for [`crate::store::IntegrationStore::install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRecord {
    /// The installing organization.
    pub organization_id: OrganizationId,
    /// `<host[:port]>:<consumer_key>`, at most 64 characters.
    pub external_id: crate::integration::ExternalId,
    /// The integration's name (the consumer key).
    pub name: String,
    /// Base URL, domain name, TLS verification and the webhook secret(s) of this install.
    pub metadata: crate::integration::IntegrationMetadata,
    /// The organization's credentials.
    pub credentials: crate::integration::JiraCredentials,
    /// The installing user, if known.
    pub installed_by: Option<UserId>,
}

/// What an install left in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The integration (new, or the existing one for this provider and external id).
    pub integration: crate::integration::Integration,
    /// The organization's link, active, with its default identity.
    pub organization_integration: crate::integration::OrganizationIntegration,
    /// The organization's identity with the new credentials.
    pub identity: crate::integration::Identity,
    /// Whether the integration row was created by this call.
    pub integration_created: bool,
    /// Whether the organization's link was created by this call.
    pub link_created: bool,
}
