//! The storage traits the rules run on, split by concern and composed into [`Store`].
//!
//! Reads are plain queries. Writes take a whole plan ([`AssigneePlan`], [`StatusPlan`],
//! [`InstallRecord`]) so an implementation can apply each rule's write in one transaction and
//! enforce the ordering guard in the database. Every trait is object safe, `Send + Sync`, and
//! returns [`StoreError`].
//!
//! Implementations: [`crate::memory::InMemoryStore`] here; SQL stores elsewhere. Every
//! implementation should pass the conformance suite (`conformance` module, `testing` feature).

mod error;
pub mod missing;
mod plan;
mod seed;

use async_trait::async_trait;
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

pub use error::{BoxError, StoreError};
pub use plan::{
    AssigneePlan, AssigneeTarget, InstallRecord, Installation, OrganizationApplied,
    OrganizationAssignments, OrganizationIssues, OrganizationResult, PlanApplied, StatusPlan,
    SyncKind,
};
pub use seed::Seed;

use crate::activity::Activity;
use crate::external_actor::{
    ActorFilter, ActorTarget, ExternalActor, ExternalProvider, NewExternalActor,
};
use crate::ids::{ExternalActorId, IntegrationId, LocalIssueId, OrganizationId, TeamId, UserId};
use crate::integration::{ExternalId, Identity, Integration, OrganizationIntegration, SyncConfig};
use crate::issue::{ExternalIssue, IssueLink, LinkedIssue, LocalIssue};
use crate::organization::Organization;
use crate::people::{ProjectAccess, Team, User};

/// An organization's link to an integration, with the organization (for its feature flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationLink {
    /// The organization.
    pub organization: Organization,
    /// Its link to the integration.
    pub link: OrganizationIntegration,
}

/// Integrations, their organization links and identities.
#[async_trait]
pub trait IntegrationStore: Send + Sync {
    /// The integration with this id.
    async fn integration(&self, id: IntegrationId) -> Result<Option<Integration>, StoreError>;

    /// Every integration, in id order.
    async fn integrations(&self) -> Result<Vec<Integration>, StoreError>;

    /// The integration of `provider` with this external id (the webhook token's `id` claim).
    async fn integration_by_external_id(
        &self,
        provider: &str,
        external_id: &ExternalId,
    ) -> Result<Option<Integration>, StoreError>;

    /// Every organization linked to the integration, active or not, in organization id order.
    async fn organization_links(
        &self,
        integration_id: IntegrationId,
    ) -> Result<Vec<OrganizationLink>, StoreError>;

    /// The identity an organization uses for an integration.
    async fn identity(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
    ) -> Result<Option<Identity>, StoreError>;

    /// Records an install atomically: gets or creates the integration by (`jira_server`, external
    /// id) and updates its base URL, domain name and TLS flag, adds the record's webhook secrets
    /// that it lacks (keeping the others, so another organization's tokens stay valid); creates or
    /// replaces the organization's identity; creates the organization's link (empty config) or
    /// re-activates an existing one keeping its config, with the identity as default.
    async fn install(&self, record: InstallRecord) -> Result<Installation, StoreError>;

    /// Replaces the sync configuration of the organization's link to the integration, keeping
    /// its status and default identity; returns the link as stored.
    /// [`StoreError::NotFound`] when the organization has no link to the integration.
    async fn update_sync_config(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        config: SyncConfig,
    ) -> Result<OrganizationIntegration, StoreError>;
}

/// Local issues and their links to Jira issues.
#[async_trait]
pub trait IssueLinkStore: Send + Sync {
    /// The local issues linked to the Jira issue `key` (exact, case-sensitive) through
    /// `integration_id`, by organizations among `organizations`, in local issue id order.
    async fn linked_issues(
        &self,
        integration_id: IntegrationId,
        key: &IssueKey,
        organizations: &[OrganizationId],
    ) -> Result<Vec<LinkedIssue>, StoreError>;

    /// The local issue with this id.
    async fn local_issue(&self, id: LocalIssueId) -> Result<Option<LocalIssue>, StoreError>;

    /// Links the local issue to the Jira issue `key` (exact) as the organization sees it through
    /// the integration, atomically: creates the organization's external issue row when it is
    /// missing (an existing one keeps its watermarks), then the link. Linking twice is not an
    /// error: the second call returns the link with `created: false` and writes nothing.
    ///
    /// [`StoreError::NotFound`] (writing nothing) when the local issue does not exist or is in
    /// another organization, or when the organization has no link to the integration.
    async fn link_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<IssueLink, StoreError>;

    /// The Jira issues a local issue is linked to, by any organization and integration, in
    /// external issue id order (with their watermarks).
    async fn external_issues_of(
        &self,
        local_issue_id: LocalIssueId,
    ) -> Result<Vec<ExternalIssue>, StoreError>;

    /// Removes the link [`IssueLinkStore::link_issue`] makes. The external issue row stays, with
    /// its watermarks, so an older event is still refused if the issue is linked again.
    /// [`StoreError::NotFound`] when the organization does not link that local issue to `key`
    /// through the integration.
    async fn unlink_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<(), StoreError>;
}

/// Organizations, users, teams and who reaches which project.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// The organization with this id.
    async fn organization(&self, id: OrganizationId) -> Result<Option<Organization>, StoreError>;

    /// Every organization, in id order.
    async fn organizations(&self) -> Result<Vec<Organization>, StoreError>;

    /// The **active** users owning a **verified** e-mail equal to `email` ignoring case, in
    /// ascending id order (reference §4.3: any verified address counts, not only the primary).
    async fn active_users_with_verified_email(
        &self,
        email: &str,
    ) -> Result<Vec<UserId>, StoreError>;

    /// The users with these ids that exist, in ascending id order.
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError>;

    /// For each **active** user among `ids`, the projects reached through teams where their
    /// membership is active; in ascending user id order. Users reaching nothing may be left out.
    async fn project_access(&self, ids: &[UserId]) -> Result<Vec<ProjectAccess>, StoreError>;

    /// Whether the user is a member of the organization.
    async fn is_member(
        &self,
        organization_id: OrganizationId,
        user_id: UserId,
    ) -> Result<bool, StoreError>;

    /// The team with this id.
    async fn team(&self, id: TeamId) -> Result<Option<Team>, StoreError>;
}

/// Assignments and resolutions with their activities, applied as whole plans.
#[async_trait]
pub trait IssueSyncStore: Send + Sync {
    /// Applies an assignee plan atomically:
    ///
    /// 1. If the plan has a delivery key already recorded for ([`SyncKind::Assignee`],
    ///    integration), write nothing and return [`PlanApplied::Duplicate`]; else record it.
    /// 2. Per organization, when the plan has `occurred_at`: if the (organization, integration,
    ///    key) assignee watermark is strictly newer, skip the organization
    ///    ([`OrganizationResult::Stale`]); an equal one is re-applied.
    /// 3. Apply each change: assigning the current user assignee, or unassigning an issue without
    ///    assignee, writes nothing (`unchanged`); any other change sets the assignee (clearing a
    ///    team) and writes one `Assigned` / `Unassigned` activity with the plan's integration as
    ///    sync source and the plan's `occurred_at`.
    /// 4. Move the watermark to `occurred_at` when it is absent or older, also for organizations
    ///    whose change list is empty. It never moves back.
    ///
    /// Changes to issues that no longer exist are skipped.
    async fn apply_assignee_plan(&self, plan: AssigneePlan) -> Result<PlanApplied, StoreError>;

    /// Applies a status plan atomically, as [`IssueSyncStore::apply_assignee_plan`] does with the
    /// [`SyncKind::Status`] watermark and delivery log: issues already in the target status are
    /// `unchanged` (no activity); the others move to it with one `SetResolved` /
    /// `SetUnresolved` activity each.
    async fn apply_status_plan(&self, plan: StatusPlan) -> Result<PlanApplied, StoreError>;

    /// A local issue's activities, oldest first.
    async fn activities(&self, local_issue_id: LocalIssueId) -> Result<Vec<Activity>, StoreError>;
}

/// The ordering-guard state, for inspection (the plans write it).
#[async_trait]
pub trait WatermarkStore: Send + Sync {
    /// The newest `occurred_at` applied for (organization, integration, key) and `kind`.
    async fn watermark(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        kind: SyncKind,
    ) -> Result<Option<EventTime>, StoreError>;

    /// Whether a delivery key was recorded for `kind` and the integration.
    async fn delivery_seen(
        &self,
        integration_id: IntegrationId,
        kind: SyncKind,
        delivery_key: &DeliveryKey,
    ) -> Result<bool, StoreError>;
}

/// External actors.
#[async_trait]
pub trait ExternalActorStore: Send + Sync {
    /// The actor with this id in this organization.
    async fn external_actor(
        &self,
        organization_id: OrganizationId,
        id: ExternalActorId,
    ) -> Result<Option<ExternalActor>, StoreError>;

    /// The organization's actors that pass `filter`, in id order.
    async fn external_actors(
        &self,
        organization_id: OrganizationId,
        filter: ActorFilter,
    ) -> Result<Vec<ExternalActor>, StoreError>;

    /// The actors of `target` in the organization for `provider` whose external name equals
    /// `external_name` ignoring case, in id order.
    async fn external_actors_named(
        &self,
        organization_id: OrganizationId,
        provider: ExternalProvider,
        target: ActorTarget,
        external_name: &str,
    ) -> Result<Vec<ExternalActor>, StoreError>;

    /// The users of the actors of `provider` for `integration_id` whose external name equals one
    /// of `names` ignoring case (reference §5.2), ascending and without repeats.
    async fn users_with_external_name(
        &self,
        integration_id: IntegrationId,
        provider: ExternalProvider,
        names: &[&str],
    ) -> Result<Vec<UserId>, StoreError>;

    /// Inserts an actor. [`StoreError::Conflict`] when the organization already has an actor of
    /// the same provider, exact external name and target.
    async fn insert_external_actor(
        &self,
        actor: NewExternalActor,
    ) -> Result<ExternalActor, StoreError>;

    /// Replaces an actor's fields (not its id or organization). [`StoreError::NotFound`] when it
    /// does not exist in that organization; [`StoreError::Conflict`] on the uniqueness rule of
    /// [`ExternalActorStore::insert_external_actor`].
    async fn update_external_actor(
        &self,
        actor: ExternalActor,
    ) -> Result<ExternalActor, StoreError>;

    /// Deletes an actor. [`StoreError::NotFound`] when it does not exist in that organization.
    async fn delete_external_actor(
        &self,
        organization_id: OrganizationId,
        id: ExternalActorId,
    ) -> Result<(), StoreError>;
}

/// Every storage concern in one trait, implemented for any type that implements them all.
pub trait Store:
    IntegrationStore
    + IssueLinkStore
    + DirectoryStore
    + IssueSyncStore
    + WatermarkStore
    + ExternalActorStore
{
}

impl<T> Store for T where
    T: IntegrationStore
        + IssueLinkStore
        + DirectoryStore
        + IssueSyncStore
        + WatermarkStore
        + ExternalActorStore
        + ?Sized
{
}
