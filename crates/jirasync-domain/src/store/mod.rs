//! jirasync's own bookkeeping: the storage traits jirasync implements itself (`jirasync-store`
//! on SQLite and PostgreSQL, an in-memory store for tests), composed into [`SyncStore`].
//!
//! What is here is jirasync's, never the application's: organizations as jirasync knows them
//! (their feature flags), integrations and credentials, organization links and their sync
//! configuration, the links from Jira issues to local issue ids, the ordering-guard watermarks,
//! the delivery log, external actors, the outbox of outgoing events and the outbox of outbound work. The application's own data (users, who may be assigned
//! what, its issues) is reached through [`Host`](crate::Host); the webhook inbox is
//! [`Inbox`](crate::inbox::Inbox).
//!
//! Stores persist; the rules decide. Every decision (the ordering guard, "already assigned", the
//! install merge) is in [`crate::rules`]; a store writes what the rule handed it, atomically, and
//! serialises the syncs of one Jira issue ([`IssueSyncStore::begin_issue_sync`]). Every trait is
//! object safe, `Send + Sync`, and returns [`StoreError`].

mod error;
mod events;
mod install;
pub mod missing;
mod outbox;
mod reconcile;
#[cfg(feature = "testing")]
mod seed;
mod session;
mod status_mappings;

use async_trait::async_trait;
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

pub use error::{BoxError, StoreError};
pub use events::{EventHub, EventListener, EventStore};
pub use install::{IdentityWrite, InstallPlan, Installation, IntegrationWrite, LinkWrite};
pub use outbox::{OutboxStore, lost_outbound_claim, missing_outbound, not_failed, superseded};
pub use reconcile::ReconcileStore;
#[cfg(feature = "testing")]
pub use seed::Seed;
pub use session::{IssueSyncRequest, IssueSyncSession, IssueSyncStart, SyncKind};
pub use status_mappings::StatusMappingStore;

use crate::activity::Activity;
use crate::external_actor::{
    ActorFilter, ActorTarget, ExternalActor, ExternalProvider, NewExternalActor,
};
use crate::ids::{ExternalActorId, IntegrationId, LocalIssueId, OrganizationId, UserId};
use crate::integration::{ExternalId, Identity, Integration, OrganizationIntegration, SyncConfig};
use crate::issue::{ExternalIssue, IssueLink, LinkedIssue, LocalIssue};
use crate::organization::Organization;

/// An organization's link to an integration, with the organization (for its feature flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationLink {
    /// The organization.
    pub organization: Organization,
    /// Its link to the integration.
    pub link: OrganizationIntegration,
}

/// Organizations as jirasync knows them: an id (the application's), a name, feature flags.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    /// The organization with this id.
    async fn organization(&self, id: OrganizationId) -> Result<Option<Organization>, StoreError>;

    /// Every organization, in id order.
    async fn organizations(&self) -> Result<Vec<Organization>, StoreError>;

    /// Creates the organization with its id (the application's), or replaces the name and
    /// feature flags of the one with that id. An application registers each organization that
    /// syncs this way; [`StoreError::Invalid`] for an id the store cannot hold (0, or above
    /// 2^63 - 1).
    async fn save_organization(&self, organization: Organization) -> Result<(), StoreError>;
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

    /// Writes an install as [`crate::rules::install::merge_install`] planned it, atomically, and
    /// returns what was stored. Each part of the plan says whether it creates a row or changes
    /// one the plan was made from; when the store no longer holds what the plan expects (another
    /// install got in between: the row exists already, or the integration's webhook secrets
    /// changed) it writes nothing and answers [`StoreError::Conflict`], and the rule plans again.
    /// [`StoreError::NotFound`] when the organization does not exist.
    ///
    /// In the same transaction it appends an `integration.installed` event
    /// ([`crate::events`]).
    async fn save_install(&self, plan: InstallPlan) -> Result<Installation, StoreError>;

    /// Replaces the sync configuration of the organization's link to the integration, keeping
    /// its status and default identity; returns the link as stored.
    /// [`StoreError::NotFound`] when the organization has no link to the integration.
    async fn update_sync_config(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        config: SyncConfig,
    ) -> Result<OrganizationIntegration, StoreError>;

    /// Removes the organization's link to the integration with everything jirasync keeps for
    /// it: the organization's credentials for the integration, its links to Jira issues (with
    /// their watermarks) and its external actors; and the integration itself (webhook secrets,
    /// delivery log, reconcile point) when no other organization is linked to it, after which a
    /// webhook of that Jira is refused as an unknown token. Appends `integration.removed` in
    /// the same transaction. The application's own records stay.
    /// [`StoreError::NotFound`] when the organization has no link to the integration.
    async fn remove_link(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
    ) -> Result<LinkRemoval, StoreError>;
}

/// What [`IntegrationStore::remove_link`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkRemoval {
    /// The integration as it was.
    pub integration: Integration,
    /// Whether the integration went too (no other organization was linked to it).
    pub integration_removed: bool,
}

impl LinkRemoval {
    /// A removal of the link to `integration`.
    pub fn new(integration: Integration, integration_removed: bool) -> Self {
        Self {
            integration,
            integration_removed,
        }
    }
}

/// The links from Jira issues to the application's issue ids.
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

    /// Links the local issue to the Jira issue `key` (exact) as the organization sees it through
    /// the integration, atomically: creates the organization's external issue row when it is
    /// missing (an existing one keeps its watermarks), then the link. Linking twice is not an
    /// error: the second call returns the link with `created: false` and writes nothing.
    ///
    /// The store does not know the application's issues: checking that the issue exists in the
    /// organization is the rule's ([`crate::rules::issue_links::link_jira_issue`]).
    /// [`StoreError::NotFound`] (writing nothing) when the organization has no link to the
    /// integration. A new link appends an `issue.linked` event in the same transaction.
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
    /// through the integration. The removal appends an `issue.unlinked` event in the same
    /// transaction.
    async fn unlink_issue(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<(), StoreError>;
}

/// The ordering guard's state and the delivery log, and the serialisation of the syncs of one
/// Jira issue.
#[async_trait]
pub trait IssueSyncStore: Send + Sync {
    /// Starts the sync of one Jira issue (see [`IssueSyncSession`] for the protocol): waits until
    /// no other session of the same integration and key runs (in this process or another one
    /// sharing the store), then answers [`IssueSyncStart::Duplicate`] when the request's delivery
    /// key was recorded for its kind and integration, or a session holding the stored watermark
    /// of each of the request's organizations.
    ///
    /// [`StoreError::Unavailable`] when the wait is longer than the store allows.
    async fn begin_issue_sync(
        &self,
        request: IssueSyncRequest,
    ) -> Result<IssueSyncStart, StoreError>;

    /// The newest event time applied for (organization, integration, key) and `kind`.
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

/// Everything jirasync keeps of its own, in one trait, implemented for any type that
/// implements its parts.
pub trait SyncStore:
    OrganizationStore
    + IntegrationStore
    + IssueLinkStore
    + IssueSyncStore
    + ExternalActorStore
    + EventStore
    + OutboxStore
    + StatusMappingStore
{
}

impl<T> SyncStore for T where
    T: OrganizationStore
        + IntegrationStore
        + IssueLinkStore
        + IssueSyncStore
        + ExternalActorStore
        + EventStore
        + OutboxStore
        + StatusMappingStore
        + ?Sized
{
}

/// The standalone host's own issues and their activity log, for reading (the admin API, state
/// export, tests). An application that embeds jirasync keeps these in its own tables and does
/// not implement this.
#[async_trait]
pub trait LocalIssueStore: Send + Sync {
    /// The local issue with this id.
    async fn local_issue(&self, id: LocalIssueId) -> Result<Option<LocalIssue>, StoreError>;

    /// A local issue's activities, oldest first.
    async fn activities(&self, local_issue_id: LocalIssueId) -> Result<Vec<Activity>, StoreError>;
}
