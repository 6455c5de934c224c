//! The state file's records: plain serde structs, the wire format of `docs/state-format.md`.
//!
//! These types are decoupled from the domain entities on purpose: the entities may change, the
//! file format changes only with [`FORMAT_VERSION`]. Ids are plain integers (preserved as they
//! are), closed sets of words are enums, times are RFC 3339 text and secrets are [`SecretText`].
//! Every struct refuses unknown fields, so a typo in a hand-written file is an error, not a
//! silently ignored line. Collections left out of a file are empty; nullable fields left out are
//! `null`.

use serde::{Deserialize, Serialize};

use jirasync_webhook::EventTime;

use super::wire::{SecretText, optional_rfc3339};

/// The only format version this crate reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// The whole domain state of a deployment, as the state file holds it.
///
/// Read one with [`StateSnapshot::from_json`] and check it with [`StateSnapshot::validate`]
/// (or let [`crate::state::import_state`] do both); a store writes one with
/// [`crate::state::StateStore::export_state`]. The collections come in the order of the file, and
/// a record only refers to records of earlier collections.
///
/// `Debug` never shows a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSnapshot {
    /// The file format's version, [`FORMAT_VERSION`].
    pub format_version: u64,
    /// Tenants.
    #[serde(default)]
    pub organizations: Vec<OrganizationRecord>,
    /// Users with their e-mail addresses.
    #[serde(default)]
    pub users: Vec<UserRecord>,
    /// Which users belong to which organizations.
    #[serde(default)]
    pub organization_members: Vec<OrganizationMemberRecord>,
    /// Teams, each in one organization.
    #[serde(default)]
    pub teams: Vec<TeamRecord>,
    /// Which users are in which teams.
    #[serde(default)]
    pub team_members: Vec<TeamMemberRecord>,
    /// Projects, each in one organization.
    #[serde(default)]
    pub projects: Vec<ProjectRecord>,
    /// Which teams reach which projects.
    #[serde(default)]
    pub team_projects: Vec<TeamProjectRecord>,
    /// The host application's issues.
    #[serde(default)]
    pub local_issues: Vec<LocalIssueRecord>,
    /// Installed Jira instances.
    #[serde(default)]
    pub integrations: Vec<IntegrationRecord>,
    /// The credentials organizations use to call their Jira instances.
    #[serde(default)]
    pub identities: Vec<IdentityRecord>,
    /// Organizations' links to integrations, with their sync configuration.
    #[serde(default)]
    pub organization_integrations: Vec<OrganizationIntegrationRecord>,
    /// Jira issues as organizations link them, with the ordering-guard watermarks.
    #[serde(default)]
    pub external_issues: Vec<ExternalIssueRecord>,
    /// External names (Jira usernames, GitHub handles) mapped to users and teams.
    #[serde(default)]
    pub external_actors: Vec<ExternalActorRecord>,
    /// The activity log of local issues.
    #[serde(default)]
    pub activities: Vec<ActivityRecord>,
}

impl Default for StateSnapshot {
    /// An empty state of the current [`FORMAT_VERSION`].
    fn default() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            organizations: Vec::new(),
            users: Vec::new(),
            organization_members: Vec::new(),
            teams: Vec::new(),
            team_members: Vec::new(),
            projects: Vec::new(),
            team_projects: Vec::new(),
            local_issues: Vec::new(),
            integrations: Vec::new(),
            identities: Vec::new(),
            organization_integrations: Vec::new(),
            external_issues: Vec::new(),
            external_actors: Vec::new(),
            activities: Vec::new(),
        }
    }
}

impl StateSnapshot {
    /// Puts every collection in the documented order: records with an id by id, the others by
    /// their key fields; an external issue's local issues ascending. Stores call it at the end of
    /// [`crate::state::StateStore::export_state`], so an export is byte-for-byte deterministic.
    /// E-mail addresses and webhook secrets keep their order: it is part of the data.
    pub fn sort_canonically(&mut self) {
        self.organizations.sort_by_key(|record| record.id);
        self.users.sort_by_key(|record| record.id);
        self.organization_members
            .sort_by_key(|record| (record.organization_id, record.user_id));
        self.teams.sort_by_key(|record| record.id);
        self.team_members
            .sort_by_key(|record| (record.team_id, record.user_id));
        self.projects.sort_by_key(|record| record.id);
        self.team_projects
            .sort_by_key(|record| (record.team_id, record.project_id));
        self.local_issues.sort_by_key(|record| record.id);
        self.integrations.sort_by_key(|record| record.id);
        self.identities.sort_by_key(|record| record.id);
        self.organization_integrations
            .sort_by_key(|record| (record.organization_id, record.integration_id));
        self.external_issues.sort_by_key(|record| record.id);
        for record in &mut self.external_issues {
            record.local_issues.sort_unstable();
        }
        self.external_actors.sort_by_key(|record| record.id);
        self.activities.sort_by_key(|record| record.id);
    }
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRecord {
    /// The organization's id.
    pub id: u64,
    /// The application's own id (the one the host API names it by), unique among organizations;
    /// `null` or left out when it has none, and left out of an export then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// A display name.
    pub name: String,
    /// The features it may use.
    pub features: FeaturesRecord,
}

/// An organization's feature flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturesRecord {
    /// Assignee and status sync with Jira.
    pub issue_sync: bool,
    /// Creating and editing external actors.
    pub external_actors: bool,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRecord {
    /// The user's id.
    pub id: u64,
    /// The application's own id (the one the host API names it by), unique among users;
    /// `null` or left out when it has none, and left out of an export then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Inactive users are never assigned.
    pub active: bool,
    /// Every e-mail address of the user, in the user's order.
    pub emails: Vec<EmailRecord>,
}

/// One e-mail address of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRecord {
    /// The address; never empty.
    pub address: String,
    /// Whether the user proved they own it; only verified addresses match Jira users.
    pub verified: bool,
}

/// A user's membership of an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationMemberRecord {
    /// The organization.
    pub organization_id: u64,
    /// The user.
    pub user_id: u64,
}

/// A team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRecord {
    /// The team's id.
    pub id: u64,
    /// The application's own id (the one the host API names it by), unique among the teams
    /// of its organization; `null` or left out when it has none, and left out of an export
    /// then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The organization it belongs to.
    pub organization_id: u64,
    /// A display name.
    pub name: String,
}

/// A user's membership of a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMemberRecord {
    /// The team.
    pub team_id: u64,
    /// The user, a member of the team's organization.
    pub user_id: u64,
    /// Only active memberships give access to the team's projects.
    pub active: bool,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectRecord {
    /// The project's id.
    pub id: u64,
    /// The application's own id (the one the host API names it by), unique among the projects
    /// of its organization; `null` or left out when it has none, and left out of an export
    /// then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The organization it belongs to.
    pub organization_id: u64,
    /// A display name.
    pub name: String,
}

/// A team's access to a project of its organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamProjectRecord {
    /// The team.
    pub team_id: u64,
    /// The project.
    pub project_id: u64,
}

/// An issue of the host application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalIssueRecord {
    /// The issue's id.
    pub id: u64,
    /// The application's own id (the one the host API names it by), unique among the issues
    /// of its organization; `null` or left out when it has none, and left out of an export
    /// then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The organization, the project's organization.
    pub organization_id: u64,
    /// The project.
    pub project_id: u64,
    /// Resolved or not.
    pub status: IssueStatusRecord,
    /// The assignee: `{"user": id}`, `{"team": id}` or `null`.
    #[serde(default)]
    pub assignee: Option<UserOrTeam>,
}

/// Whether a local issue is resolved: `"resolved"` or `"unresolved"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatusRecord {
    /// Open.
    Unresolved,
    /// Resolved.
    Resolved,
}

/// A user or a team, by id: `{"user": 7}` or `{"team": 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserOrTeam {
    /// A user.
    User(u64),
    /// A team.
    Team(u64),
}

/// An installed Jira instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationRecord {
    /// The integration's id.
    pub id: u64,
    /// The provider key, `jira_server`.
    pub provider: String,
    /// `<host[:port]>:<consumer_key>`, 1 to 64 characters, unique per provider.
    pub external_id: String,
    /// A display name (the consumer key at install time).
    pub name: String,
    /// The base URL without a trailing `/`.
    pub base_url: String,
    /// The host and any `:port` of the base URL.
    pub domain_name: String,
    /// Whether TLS certificates are verified when calling Jira.
    pub verify_ssl: bool,
    /// The secrets that sign webhook URL tokens; any of them is accepted.
    pub webhook_secrets: Vec<SecretText>,
}

/// The credentials one organization holds for one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityRecord {
    /// The identity's id.
    pub id: u64,
    /// The organization that owns it.
    pub organization_id: u64,
    /// The integration it is for.
    pub integration_id: u64,
    /// The user who installed, if known.
    #[serde(default)]
    pub installed_by: Option<u64>,
    /// The credentials.
    pub credentials: CredentialsRecord,
}

/// Credentials for Jira, tagged by `kind`: `"oauth1"` or `"bearer"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CredentialsRecord {
    /// OAuth 1.0a with RSA-SHA1.
    #[serde(rename = "oauth1")]
    OAuth1 {
        /// The consumer key of the Application Link.
        consumer_key: String,
        /// The RSA private key, PEM text.
        private_key_pem: SecretText,
        /// The access token.
        access_token: String,
        /// The access token's secret.
        access_token_secret: SecretText,
    },
    /// A personal access token.
    Bearer {
        /// The token.
        token: SecretText,
    },
}

/// An organization's link to an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationIntegrationRecord {
    /// The organization.
    pub organization_id: u64,
    /// The integration.
    pub integration_id: u64,
    /// `"active"` or `"disabled"`.
    pub status: LinkStatusRecord,
    /// What syncs through the link.
    pub config: SyncConfigRecord,
    /// The identity used for calls to Jira: one of this organization's for this integration.
    #[serde(default)]
    pub default_identity_id: Option<u64>,
}

/// Whether an organization's link is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatusRecord {
    /// In use.
    Active,
    /// Switched off; nothing syncs through it.
    Disabled,
}

/// An organization's sync configuration for one integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfigRecord {
    /// Jira → host assignee.
    pub sync_reverse_assignment: bool,
    /// Jira → host resolve / unresolve.
    pub sync_status_reverse: bool,
    /// Host → Jira assignee.
    pub sync_forward_assignment: bool,
    /// Host → Jira transitions.
    pub sync_status_forward: bool,
    /// Host notes → Jira comments.
    pub sync_comments: bool,
    /// How a resolve from Jira is applied.
    pub resolution_strategy: ResolutionStrategyRecord,
}

/// `"resolve"`, `"resolve_current_release"` or `"resolve_next_release"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionStrategyRecord {
    /// Resolve.
    Resolve,
    /// Resolve in the current release.
    ResolveCurrentRelease,
    /// Resolve in the next release.
    ResolveNextRelease,
}

/// A Jira issue as one organization links it through one integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalIssueRecord {
    /// The row's id.
    pub id: u64,
    /// The linking organization.
    pub organization_id: u64,
    /// The integration the issue lives in.
    pub integration_id: u64,
    /// The Jira key, compared exactly; never empty.
    pub key: String,
    /// The newest assignee event applied (ordering-guard watermark), RFC 3339 or `null`.
    #[serde(default, with = "optional_rfc3339")]
    pub assignee_updated_at: Option<EventTime>,
    /// The newest status event applied (ordering-guard watermark), RFC 3339 or `null`.
    #[serde(default, with = "optional_rfc3339")]
    pub status_updated_at: Option<EventTime>,
    /// The linked local issues, all in the same organization.
    pub local_issues: Vec<u64>,
}

/// An external name mapped to a user or a team of one organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalActorRecord {
    /// The actor's id.
    pub id: u64,
    /// The organization.
    pub organization_id: u64,
    /// The integration the name comes from.
    pub integration_id: u64,
    /// The system the name belongs to (`jira_server`, `github`, …).
    pub provider: String,
    /// The name (a Jira username, `@octocat`); never empty.
    pub external_name: String,
    /// The id in the other system, if known.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The user or team the name stands for.
    pub target: UserOrTeam,
}

/// One entry of a local issue's activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRecord {
    /// The entry's id; ids grow in the order entries were written.
    pub id: u64,
    /// The issue.
    pub local_issue_id: u64,
    /// What happened.
    pub kind: ActivityKindRecord,
    /// The provider's display name (`Jira Server`).
    pub provider: String,
    /// The provider key (`jira_server`).
    pub provider_key: String,
    /// The integration the change came through.
    pub integration_id: u64,
    /// The new assignee, for `assigned`.
    #[serde(default)]
    pub assignee: Option<UserOrTeam>,
    /// The integration the change came from (never synced back to it).
    #[serde(default)]
    pub sync_source: Option<u64>,
    /// When the change happened in Jira, RFC 3339 or `null`.
    #[serde(default, with = "optional_rfc3339")]
    pub occurred_at: Option<EventTime>,
}

/// `"assigned"`, `"unassigned"`, `"set_resolved"`, `"set_unresolved"` or `"commented"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKindRecord {
    /// The issue was assigned.
    Assigned,
    /// The issue was unassigned.
    Unassigned,
    /// The issue was resolved.
    SetResolved,
    /// The issue was reopened.
    SetUnresolved,
    /// A comment was added in Jira (the standalone service's hosts keep no activity for it:
    /// its `issue.comment_added` event is the record).
    Commented,
}

/// `as_str` and `from_name` for a record enum: the words of the file, which SQL stores keep as
/// they are in their text columns.
macro_rules! record_names {
    ($record:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $record {
            /// The word the state file (and an SQL store's column) writes for this value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            /// The value this word names, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

record_names!(IssueStatusRecord {
    Unresolved => "unresolved",
    Resolved => "resolved",
});

record_names!(LinkStatusRecord {
    Active => "active",
    Disabled => "disabled",
});

record_names!(ResolutionStrategyRecord {
    Resolve => "resolve",
    ResolveCurrentRelease => "resolve_current_release",
    ResolveNextRelease => "resolve_next_release",
});

record_names!(ActivityKindRecord {
    Assigned => "assigned",
    Unassigned => "unassigned",
    SetResolved => "set_resolved",
    SetUnresolved => "set_unresolved",
    Commented => "commented",
});

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use super::*;

    /// The words of `as_str` are the serde names of the file, and `from_name` reads them back.
    #[test]
    fn record_names_are_the_file_words() {
        fn check<T>(values: &[T])
        where
            T: Copy + PartialEq + std::fmt::Debug + Serialize,
            T: RecordName,
        {
            for value in values {
                let json = serde_json::to_string(value).unwrap();
                assert_eq!(json, format!("\"{}\"", value.name()));
                assert_eq!(T::parse(value.name()), Some(*value));
            }
            assert_eq!(T::parse("Resolved "), None);
        }
        trait RecordName: Sized {
            fn name(self) -> &'static str;
            fn parse(name: &str) -> Option<Self>;
        }
        macro_rules! record_name {
            ($($record:ident),+) => {$(
                impl RecordName for $record {
                    fn name(self) -> &'static str { self.as_str() }
                    fn parse(name: &str) -> Option<Self> { Self::from_name(name) }
                }
            )+};
        }
        record_name!(
            IssueStatusRecord,
            LinkStatusRecord,
            ResolutionStrategyRecord,
            ActivityKindRecord
        );
        use ActivityKindRecord as A;
        use ResolutionStrategyRecord as R;
        check(&[IssueStatusRecord::Unresolved, IssueStatusRecord::Resolved]);
        check(&[LinkStatusRecord::Active, LinkStatusRecord::Disabled]);
        check(&[R::Resolve, R::ResolveCurrentRelease, R::ResolveNextRelease]);
        check(&[
            A::Assigned,
            A::Unassigned,
            A::SetResolved,
            A::SetUnresolved,
            A::Commented,
        ]);
    }
}
