//! Writing a known state into a store, for tests, examples and the conformance suite.

use async_trait::async_trait;
use jirasync_webhook::IssueKey;

use super::StoreError;
use crate::ids::{
    ExternalIssueId, IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId, UserId,
};
use crate::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use crate::issue::{Assignee, ResolutionStatus};
use crate::organization::OrganizationFeatures;
use crate::people::UserEmail;

/// Creates rows directly, bypassing the rules. Every store that runs the conformance suite
/// implements it; the host application normally owns these rows itself.
#[async_trait]
pub trait Seed: Send + Sync {
    /// Creates an organization.
    async fn seed_organization(
        &self,
        name: &str,
        features: OrganizationFeatures,
    ) -> Result<OrganizationId, StoreError>;

    /// Creates a user with these e-mail addresses.
    async fn seed_user(&self, active: bool, emails: Vec<UserEmail>) -> Result<UserId, StoreError>;

    /// Makes the user a member of the organization.
    async fn seed_member(
        &self,
        organization_id: OrganizationId,
        user_id: UserId,
    ) -> Result<(), StoreError>;

    /// Creates a team in the organization.
    async fn seed_team(
        &self,
        organization_id: OrganizationId,
        name: &str,
    ) -> Result<TeamId, StoreError>;

    /// Adds the user to the team; `active` is the membership's flag.
    async fn seed_team_member(
        &self,
        team_id: TeamId,
        user_id: UserId,
        active: bool,
    ) -> Result<(), StoreError>;

    /// Creates a project in the organization.
    async fn seed_project(
        &self,
        organization_id: OrganizationId,
        name: &str,
    ) -> Result<ProjectId, StoreError>;

    /// Gives the team access to the project.
    async fn seed_team_project(
        &self,
        team_id: TeamId,
        project_id: ProjectId,
    ) -> Result<(), StoreError>;

    /// Creates a local issue in the project.
    async fn seed_local_issue(
        &self,
        project_id: ProjectId,
        status: ResolutionStatus,
        assignee: Option<Assignee>,
    ) -> Result<LocalIssueId, StoreError>;

    /// Creates a `jira_server` integration.
    async fn seed_integration(
        &self,
        external_id: ExternalId,
        name: &str,
        metadata: IntegrationMetadata,
    ) -> Result<IntegrationId, StoreError>;

    /// Links the organization to the integration (creating or replacing the link).
    async fn seed_organization_integration(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        status: LinkStatus,
        config: SyncConfig,
    ) -> Result<(), StoreError>;

    /// Links a local issue to the Jira issue `key`, creating the organization's external issue row
    /// when it is missing; returns that row's id.
    async fn seed_issue_link(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<ExternalIssueId, StoreError>;
}
