//! The standalone host's data written by the application through its **own ids**: organizations,
//! users, organization memberships, teams with their members, projects with the teams that reach
//! them, and issues with their status and assignee.
//!
//! An application running `jirasync serve` beside it keeps jirasync's copy of its data up to
//! date through the host API (`docs/api.md`). It names every record by its own id, an
//! [`AppId`] (text), never by jirasync's row ids: users by an id unique among users,
//! organizations by an id unique among organizations, and teams, projects and issues by an id
//! unique within their organization.
//!
//! [`ApplicationData`] is the write side a store implements (`jirasync-store` on SQLite and
//! PostgreSQL for [`Layout::Standalone`](https://docs.rs/jirasync-store), and the in-memory
//! store behind `testing`); `validate` checks a batch before it reaches the store. The
//! conformance suite ([`conformance`], `testing` feature) runs against every store.
//!
//! # Semantics every store keeps
//!
//! - **Upserts are idempotent**: an item creates the record its id names, or replaces the
//!   record's fields (a user's e-mail addresses, a team's members, a project's teams are
//!   replaced as a whole). Sending the same batch twice leaves the same state.
//! - **A batch is one transaction**: every item is written, or none. An item that names a
//!   record that does not exist (a project, a user, a team) refuses the whole batch with
//!   [`StoreError::Conflict`] naming the item (`items[3].project`), and an organization the call
//!   names that does not exist is [`StoreError::NotFound`].
//! - **Deletes cascade** as the schema does: deleting a user removes their memberships and
//!   unassigns their issues; deleting a team removes its memberships and project access and
//!   unassigns its issues; deleting a project deletes its issues; deleting an organization
//!   deletes everything of it (teams, projects, issues, its links to Jira and their
//!   credentials). Deleting what does not exist is [`StoreError::NotFound`].
//! - Records without an app id (created from a state file that gives none) are not reachable
//!   here.

#[cfg(feature = "testing")]
pub mod conformance;
mod validate;

use async_trait::async_trait;

use crate::ids::{LocalIssueId, OrganizationId, UserId};
use crate::issue::ResolutionStatus;
use crate::organization::OrganizationFeatures;
use crate::outbound::NewOutboundWork;
use crate::people::UserEmail;
use crate::store::StoreError;

pub use validate::{
    BatchError, MAX_APP_ID_CHARS, MAX_BATCH_ITEMS, MAX_NAME_CHARS, validate_app_id,
    validate_issues, validate_members, validate_organizations, validate_projects, validate_teams,
    validate_users,
};

jirasync_core::string_newtype! {
    /// The application's own id of a record (a user, an organization, a team, a project, an
    /// issue): 1 to [`MAX_APP_ID_CHARS`] characters, no control character, no blank at either
    /// end ([`validate_app_id`]).
    pub struct AppId;
}

/// An organization as the application describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationData {
    /// The application's id of the organization.
    pub id: AppId,
    /// A display name.
    pub name: String,
    /// The feature flags; `None` keeps the stored ones (every feature on for a new
    /// organization).
    pub features: Option<OrganizationFeatures>,
}

/// A user as the application describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    /// The application's id of the user.
    pub id: AppId,
    /// Inactive users are never assigned.
    pub active: bool,
    /// Every e-mail address of the user, in the user's order (replaces the stored ones).
    pub emails: Vec<UserEmail>,
}

/// A user's membership of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMemberData {
    /// The user's application id; the user must be a member of the team's organization.
    pub user: AppId,
    /// Only active memberships give access to the team's projects.
    pub active: bool,
}

/// A team of an organization, with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamData {
    /// The application's id of the team, unique within its organization.
    pub id: AppId,
    /// A display name.
    pub name: String,
    /// The members (replaces the stored ones).
    pub members: Vec<TeamMemberData>,
}

/// A project of an organization, with the teams that may work on it (reference §4.3: a user
/// may be assigned an issue when an active membership of one of these teams reaches it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectData {
    /// The application's id of the project, unique within its organization.
    pub id: AppId,
    /// A display name.
    pub name: String,
    /// The teams of the organization that reach the project (replaces the stored ones).
    pub teams: Vec<AppId>,
}

/// Who an issue is assigned to, by application ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AppAssignee {
    /// A user, a member of the issue's organization.
    User(AppId),
    /// A team of the issue's organization.
    Team(AppId),
}

/// An issue of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueData {
    /// The application's id of the issue, unique within its organization.
    pub id: AppId,
    /// The project of the organization the issue belongs to.
    pub project: AppId,
    /// Resolved or not.
    pub status: ResolutionStatus,
    /// The assignee, if any.
    pub assignee: Option<AppAssignee>,
}

/// What an upsert did: how many records it created and how many it replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertSummary {
    /// Records the batch created.
    pub created: usize,
    /// Records that existed and were replaced (even when nothing changed).
    pub updated: usize,
}

/// The standalone host's data written by application ids. See the [module documentation](self)
/// for the semantics every implementation keeps; the batches should have passed the matching
/// `validate_*` function (a store may assume it).
#[async_trait]
pub trait ApplicationData: Send + Sync {
    /// Creates or replaces organizations.
    async fn upsert_organizations(
        &self,
        batch: &[OrganizationData],
    ) -> Result<UpsertSummary, StoreError>;

    /// The organization with this application id: jirasync's id for it and its data (features
    /// as stored).
    async fn app_organization(
        &self,
        organization: &AppId,
    ) -> Result<Option<(OrganizationId, OrganizationData)>, StoreError>;

    /// The application ids of every organization that has one, in order.
    async fn app_organizations(&self) -> Result<Vec<AppId>, StoreError>;

    /// Deletes an organization and everything of it.
    async fn delete_organization(&self, organization: &AppId) -> Result<(), StoreError>;

    /// Creates or replaces users.
    async fn upsert_users(&self, batch: &[UserData]) -> Result<UpsertSummary, StoreError>;

    /// The user with this application id.
    async fn app_user(&self, user: &AppId) -> Result<Option<UserData>, StoreError>;

    /// jirasync's id of the user with this application id (what external actors and outbound
    /// work name).
    async fn app_user_id(&self, user: &AppId) -> Result<Option<UserId>, StoreError>;

    /// Deletes a user (memberships removed, their issues unassigned).
    async fn delete_user(&self, user: &AppId) -> Result<(), StoreError>;

    /// Makes the users members of the organization (already a member: nothing changes).
    /// `created` counts the new memberships.
    async fn add_members(
        &self,
        organization: &AppId,
        users: &[AppId],
    ) -> Result<UpsertSummary, StoreError>;

    /// The organization's members, in application id order.
    async fn app_members(&self, organization: &AppId) -> Result<Vec<AppId>, StoreError>;

    /// Removes a user from the organization and from the organization's teams, and unassigns
    /// the organization's issues assigned to them.
    async fn remove_member(&self, organization: &AppId, user: &AppId) -> Result<(), StoreError>;

    /// Creates or replaces teams of the organization.
    async fn upsert_teams(
        &self,
        organization: &AppId,
        batch: &[TeamData],
    ) -> Result<UpsertSummary, StoreError>;

    /// A team of the organization, members in application id order.
    async fn app_team(
        &self,
        organization: &AppId,
        team: &AppId,
    ) -> Result<Option<TeamData>, StoreError>;

    /// Deletes a team of the organization.
    async fn delete_team(&self, organization: &AppId, team: &AppId) -> Result<(), StoreError>;

    /// Creates or replaces projects of the organization.
    async fn upsert_projects(
        &self,
        organization: &AppId,
        batch: &[ProjectData],
    ) -> Result<UpsertSummary, StoreError>;

    /// A project of the organization, teams in application id order.
    async fn app_project(
        &self,
        organization: &AppId,
        project: &AppId,
    ) -> Result<Option<ProjectData>, StoreError>;

    /// Deletes a project of the organization and its issues.
    async fn delete_project(&self, organization: &AppId, project: &AppId)
    -> Result<(), StoreError>;

    /// Creates or replaces issues of the organization.
    async fn upsert_issues(
        &self,
        organization: &AppId,
        batch: &[IssueData],
    ) -> Result<UpsertSummary, StoreError>;

    /// An issue of the organization: jirasync's id for it and its data.
    async fn app_issue(
        &self,
        organization: &AppId,
        issue: &AppId,
    ) -> Result<Option<(LocalIssueId, IssueData)>, StoreError>;

    /// Deletes an issue of the organization (its links to Jira issues go with it).
    async fn delete_issue(&self, organization: &AppId, issue: &AppId) -> Result<(), StoreError>;

    /// Changes one existing issue of the organization from `expected` (as read through
    /// [`ApplicationData::app_issue`]) to `issue` (the same id), and records `outbound` work
    /// (planned by [`crate::rules::outbound`] from `expected` and `issue`), **in one
    /// transaction**: the change and its outbound work are both written or neither is.
    ///
    /// [`StoreError::NotFound`] when the organization or the issue does not exist;
    /// [`StoreError::Conflict`] (writing nothing) when the stored issue is no longer `expected`
    /// (changed in between: read it again and plan again), or when `issue` names a user, team
    /// or project that does not exist in the organization.
    async fn update_issue(
        &self,
        organization: &AppId,
        expected: &IssueData,
        issue: &IssueData,
        outbound: &[NewOutboundWork],
    ) -> Result<(), StoreError>;
}

/// The [`StoreError::Conflict`] of an issue changed since it was read.
pub fn changed_meanwhile(issue: &AppId) -> StoreError {
    StoreError::conflict(format!(
        "issue {:?} changed while this change was being made; read it again and retry",
        issue.as_str()
    ))
}

/// The [`StoreError::NotFound`] of an organization the call names.
pub fn missing_organization(organization: &AppId) -> StoreError {
    StoreError::not_found(format!("organization {:?}", organization.as_str()))
}

/// The [`StoreError::NotFound`] of a record of an organization the call names.
pub fn missing_in_organization(what: &str, id: &AppId, organization: &AppId) -> StoreError {
    StoreError::not_found(format!(
        "{what} {:?} in organization {:?}",
        id.as_str(),
        organization.as_str()
    ))
}

/// The [`StoreError::Conflict`] of a batch item at `path` (`items[3].project`) that names a
/// record that does not exist.
pub fn unknown_reference(path: &str, what: &str, id: &AppId, scope: Option<&AppId>) -> StoreError {
    let place = match scope {
        Some(organization) => format!(" in organization {:?}", organization.as_str()),
        None => String::new(),
    };
    StoreError::conflict(format!(
        "{path}: there is no {what} {:?}{place}; create it first",
        id.as_str()
    ))
}

/// The [`StoreError::Conflict`] of a batch item at `path` naming a user who is not a member of
/// the organization.
pub fn not_a_member(path: &str, user: &AppId, organization: &AppId) -> StoreError {
    StoreError::conflict(format!(
        "{path}: user {:?} is not a member of organization {:?}; add it with PUT \
         /api/v1/organizations/{}/members first",
        user.as_str(),
        organization.as_str(),
        organization.as_str()
    ))
}
