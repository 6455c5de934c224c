//! Between the state file's records and the domain entities, both ways, so every store exports
//! and imports through the same code.

use jirasync_webhook::{IssueKey, WebhookSecret};

use super::format::{
    ActivityKindRecord, ActivityRecord, CredentialsRecord, EmailRecord, ExternalActorRecord,
    ExternalIssueRecord, FeaturesRecord, IdentityRecord, IntegrationRecord, IssueStatusRecord,
    LinkStatusRecord, LocalIssueRecord, OrganizationIntegrationRecord, OrganizationRecord,
    ProjectRecord, ResolutionStrategyRecord, SyncConfigRecord, TeamRecord, UserOrTeam, UserRecord,
};
use super::wire::SecretText;
use crate::activity::{Activity, ActivityData, ActivityKind};
use crate::external_actor::{ActorTarget, ExternalActor, ExternalProvider};
use crate::ids::{
    ActivityId, ExternalActorId, ExternalIssueId, IdentityId, IntegrationId, LocalIssueId,
    OrganizationId, ProjectId, TeamId, UserId,
};
use crate::integration::{
    ExternalId, Identity, Integration, IntegrationMetadata, JiraCredentials, LinkStatus,
    OrganizationIntegration, ResolutionStrategy, SyncConfig,
};
use crate::issue::{Assignee, ExternalIssue, LocalIssue, ResolutionStatus};
use crate::organization::{Organization, OrganizationFeatures};
use crate::people::{Project, Team, User, UserEmail};
use crate::secret::SecretString;
use crate::store::StoreError;

/// Without an application id: the entity does not carry one; a store that keeps it sets
/// `app_id` after.
impl From<&Organization> for OrganizationRecord {
    fn from(organization: &Organization) -> Self {
        Self {
            id: organization.id.get(),
            app_id: None,
            name: organization.name.clone(),
            features: FeaturesRecord {
                issue_sync: organization.features.issue_sync,
                external_actors: organization.features.external_actors,
            },
        }
    }
}

impl OrganizationRecord {
    /// The organization this record describes.
    pub fn to_organization(&self) -> Organization {
        Organization {
            id: OrganizationId::new(self.id),
            name: self.name.clone(),
            features: OrganizationFeatures {
                issue_sync: self.features.issue_sync,
                external_actors: self.features.external_actors,
            },
        }
    }
}

/// Without an application id: the entity does not carry one; a store that keeps it sets
/// `app_id` after.
impl From<&User> for UserRecord {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.get(),
            app_id: None,
            active: user.active,
            emails: user
                .emails
                .iter()
                .map(|email| EmailRecord {
                    address: email.address.clone(),
                    verified: email.verified,
                })
                .collect(),
        }
    }
}

impl UserRecord {
    /// The user this record describes.
    pub fn to_user(&self) -> User {
        User {
            id: UserId::new(self.id),
            active: self.active,
            emails: self
                .emails
                .iter()
                .map(|email| UserEmail {
                    address: email.address.clone(),
                    verified: email.verified,
                })
                .collect(),
        }
    }
}

/// Without an application id: the entity does not carry one; a store that keeps it sets
/// `app_id` after.
impl From<&Team> for TeamRecord {
    fn from(team: &Team) -> Self {
        Self {
            id: team.id.get(),
            organization_id: team.organization_id.get(),
            app_id: None,
            name: team.name.clone(),
        }
    }
}

impl TeamRecord {
    /// The team this record describes.
    pub fn to_team(&self) -> Team {
        Team {
            id: TeamId::new(self.id),
            organization_id: OrganizationId::new(self.organization_id),
            name: self.name.clone(),
        }
    }
}

/// Without an application id: the entity does not carry one; a store that keeps it sets
/// `app_id` after.
impl From<&Project> for ProjectRecord {
    fn from(project: &Project) -> Self {
        Self {
            id: project.id.get(),
            organization_id: project.organization_id.get(),
            app_id: None,
            name: project.name.clone(),
        }
    }
}

impl ProjectRecord {
    /// The project this record describes.
    pub fn to_project(&self) -> Project {
        Project {
            id: ProjectId::new(self.id),
            organization_id: OrganizationId::new(self.organization_id),
            name: self.name.clone(),
        }
    }
}

impl From<Assignee> for UserOrTeam {
    fn from(assignee: Assignee) -> Self {
        match assignee {
            Assignee::User(user) => Self::User(user.get()),
            Assignee::Team(team) => Self::Team(team.get()),
        }
    }
}

impl From<ActorTarget> for UserOrTeam {
    fn from(target: ActorTarget) -> Self {
        match target {
            ActorTarget::User(user) => Self::User(user.get()),
            ActorTarget::Team(team) => Self::Team(team.get()),
        }
    }
}

impl UserOrTeam {
    /// As an issue's assignee.
    pub fn to_assignee(self) -> Assignee {
        match self {
            Self::User(user) => Assignee::User(UserId::new(user)),
            Self::Team(team) => Assignee::Team(TeamId::new(team)),
        }
    }

    /// As an external actor's target.
    pub fn to_actor_target(self) -> ActorTarget {
        match self {
            Self::User(user) => ActorTarget::User(UserId::new(user)),
            Self::Team(team) => ActorTarget::Team(TeamId::new(team)),
        }
    }
}

/// Without an application id: the entity does not carry one; a store that keeps it sets
/// `app_id` after.
impl From<&LocalIssue> for LocalIssueRecord {
    fn from(issue: &LocalIssue) -> Self {
        Self {
            id: issue.id.get(),
            organization_id: issue.organization_id.get(),
            app_id: None,
            project_id: issue.project_id.get(),
            status: match issue.status {
                ResolutionStatus::Unresolved => IssueStatusRecord::Unresolved,
                ResolutionStatus::Resolved => IssueStatusRecord::Resolved,
            },
            assignee: issue.assignee.map(UserOrTeam::from),
        }
    }
}

impl LocalIssueRecord {
    /// The local issue this record describes.
    pub fn to_local_issue(&self) -> LocalIssue {
        LocalIssue {
            id: LocalIssueId::new(self.id),
            organization_id: OrganizationId::new(self.organization_id),
            project_id: ProjectId::new(self.project_id),
            status: match self.status {
                IssueStatusRecord::Unresolved => ResolutionStatus::Unresolved,
                IssueStatusRecord::Resolved => ResolutionStatus::Resolved,
            },
            assignee: self.assignee.map(UserOrTeam::to_assignee),
        }
    }
}

impl From<&Integration> for IntegrationRecord {
    fn from(integration: &Integration) -> Self {
        let metadata = &integration.metadata;
        Self {
            id: integration.id.get(),
            provider: integration.provider.clone(),
            external_id: integration.external_id.as_str().to_owned(),
            name: integration.name.clone(),
            base_url: metadata.base_url.clone(),
            domain_name: metadata.domain_name.clone(),
            verify_ssl: metadata.verify_ssl,
            webhook_secrets: metadata
                .webhook_secrets
                .iter()
                .map(|secret| SecretText::from(secret.as_secret().clone()))
                .collect(),
        }
    }
}

impl IntegrationRecord {
    /// The integration this record describes.
    pub fn to_integration(&self) -> Integration {
        Integration {
            id: IntegrationId::new(self.id),
            provider: self.provider.clone(),
            external_id: ExternalId::new(self.external_id.clone()),
            name: self.name.clone(),
            metadata: IntegrationMetadata {
                base_url: self.base_url.clone(),
                domain_name: self.domain_name.clone(),
                verify_ssl: self.verify_ssl,
                webhook_secrets: self
                    .webhook_secrets
                    .iter()
                    .map(|secret| WebhookSecret::from(secret.as_secret().clone()))
                    .collect(),
            },
        }
    }
}

impl From<&JiraCredentials> for CredentialsRecord {
    fn from(credentials: &JiraCredentials) -> Self {
        match credentials {
            JiraCredentials::OAuth1 {
                consumer_key,
                private_key_pem,
                access_token,
                access_token_secret,
            } => Self::OAuth1 {
                consumer_key: consumer_key.clone(),
                private_key_pem: SecretText::from(private_key_pem.as_secret().clone()),
                access_token: access_token.clone(),
                access_token_secret: SecretText::from(access_token_secret.as_secret().clone()),
            },
            JiraCredentials::Bearer { token } => Self::Bearer {
                token: SecretText::from(token.as_secret().clone()),
            },
        }
    }
}

impl CredentialsRecord {
    /// The credentials this record describes.
    pub fn to_credentials(&self) -> JiraCredentials {
        match self {
            Self::OAuth1 {
                consumer_key,
                private_key_pem,
                access_token,
                access_token_secret,
            } => JiraCredentials::OAuth1 {
                consumer_key: consumer_key.clone(),
                private_key_pem: SecretString::from(private_key_pem.as_secret().clone()),
                access_token: access_token.clone(),
                access_token_secret: SecretString::from(access_token_secret.as_secret().clone()),
            },
            Self::Bearer { token } => JiraCredentials::Bearer {
                token: SecretString::from(token.as_secret().clone()),
            },
        }
    }
}

impl From<&Identity> for IdentityRecord {
    fn from(identity: &Identity) -> Self {
        Self {
            id: identity.id.get(),
            organization_id: identity.organization_id.get(),
            integration_id: identity.integration_id.get(),
            installed_by: identity.installed_by.map(UserId::get),
            credentials: CredentialsRecord::from(&identity.credentials),
        }
    }
}

impl IdentityRecord {
    /// The identity this record describes.
    pub fn to_identity(&self) -> Identity {
        Identity {
            id: IdentityId::new(self.id),
            organization_id: OrganizationId::new(self.organization_id),
            integration_id: IntegrationId::new(self.integration_id),
            installed_by: self.installed_by.map(UserId::new),
            credentials: self.credentials.to_credentials(),
        }
    }
}

impl From<&OrganizationIntegration> for OrganizationIntegrationRecord {
    fn from(link: &OrganizationIntegration) -> Self {
        let config = &link.config;
        Self {
            organization_id: link.organization_id.get(),
            integration_id: link.integration_id.get(),
            status: match link.status {
                LinkStatus::Active => LinkStatusRecord::Active,
                LinkStatus::Disabled => LinkStatusRecord::Disabled,
            },
            config: SyncConfigRecord {
                sync_reverse_assignment: config.sync_reverse_assignment,
                sync_status_reverse: config.sync_status_reverse,
                sync_forward_assignment: config.sync_forward_assignment,
                sync_status_forward: config.sync_status_forward,
                sync_comments: config.sync_comments,
                resolution_strategy: match config.resolution_strategy {
                    ResolutionStrategy::Resolve => ResolutionStrategyRecord::Resolve,
                    ResolutionStrategy::ResolveCurrentRelease => {
                        ResolutionStrategyRecord::ResolveCurrentRelease
                    }
                    ResolutionStrategy::ResolveNextRelease => {
                        ResolutionStrategyRecord::ResolveNextRelease
                    }
                },
            },
            default_identity_id: link.default_identity_id.map(IdentityId::get),
        }
    }
}

impl OrganizationIntegrationRecord {
    /// The organization link this record describes.
    pub fn to_organization_integration(&self) -> OrganizationIntegration {
        let config = &self.config;
        OrganizationIntegration {
            organization_id: OrganizationId::new(self.organization_id),
            integration_id: IntegrationId::new(self.integration_id),
            status: match self.status {
                LinkStatusRecord::Active => LinkStatus::Active,
                LinkStatusRecord::Disabled => LinkStatus::Disabled,
            },
            config: SyncConfig {
                sync_reverse_assignment: config.sync_reverse_assignment,
                sync_status_reverse: config.sync_status_reverse,
                sync_forward_assignment: config.sync_forward_assignment,
                sync_status_forward: config.sync_status_forward,
                sync_comments: config.sync_comments,
                resolution_strategy: match config.resolution_strategy {
                    ResolutionStrategyRecord::Resolve => ResolutionStrategy::Resolve,
                    ResolutionStrategyRecord::ResolveCurrentRelease => {
                        ResolutionStrategy::ResolveCurrentRelease
                    }
                    ResolutionStrategyRecord::ResolveNextRelease => {
                        ResolutionStrategy::ResolveNextRelease
                    }
                },
            },
            default_identity_id: self.default_identity_id.map(IdentityId::new),
        }
    }
}

impl ExternalIssueRecord {
    /// The record of an external issue row and the local issues linked to it.
    pub fn new(
        issue: &ExternalIssue,
        local_issues: impl IntoIterator<Item = LocalIssueId>,
    ) -> Self {
        Self {
            id: issue.id.get(),
            organization_id: issue.organization_id.get(),
            integration_id: issue.integration_id.get(),
            key: issue.key.as_str().to_owned(),
            assignee_updated_at: issue.assignee_updated_at,
            status_updated_at: issue.status_updated_at,
            local_issues: local_issues.into_iter().map(LocalIssueId::get).collect(),
        }
    }

    /// The external issue row this record describes (its links are [`Self::linked_issues`]).
    pub fn to_external_issue(&self) -> ExternalIssue {
        ExternalIssue {
            id: ExternalIssueId::new(self.id),
            organization_id: OrganizationId::new(self.organization_id),
            integration_id: IntegrationId::new(self.integration_id),
            key: IssueKey::new(self.key.clone()),
            assignee_updated_at: self.assignee_updated_at,
            status_updated_at: self.status_updated_at,
        }
    }

    /// The local issues linked to the Jira issue.
    pub fn linked_issues(&self) -> impl Iterator<Item = LocalIssueId> + '_ {
        self.local_issues.iter().copied().map(LocalIssueId::new)
    }
}

impl From<&ExternalActor> for ExternalActorRecord {
    fn from(actor: &ExternalActor) -> Self {
        Self {
            id: actor.id.get(),
            organization_id: actor.organization_id.get(),
            integration_id: actor.integration_id.get(),
            provider: actor.provider.as_str().to_owned(),
            external_name: actor.external_name.clone(),
            external_id: actor.external_id.clone(),
            target: UserOrTeam::from(actor.target),
        }
    }
}

impl ExternalActorRecord {
    /// The external actor this record describes.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] when the provider is unknown (a validated snapshot has none).
    pub fn to_external_actor(&self) -> Result<ExternalActor, StoreError> {
        let provider = ExternalProvider::from_name(&self.provider).ok_or_else(|| {
            StoreError::invalid(format!(
                "external actor {}: unknown provider {:?}",
                self.id, self.provider
            ))
        })?;
        Ok(ExternalActor {
            id: ExternalActorId::new(self.id),
            organization_id: OrganizationId::new(self.organization_id),
            integration_id: IntegrationId::new(self.integration_id),
            provider,
            external_name: self.external_name.clone(),
            external_id: self.external_id.clone(),
            target: self.target.to_actor_target(),
        })
    }
}

impl From<&Activity> for ActivityRecord {
    fn from(activity: &Activity) -> Self {
        let data = &activity.data;
        Self {
            id: activity.id.get(),
            local_issue_id: activity.local_issue_id.get(),
            kind: match activity.kind {
                ActivityKind::Assigned => ActivityKindRecord::Assigned,
                ActivityKind::Unassigned => ActivityKindRecord::Unassigned,
                ActivityKind::SetResolved => ActivityKindRecord::SetResolved,
                ActivityKind::SetUnresolved => ActivityKindRecord::SetUnresolved,
                ActivityKind::Commented => ActivityKindRecord::Commented,
            },
            provider: data.provider.clone(),
            provider_key: data.provider_key.clone(),
            integration_id: data.integration_id.get(),
            assignee: data.assignee.map(UserOrTeam::from),
            sync_source: data.sync_source.map(IntegrationId::get),
            occurred_at: data.occurred_at,
        }
    }
}

impl ActivityRecord {
    /// The activity this record describes.
    pub fn to_activity(&self) -> Activity {
        Activity {
            id: ActivityId::new(self.id),
            local_issue_id: LocalIssueId::new(self.local_issue_id),
            kind: match self.kind {
                ActivityKindRecord::Assigned => ActivityKind::Assigned,
                ActivityKindRecord::Unassigned => ActivityKind::Unassigned,
                ActivityKindRecord::SetResolved => ActivityKind::SetResolved,
                ActivityKindRecord::SetUnresolved => ActivityKind::SetUnresolved,
                ActivityKindRecord::Commented => ActivityKind::Commented,
            },
            data: ActivityData {
                provider: self.provider.clone(),
                provider_key: self.provider_key.clone(),
                integration_id: IntegrationId::new(self.integration_id),
                assignee: self.assignee.map(UserOrTeam::to_assignee),
                sync_source: self.sync_source.map(IntegrationId::new),
                occurred_at: self.occurred_at,
                comment: None,
            },
        }
    }
}
