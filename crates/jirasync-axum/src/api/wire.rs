//! The host API's bodies: what the application sends and reads, with the application's ids as
//! text. Every body refuses unknown members (a typo is an error, not a silently ignored field)
//! and converts to and from the domain's `app_data` types at the edge.

use jirasync_domain::app_data::{
    AppAssignee, AppId, IssueData, OrganizationData, ProjectData, TeamData, TeamMemberData,
    UpsertSummary, UserData,
};
use jirasync_domain::integration::SyncConfig;
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::people::UserEmail;
use jirasync_domain::rules::sync_config::strategy_name;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An error answer: `{"detail": "..."}`. Refusals of a batch item start with its JSON path
/// (`items[3].project: ...`).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What was wrong, in words a person can act on.
    detail: String,
}

const fn yes() -> bool {
    true
}

/// An organization's feature flags.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeaturesBody {
    /// Assignee and status sync with Jira.
    issue_sync: bool,
    /// Creating and editing external actors.
    external_actors: bool,
}

/// An organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganizationBody {
    /// The application's id of the organization (1 to 255 characters).
    #[schema(min_length = 1, max_length = 255)]
    id: String,
    /// A display name.
    #[schema(min_length = 1, max_length = 320)]
    name: String,
    /// The feature flags; left out, the stored ones are kept (all on for a new organization).
    #[serde(default)]
    features: Option<FeaturesBody>,
}

/// One e-mail address of a user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailBody {
    /// The address.
    #[schema(min_length = 3, max_length = 320)]
    address: String,
    /// Whether the user proved they own it; only verified addresses match Jira users.
    verified: bool,
}

/// A user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserBody {
    /// The application's id of the user, unique among users.
    #[schema(min_length = 1, max_length = 255)]
    id: String,
    /// Inactive users are never assigned (default `true`).
    #[serde(default = "yes")]
    active: bool,
    /// Every e-mail address of the user (replaces the stored ones).
    #[serde(default)]
    emails: Vec<EmailBody>,
}

/// A user to add to an organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberBody {
    /// The user's application id.
    #[schema(min_length = 1, max_length = 255)]
    pub(crate) user: String,
}

/// A user's membership of a team.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TeamMemberBody {
    /// The user's application id; a member of the team's organization.
    #[schema(min_length = 1, max_length = 255)]
    user: String,
    /// Only active memberships give access to the team's projects (default `true`).
    #[serde(default = "yes")]
    active: bool,
}

/// A team of an organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TeamBody {
    /// The application's id of the team, unique within the organization.
    #[schema(min_length = 1, max_length = 255)]
    id: String,
    /// A display name.
    #[schema(min_length = 1, max_length = 320)]
    name: String,
    /// The members (replaces the stored ones).
    #[serde(default)]
    members: Vec<TeamMemberBody>,
}

/// A project of an organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectBody {
    /// The application's id of the project, unique within the organization.
    #[schema(min_length = 1, max_length = 255)]
    id: String,
    /// A display name.
    #[schema(min_length = 1, max_length = 320)]
    name: String,
    /// The ids of the organization's teams that may work on the project (replaces the stored
    /// ones): their active members may be assigned its issues.
    #[serde(default)]
    teams: Vec<String>,
}

/// Resolved or not.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StatusBody {
    /// Open.
    #[default]
    Unresolved,
    /// Resolved.
    Resolved,
}

/// Who an issue is assigned to: `{"user": "u-1"}` or `{"team": "t-1"}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum AssigneeBody {
    /// A member of the issue's organization.
    User(String),
    /// A team of the issue's organization.
    Team(String),
}

/// An issue of an organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssueBody {
    /// The application's id of the issue, unique within the organization.
    #[schema(min_length = 1, max_length = 255)]
    id: String,
    /// The id of the organization's project the issue belongs to.
    #[schema(min_length = 1, max_length = 255)]
    project: String,
    /// Resolved or not (default `unresolved`).
    #[serde(default)]
    status: StatusBody,
    /// The assignee; `null` or left out: unassigned.
    #[serde(default)]
    assignee: Option<AssigneeBody>,
}

/// A link from an application issue to a Jira issue.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JiraLinkBody {
    /// jirasync's id of the integration (the Jira instance).
    pub(crate) integration: u64,
    /// The Jira issue key.
    pub(crate) key: String,
}

/// An issue as stored, with its links to Jira issues.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IssueView {
    /// The issue.
    #[serde(flatten)]
    pub(crate) issue: IssueBody,
    /// The Jira issues it is linked to.
    pub(crate) jira_links: Vec<JiraLinkBody>,
}

/// What a link request did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LinkResult {
    /// The link.
    #[serde(flatten)]
    pub(crate) link: JiraLinkBody,
    /// Whether this call created it (false: it existed already).
    pub(crate) created: bool,
}

/// What an upsert did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UpsertResult {
    /// Records the batch created.
    created: usize,
    /// Records that existed and were replaced.
    updated: usize,
}

impl From<UpsertSummary> for UpsertResult {
    fn from(summary: UpsertSummary) -> Self {
        Self {
            created: summary.created,
            updated: summary.updated,
        }
    }
}

/// Declares a batch body `{"items": [...]}` of `$item`.
macro_rules! batch {
    ($(#[$meta:meta])* $name:ident of $item:ty) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            /// The items, at most 1,000 per call; the batch is written as a whole or not at all.
            pub(crate) items: Vec<$item>,
        }
    };
}

batch!(
    /// Organizations to create or replace.
    OrganizationBatch of OrganizationBody
);
batch!(
    /// Users to create or replace.
    UserBatch of UserBody
);
batch!(
    /// Users to add to an organization.
    MemberBatch of MemberBody
);
batch!(
    /// Teams to create or replace.
    TeamBatch of TeamBody
);
batch!(
    /// Projects to create or replace.
    ProjectBatch of ProjectBody
);
batch!(
    /// Issues to create or replace.
    IssueBatch of IssueBody
);

/// The members of an organization.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MemberList {
    /// The members' application ids, in order.
    pub(crate) users: Vec<String>,
}

impl From<OrganizationBody> for OrganizationData {
    fn from(body: OrganizationBody) -> Self {
        Self {
            id: AppId::new(body.id),
            name: body.name,
            features: body.features.map(|features| OrganizationFeatures {
                issue_sync: features.issue_sync,
                external_actors: features.external_actors,
            }),
        }
    }
}

impl From<OrganizationData> for OrganizationBody {
    fn from(data: OrganizationData) -> Self {
        Self {
            id: data.id.to_string(),
            name: data.name,
            features: data.features.map(|features| FeaturesBody {
                issue_sync: features.issue_sync,
                external_actors: features.external_actors,
            }),
        }
    }
}

impl From<UserBody> for UserData {
    fn from(body: UserBody) -> Self {
        Self {
            id: AppId::new(body.id),
            active: body.active,
            emails: body
                .emails
                .into_iter()
                .map(|email| UserEmail {
                    address: email.address,
                    verified: email.verified,
                })
                .collect(),
        }
    }
}

impl From<UserData> for UserBody {
    fn from(data: UserData) -> Self {
        Self {
            id: data.id.to_string(),
            active: data.active,
            emails: data
                .emails
                .into_iter()
                .map(|email| EmailBody {
                    address: email.address,
                    verified: email.verified,
                })
                .collect(),
        }
    }
}

impl From<TeamBody> for TeamData {
    fn from(body: TeamBody) -> Self {
        Self {
            id: AppId::new(body.id),
            name: body.name,
            members: body
                .members
                .into_iter()
                .map(|member| TeamMemberData {
                    user: AppId::new(member.user),
                    active: member.active,
                })
                .collect(),
        }
    }
}

impl From<TeamData> for TeamBody {
    fn from(data: TeamData) -> Self {
        Self {
            id: data.id.to_string(),
            name: data.name,
            members: data
                .members
                .into_iter()
                .map(|member| TeamMemberBody {
                    user: member.user.to_string(),
                    active: member.active,
                })
                .collect(),
        }
    }
}

impl From<ProjectBody> for ProjectData {
    fn from(body: ProjectBody) -> Self {
        Self {
            id: AppId::new(body.id),
            name: body.name,
            teams: body.teams.into_iter().map(AppId::new).collect(),
        }
    }
}

impl From<ProjectData> for ProjectBody {
    fn from(data: ProjectData) -> Self {
        Self {
            id: data.id.to_string(),
            name: data.name,
            teams: data
                .teams
                .into_iter()
                .map(|team| team.to_string())
                .collect(),
        }
    }
}

impl From<IssueBody> for IssueData {
    fn from(body: IssueBody) -> Self {
        Self {
            id: AppId::new(body.id),
            project: AppId::new(body.project),
            status: match body.status {
                StatusBody::Unresolved => ResolutionStatus::Unresolved,
                StatusBody::Resolved => ResolutionStatus::Resolved,
            },
            assignee: body.assignee.map(|assignee| match assignee {
                AssigneeBody::User(user) => AppAssignee::User(AppId::new(user)),
                AssigneeBody::Team(team) => AppAssignee::Team(AppId::new(team)),
            }),
        }
    }
}

impl From<IssueData> for IssueBody {
    fn from(data: IssueData) -> Self {
        Self {
            id: data.id.to_string(),
            project: data.project.to_string(),
            status: match data.status {
                ResolutionStatus::Unresolved => StatusBody::Unresolved,
                ResolutionStatus::Resolved => StatusBody::Resolved,
            },
            assignee: data.assignee.map(|assignee| match assignee {
                AppAssignee::User(user) => AssigneeBody::User(user.to_string()),
                AppAssignee::Team(team) => AssigneeBody::Team(team.to_string()),
            }),
        }
    }
}

/// How a resolve from Jira is applied.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StrategyBody {
    /// Resolve.
    Resolve,
    /// Resolve in the current release.
    ResolveCurrentRelease,
    /// Resolve in the next release.
    ResolveNextRelease,
}

/// An organization's sync configuration for one integration, every key given (`PUT`).
/// `sync_forward_assignment` sends the assignments made through `POST …/issues/{issue}/assign`
/// to Jira, `sync_status_forward` the statuses set through `POST …/issues/{issue}/status`
/// (through the organization's per-project status mappings); `sync_comments` sends the comments
/// of `POST …/issues/{issue}/comments` to Jira and brings Jira's comments back as
/// `issue.comment_added` events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncConfigBody {
    /// Jira → application assignee.
    pub(crate) sync_reverse_assignment: bool,
    /// Jira → application resolve / unresolve.
    pub(crate) sync_status_reverse: bool,
    /// Application → Jira assignee (`POST …/issues/{issue}/assign`).
    pub(crate) sync_forward_assignment: bool,
    /// Application → Jira transitions (`POST …/issues/{issue}/status`, through the status
    /// mappings).
    pub(crate) sync_status_forward: bool,
    /// Comments both ways (`POST …/issues/{issue}/comments` to Jira, Jira's comments back as
    /// `issue.comment_added` events).
    pub(crate) sync_comments: bool,
    /// How a resolve from Jira is applied.
    pub(crate) resolution_strategy: StrategyBody,
}

/// Some keys of a sync configuration (`PATCH`): the keys given replace the stored values.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncConfigPatch {
    /// Jira → application assignee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sync_reverse_assignment: Option<bool>,
    /// Jira → application resolve / unresolve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sync_status_reverse: Option<bool>,
    /// Application → Jira assignee (`POST …/issues/{issue}/assign`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sync_forward_assignment: Option<bool>,
    /// Application → Jira transitions (`POST …/issues/{issue}/status`, through the status
    /// mappings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sync_status_forward: Option<bool>,
    /// Comments both ways (see `SyncConfigBody`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sync_comments: Option<bool>,
    /// How a resolve from Jira is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) resolution_strategy: Option<StrategyBody>,
}

impl From<&SyncConfig> for SyncConfigBody {
    fn from(config: &SyncConfig) -> Self {
        let strategy = match strategy_name(config.resolution_strategy) {
            "resolve_current_release" => StrategyBody::ResolveCurrentRelease,
            "resolve_next_release" => StrategyBody::ResolveNextRelease,
            _ => StrategyBody::Resolve,
        };
        Self {
            sync_reverse_assignment: config.sync_reverse_assignment,
            sync_status_reverse: config.sync_status_reverse,
            sync_forward_assignment: config.sync_forward_assignment,
            sync_status_forward: config.sync_status_forward,
            sync_comments: config.sync_comments,
            resolution_strategy: strategy,
        }
    }
}

/// An organization's link to a Jira integration, with its sync configuration.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IntegrationLinkBody {
    /// jirasync's id of the integration.
    pub(crate) integration: u64,
    /// A display name (the consumer key at install time).
    pub(crate) name: String,
    /// Jira's base URL.
    pub(crate) base_url: String,
    /// `active` or `disabled`.
    pub(crate) status: String,
    /// What syncs through the link.
    pub(crate) config: SyncConfigBody,
}
