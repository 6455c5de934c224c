//! External actors: a name in another system (a Jira username, a GitHub handle, a Slack channel)
//! mapped to a user or a team of one organization (reference §5.1).

use std::fmt;

use crate::ids::{ExternalActorId, IntegrationId, OrganizationId, TeamId, UserId};

/// The system an external name belongs to (reference §5.1 provider enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ExternalProvider {
    /// `email` (100).
    Email,
    /// `slack` (110).
    Slack,
    /// `msteams` (120).
    MsTeams,
    /// `pagerduty` (130).
    PagerDuty,
    /// `discord` (140).
    Discord,
    /// `opsgenie` (150).
    Opsgenie,
    /// `github` (200).
    GitHub,
    /// `github_enterprise` (201).
    GitHubEnterprise,
    /// `gitlab` (210).
    GitLab,
    /// `jira_server` (300): Jira usernames and user keys.
    JiraServer,
    /// `perforce` (400).
    Perforce,
    /// `custom_scm` (700).
    CustomScm,
}

impl ExternalProvider {
    /// Every provider.
    pub const ALL: [Self; 12] = [
        Self::Email,
        Self::Slack,
        Self::MsTeams,
        Self::PagerDuty,
        Self::Discord,
        Self::Opsgenie,
        Self::GitHub,
        Self::GitHubEnterprise,
        Self::GitLab,
        Self::JiraServer,
        Self::Perforce,
        Self::CustomScm,
    ];

    /// The providers the external-actor API accepts (reference §5.3, plus `jira_server`).
    pub const ACCEPTED: [Self; 7] = [
        Self::GitHub,
        Self::GitHubEnterprise,
        Self::GitLab,
        Self::Slack,
        Self::MsTeams,
        Self::CustomScm,
        Self::JiraServer,
    ];

    /// The provider's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slack => "slack",
            Self::MsTeams => "msteams",
            Self::PagerDuty => "pagerduty",
            Self::Discord => "discord",
            Self::Opsgenie => "opsgenie",
            Self::GitHub => "github",
            Self::GitHubEnterprise => "github_enterprise",
            Self::GitLab => "gitlab",
            Self::JiraServer => "jira_server",
            Self::Perforce => "perforce",
            Self::CustomScm => "custom_scm",
        }
    }

    /// The provider's stored number (reference §5.1).
    pub const fn code(self) -> u16 {
        match self {
            Self::Email => 100,
            Self::Slack => 110,
            Self::MsTeams => 120,
            Self::PagerDuty => 130,
            Self::Discord => 140,
            Self::Opsgenie => 150,
            Self::GitHub => 200,
            Self::GitHubEnterprise => 201,
            Self::GitLab => 210,
            Self::JiraServer => 300,
            Self::Perforce => 400,
            Self::CustomScm => 700,
        }
    }

    /// The provider with this wire name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.as_str() == name)
    }

    /// The provider with this stored number, if any.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.code() == code)
    }

    /// Whether the external-actor API accepts this provider.
    pub fn is_accepted(self) -> bool {
        Self::ACCEPTED.contains(&self)
    }

    /// Whether external names must look like `@handle` (github and gitlab, reference §5.3).
    pub const fn has_strict_names(self) -> bool {
        matches!(self, Self::GitHub | Self::GitLab)
    }
}

impl fmt::Display for ExternalProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who an external actor stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActorTarget {
    /// A user.
    User(UserId),
    /// A team.
    Team(TeamId),
}

/// Which of an organization's external actors a listing gives: the external-actor API lists
/// the actors of users and of teams apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ActorFilter {
    /// Every actor.
    #[default]
    All,
    /// The actors of users.
    Users,
    /// The actors of teams.
    Teams,
    /// The actors of this user or team.
    Target(ActorTarget),
}

impl ActorFilter {
    /// Whether an actor of `target` passes the filter.
    pub fn admits(self, target: ActorTarget) -> bool {
        match self {
            Self::All => true,
            Self::Users => matches!(target, ActorTarget::User(_)),
            Self::Teams => matches!(target, ActorTarget::Team(_)),
            Self::Target(wanted) => wanted == target,
        }
    }
}

/// An external name mapped to a user or a team of one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalActor {
    /// The actor's id.
    pub id: ExternalActorId,
    /// The organization.
    pub organization_id: OrganizationId,
    /// The integration the name comes from.
    pub integration_id: IntegrationId,
    /// The system the name belongs to.
    pub provider: ExternalProvider,
    /// The name (`@octocat`, a Jira username, a channel).
    pub external_name: String,
    /// The id in the other system, if known.
    pub external_id: Option<String>,
    /// The user or team the name stands for.
    pub target: ActorTarget,
}

/// The fields of an external actor to insert; the store assigns the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExternalActor {
    /// The organization.
    pub organization_id: OrganizationId,
    /// The integration the name comes from.
    pub integration_id: IntegrationId,
    /// The system the name belongs to.
    pub provider: ExternalProvider,
    /// The name.
    pub external_name: String,
    /// The id in the other system, if known.
    pub external_id: Option<String>,
    /// The user or team.
    pub target: ActorTarget,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for provider in ExternalProvider::ALL {
            assert_eq!(
                ExternalProvider::from_name(provider.as_str()),
                Some(provider)
            );
            assert_eq!(ExternalProvider::from_code(provider.code()), Some(provider));
        }
        assert_eq!(ExternalProvider::JiraServer.code(), 300);
    }
}
