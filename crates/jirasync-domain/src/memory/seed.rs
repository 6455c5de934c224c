//! [`Seed`] for the in-memory store: rows written as they are, for tests and examples.

use async_trait::async_trait;
use jirasync_webhook::IssueKey;

use super::InMemoryStore;
use crate::ids::{
    ExternalIssueId, IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId, UserId,
};
use crate::integration::{
    ExternalId, Integration, IntegrationMetadata, JIRA_SERVER_PROVIDER, LinkStatus,
    OrganizationIntegration, SyncConfig,
};
use crate::issue::{Assignee, LocalIssue, ResolutionStatus};
use crate::organization::{Organization, OrganizationFeatures};
use crate::people::{Project, Team, User, UserEmail};
use crate::store::{Seed, StoreError};

#[async_trait]
impl Seed for InMemoryStore {
    async fn seed_organization(
        &self,
        name: &str,
        features: OrganizationFeatures,
    ) -> Result<OrganizationId, StoreError> {
        let mut state = self.lock();
        let id = OrganizationId::new(state.next_id());
        state.organizations.insert(
            id,
            Organization {
                id,
                name: name.to_owned(),
                features,
            },
        );
        Ok(id)
    }

    async fn seed_user(&self, active: bool, emails: Vec<UserEmail>) -> Result<UserId, StoreError> {
        let mut state = self.lock();
        let id = UserId::new(state.next_id());
        state.users.insert(id, User { id, active, emails });
        Ok(id)
    }

    async fn seed_member(
        &self,
        organization_id: OrganizationId,
        user_id: UserId,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        state.require_organization(organization_id)?;
        if !state.users.contains_key(&user_id) {
            return Err(StoreError::not_found(format!("user {user_id}")));
        }
        state.members.insert((organization_id, user_id));
        Ok(())
    }

    async fn seed_team(
        &self,
        organization_id: OrganizationId,
        name: &str,
    ) -> Result<TeamId, StoreError> {
        let mut state = self.lock();
        state.require_organization(organization_id)?;
        let id = TeamId::new(state.next_id());
        state.teams.insert(
            id,
            Team {
                id,
                organization_id,
                name: name.to_owned(),
            },
        );
        Ok(id)
    }

    async fn seed_team_member(
        &self,
        team_id: TeamId,
        user_id: UserId,
        active: bool,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let Some(organization_id) = state.teams.get(&team_id).map(|team| team.organization_id)
        else {
            return Err(StoreError::not_found(format!("team {team_id}")));
        };
        if !state.users.contains_key(&user_id) {
            return Err(StoreError::not_found(format!("user {user_id}")));
        }
        // A team member is a member of the team's organization.
        state.members.insert((organization_id, user_id));
        state
            .team_memberships
            .entry(user_id)
            .or_default()
            .insert(team_id, active);
        Ok(())
    }

    async fn seed_project(
        &self,
        organization_id: OrganizationId,
        name: &str,
    ) -> Result<ProjectId, StoreError> {
        let mut state = self.lock();
        state.require_organization(organization_id)?;
        let id = ProjectId::new(state.next_id());
        state.projects.insert(
            id,
            Project {
                id,
                organization_id,
                name: name.to_owned(),
            },
        );
        Ok(id)
    }

    async fn seed_team_project(
        &self,
        team_id: TeamId,
        project_id: ProjectId,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let Some(team_organization) = state.teams.get(&team_id).map(|t| t.organization_id) else {
            return Err(StoreError::not_found(format!("team {team_id}")));
        };
        let Some(project_organization) = state.projects.get(&project_id).map(|p| p.organization_id)
        else {
            return Err(StoreError::not_found(format!("project {project_id}")));
        };
        if team_organization != project_organization {
            return Err(StoreError::invalid(format!(
                "team {team_id} and project {project_id} belong to different organizations"
            )));
        }
        state
            .team_projects
            .entry(team_id)
            .or_default()
            .insert(project_id);
        Ok(())
    }

    async fn seed_local_issue(
        &self,
        project_id: ProjectId,
        status: ResolutionStatus,
        assignee: Option<Assignee>,
    ) -> Result<LocalIssueId, StoreError> {
        let mut state = self.lock();
        let Some(organization_id) = state
            .projects
            .get(&project_id)
            .map(|project| project.organization_id)
        else {
            return Err(StoreError::not_found(format!("project {project_id}")));
        };
        let id = LocalIssueId::new(state.next_id());
        state.local_issues.insert(
            id,
            LocalIssue {
                id,
                organization_id,
                project_id,
                status,
                assignee,
            },
        );
        Ok(id)
    }

    async fn seed_integration(
        &self,
        external_id: ExternalId,
        name: &str,
        metadata: IntegrationMetadata,
    ) -> Result<IntegrationId, StoreError> {
        let mut state = self.lock();
        let clash = state
            .integrations
            .values()
            .any(|i| i.provider == JIRA_SERVER_PROVIDER && i.external_id == external_id);
        if clash {
            return Err(StoreError::conflict(format!(
                "an integration with external id {external_id} exists"
            )));
        }
        let id = IntegrationId::new(state.next_id());
        state.integrations.insert(
            id,
            Integration {
                id,
                provider: JIRA_SERVER_PROVIDER.to_owned(),
                external_id,
                name: name.to_owned(),
                metadata,
            },
        );
        Ok(id)
    }

    async fn seed_organization_integration(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        status: LinkStatus,
        config: SyncConfig,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        state.require_organization(organization_id)?;
        if !state.integrations.contains_key(&integration_id) {
            return Err(StoreError::not_found(format!(
                "integration {integration_id}"
            )));
        }
        let default_identity_id = state
            .identities
            .get(&(organization_id, integration_id))
            .map(|identity| identity.id);
        state.links.insert(
            (integration_id, organization_id),
            OrganizationIntegration {
                organization_id,
                integration_id,
                status,
                config,
                default_identity_id,
            },
        );
        Ok(())
    }

    async fn seed_issue_link(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        local_issue_id: LocalIssueId,
    ) -> Result<ExternalIssueId, StoreError> {
        let mut state = self.lock();
        if !state.local_issues.contains_key(&local_issue_id) {
            return Err(StoreError::not_found(format!(
                "local issue {local_issue_id}"
            )));
        }
        if !state.integrations.contains_key(&integration_id) {
            return Err(StoreError::not_found(format!(
                "integration {integration_id}"
            )));
        }
        let row = state.external_issue_row(integration_id, key, organization_id);
        row.local_issues.insert(local_issue_id);
        Ok(row.row.id)
    }
}
