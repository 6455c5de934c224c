//! Outgoing events: what jirasync tells the application after a sync changed something.
//!
//! Every change a store applies (an assignee or a status set from Jira, an issue linked or
//! unlinked, an integration installed) appends its [`Event`]s **in the same transaction** as the
//! change (a transactional outbox, `docs/decisions/0015-outgoing-events.md`), so an event exists
//! exactly when its change was committed. The rules describe the event ([`NewEvent`]); the store
//! gives it its [`EventId`] (from the injected [`EventIds`]) and its [`EventCursor`] (a
//! sequence that only grows, in commit order).
//!
//! The service then delivers them: pushed to each [`Subscriber`] (signed per Standard Webhooks,
//! retried, dead-lettered), and read by cursor (`GET /api/v1/events`). Delivery is at least
//! once; the events of one [`OrderingKey`] (one application issue, or one integration) reach each
//! subscriber in cursor order; the id is stable, for de-duplication.

mod delivery;
mod id;
mod subscriber;

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jirasync_webhook::IssueKey;
use serde::{Deserialize, Serialize};

use crate::host::{HostIssue, IssueChange};
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId, TeamId, UserId};
use crate::integration::Integration;
use crate::issue::{Assignee, ResolutionStatus};
use crate::store::Installation;

pub use delivery::{
    DeliveryClaim, DeliveryFilter, DeliveryJob, DeliveryRecord, DeliveryResult, DeliveryStatus,
};
pub use id::{EventId, EventIdError, EventIds};
pub use subscriber::{
    NewSubscriber, SigningSecret, SigningSecretError, Subscriber, SubscriberId, SubscriberUrl,
    SubscriberUrlError,
};

/// The position of an event in the store's sequence: every appended event gets a larger one,
/// in commit order. `after=CURSOR` reads the events that follow it; `0` is before the first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct EventCursor(u64);

impl EventCursor {
    /// Before every event.
    pub const START: Self = Self(0);

    /// The cursor with this sequence number.
    pub const fn new(sequence: u64) -> Self {
        Self(sequence)
    }

    /// The sequence number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for EventCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// When an event was recorded: milliseconds since the Unix epoch, written as RFC 3339 in UTC
/// (`2026-12-06T18:31:23.412Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventTimestamp(u64);

impl EventTimestamp {
    /// The timestamp `unix_millis` milliseconds after the epoch.
    pub const fn from_unix_millis(unix_millis: u64) -> Self {
        Self(unix_millis)
    }

    /// The wall time `time` (the epoch for a time before it).
    pub fn from_system_time(time: SystemTime) -> Self {
        let millis = time
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis())
            .unwrap_or_default();
        Self(u64::try_from(millis).unwrap_or(u64::MAX))
    }

    /// Milliseconds since the epoch.
    pub const fn unix_millis(self) -> u64 {
        self.0
    }

    /// As a wall time.
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0)
    }

    /// RFC 3339 in UTC with milliseconds.
    pub fn to_rfc3339(self) -> String {
        let seconds = i64::try_from(self.0 / 1000).unwrap_or(i64::MAX);
        let millis = self.0 % 1000;
        // A date beyond year 9999 is not representable; the epoch then stands in.
        let date = time::OffsetDateTime::from_unix_timestamp(seconds)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            date.year(),
            u8::from(date.month()),
            date.day(),
            date.hour(),
            date.minute(),
            date.second(),
        )
    }

    /// The timestamp an RFC 3339 text names.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let parsed =
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .ok()?;
        let millis = parsed.unix_timestamp_nanos() / 1_000_000;
        u64::try_from(millis).ok().map(Self)
    }
}

impl Serialize for EventTimestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for EventTimestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not an RFC 3339 timestamp"))
        })
    }
}

/// The kinds of events, by their stable `type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// `issue.assignee_changed`: Jira changed the assignee of a linked issue.
    IssueAssigneeChanged,
    /// `issue.status_changed`: Jira resolved or reopened a linked issue.
    IssueStatusChanged,
    /// `issue.linked`: an application issue was linked to a Jira issue.
    IssueLinked,
    /// `issue.unlinked`: an application issue was unlinked from a Jira issue.
    IssueUnlinked,
    /// `integration.installed`: an organization installed (or re-installed) a Jira integration.
    IntegrationInstalled,
    /// `integration.removed`: an organization's link to a Jira integration was removed.
    IntegrationRemoved,
    /// `issue.comment_added`: a comment was written in Jira on a linked issue.
    IssueCommentAdded,
}

impl EventType {
    /// Every type, in the order above.
    pub const ALL: [Self; 7] = [
        Self::IssueAssigneeChanged,
        Self::IssueStatusChanged,
        Self::IssueLinked,
        Self::IssueUnlinked,
        Self::IntegrationInstalled,
        Self::IntegrationRemoved,
        Self::IssueCommentAdded,
    ];

    /// The stable name (`issue.assignee_changed`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::IssueAssigneeChanged => "issue.assignee_changed",
            Self::IssueStatusChanged => "issue.status_changed",
            Self::IssueLinked => "issue.linked",
            Self::IssueUnlinked => "issue.unlinked",
            Self::IntegrationInstalled => "integration.installed",
            Self::IntegrationRemoved => "integration.removed",
            Self::IssueCommentAdded => "issue.comment_added",
        }
    }

    /// The type with this stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What caused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// A Jira webhook delivery (inbound sync).
    Jira,
    /// An operator or the application (the API, the CLI, the setup flow).
    Operator,
}

/// An assignee as events write it: `{"kind": "user", "id": 7, "app_id": "alice"}` or
/// `{"kind": "team", "id": 3, "app_id": "web"}`. `app_id` is the application's id of the user or
/// team (the host API's), `null` when it has none (an embedder's own data, or a record made
/// without one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventAssignee {
    /// A user of the application.
    User {
        /// jirasync's id of the user.
        id: u64,
        /// The application's id of the user.
        #[serde(default)]
        app_id: Option<String>,
    },
    /// A team of the application.
    Team {
        /// jirasync's id of the team.
        id: u64,
        /// The application's id of the team.
        #[serde(default)]
        app_id: Option<String>,
    },
}

impl From<Assignee> for EventAssignee {
    fn from(assignee: Assignee) -> Self {
        match assignee {
            Assignee::User(user) => Self::User {
                id: user.get(),
                app_id: None,
            },
            Assignee::Team(team) => Self::Team {
                id: team.get(),
                app_id: None,
            },
        }
    }
}

/// A resolution status as events write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Open.
    Unresolved,
    /// Resolved.
    Resolved,
}

impl From<ResolutionStatus> for EventStatus {
    fn from(status: ResolutionStatus) -> Self {
        match status {
            ResolutionStatus::Unresolved => Self::Unresolved,
            ResolutionStatus::Resolved => Self::Resolved,
        }
    }
}

/// `data` of `issue.assignee_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssigneeChangedData {
    /// The application issue.
    pub issue_id: u64,
    /// The application's id of the issue (the host API's); `null` when it has none.
    #[serde(default)]
    pub issue_app_id: Option<String>,
    /// The application's id of the organization; `null` when it has none.
    #[serde(default)]
    pub organization_app_id: Option<String>,
    /// The Jira issue it is linked to.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "SHOP-12"))]
    pub jira_key: IssueKey,
    /// The integration the change came through.
    pub integration_id: u64,
    /// The assignee before (`null`: nobody).
    pub old: Option<EventAssignee>,
    /// The assignee after (`null`: unassigned).
    pub new: Option<EventAssignee>,
    /// What caused it.
    pub source: EventSource,
}

/// `data` of `issue.status_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StatusChangedData {
    /// The application issue.
    pub issue_id: u64,
    /// The application's id of the issue (the host API's); `null` when it has none.
    #[serde(default)]
    pub issue_app_id: Option<String>,
    /// The application's id of the organization; `null` when it has none.
    #[serde(default)]
    pub organization_app_id: Option<String>,
    /// The Jira issue it is linked to.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "SHOP-12"))]
    pub jira_key: IssueKey,
    /// The integration the change came through.
    pub integration_id: u64,
    /// The status before.
    pub old: EventStatus,
    /// The status after.
    pub new: EventStatus,
    /// What caused it.
    pub source: EventSource,
}

/// `data` of `issue.linked` and `issue.unlinked`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueLinkData {
    /// The application issue.
    pub issue_id: u64,
    /// The application's id of the issue (the host API's); `null` when it has none.
    #[serde(default)]
    pub issue_app_id: Option<String>,
    /// The application's id of the organization; `null` when it has none.
    #[serde(default)]
    pub organization_app_id: Option<String>,
    /// The Jira issue.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "SHOP-12"))]
    pub jira_key: IssueKey,
    /// The integration the Jira issue lives in.
    pub integration_id: u64,
    /// What caused it.
    pub source: EventSource,
}

/// `data` of `integration.installed` and `integration.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntegrationData {
    /// The integration.
    pub integration_id: u64,
    /// The application's id of the organization; `null` when it has none.
    #[serde(default)]
    pub organization_app_id: Option<String>,
    /// Its provider (`jira_server`).
    pub provider: String,
    /// The Jira base URL.
    pub base_url: String,
    /// Whether the organization's link to the integration was created by this install (false:
    /// re-installed).
    pub link_created: bool,
    /// What caused it.
    pub source: EventSource,
}

/// The author of a Jira comment as `issue.comment_added` writes it; a member Jira did not send
/// (the e-mail address, when Jira hides it) is `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventCommentAuthor {
    /// The Jira username.
    #[serde(default)]
    pub name: Option<String>,
    /// The e-mail address.
    #[serde(default)]
    pub email_address: Option<String>,
    /// The display name.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `data` of `issue.comment_added`. The application adds the comment once per `comment_id`
/// (jirasync sends the event once per comment and linked issue, but delivery is at least once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommentAddedData {
    /// The application issue.
    pub issue_id: u64,
    /// The application's id of the issue (the host API's); `null` when it has none.
    #[serde(default)]
    pub issue_app_id: Option<String>,
    /// The application's id of the organization; `null` when it has none.
    #[serde(default)]
    pub organization_app_id: Option<String>,
    /// The Jira issue it is linked to.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "SHOP-12"))]
    pub jira_key: IssueKey,
    /// The integration the comment came through.
    pub integration_id: u64,
    /// The Jira comment's id.
    #[cfg_attr(feature = "openapi", schema(example = "10100"))]
    pub comment_id: String,
    /// The text, in Jira's wiki markup.
    pub body: String,
    /// Who wrote it; `null` when Jira did not say.
    #[serde(default)]
    pub author: Option<EventCommentAuthor>,
    /// When it was written in Jira (RFC 3339); `null` when Jira did not say.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub created: Option<EventTimestamp>,
    /// What caused it (`jira`).
    pub source: EventSource,
}

/// An event's type and its data, written as `"type": …, "data": {…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "data")]
#[non_exhaustive]
pub enum EventPayload {
    /// `issue.assignee_changed`.
    #[serde(rename = "issue.assignee_changed")]
    IssueAssigneeChanged(AssigneeChangedData),
    /// `issue.status_changed`.
    #[serde(rename = "issue.status_changed")]
    IssueStatusChanged(StatusChangedData),
    /// `issue.linked`.
    #[serde(rename = "issue.linked")]
    IssueLinked(IssueLinkData),
    /// `issue.unlinked`.
    #[serde(rename = "issue.unlinked")]
    IssueUnlinked(IssueLinkData),
    /// `integration.installed`.
    #[serde(rename = "integration.installed")]
    IntegrationInstalled(IntegrationData),
    /// `integration.removed`.
    #[serde(rename = "integration.removed")]
    IntegrationRemoved(IntegrationData),
    /// `issue.comment_added`.
    #[serde(rename = "issue.comment_added")]
    IssueCommentAdded(CommentAddedData),
}

impl EventPayload {
    /// The event's type.
    pub const fn event_type(&self) -> EventType {
        match self {
            Self::IssueAssigneeChanged(_) => EventType::IssueAssigneeChanged,
            Self::IssueStatusChanged(_) => EventType::IssueStatusChanged,
            Self::IssueLinked(_) => EventType::IssueLinked,
            Self::IssueUnlinked(_) => EventType::IssueUnlinked,
            Self::IntegrationInstalled(_) => EventType::IntegrationInstalled,
            Self::IntegrationRemoved(_) => EventType::IntegrationRemoved,
            Self::IssueCommentAdded(_) => EventType::IssueCommentAdded,
        }
    }

    /// What the event's order is kept within.
    pub fn ordering_key(&self) -> OrderingKey {
        match self {
            Self::IssueAssigneeChanged(AssigneeChangedData { issue_id, .. })
            | Self::IssueStatusChanged(StatusChangedData { issue_id, .. })
            | Self::IssueLinked(IssueLinkData { issue_id, .. })
            | Self::IssueUnlinked(IssueLinkData { issue_id, .. })
            | Self::IssueCommentAdded(CommentAddedData { issue_id, .. }) => {
                OrderingKey::Issue(LocalIssueId::new(*issue_id))
            }
            Self::IntegrationInstalled(IntegrationData { integration_id, .. })
            | Self::IntegrationRemoved(IntegrationData { integration_id, .. }) => {
                OrderingKey::Integration(IntegrationId::new(*integration_id))
            }
        }
    }

    /// The `data` member alone, as JSON.
    pub fn data_json(&self) -> serde_json::Value {
        // The payload serialises as {"type": …, "data": …}; a map never fails to serialise.
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut object)) => {
                object.remove("data").unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }

    /// The payload of the stored type name and `data` JSON, or why they do not fit.
    pub fn from_parts(event_type: &str, data: serde_json::Value) -> Result<Self, String> {
        let mut tagged = serde_json::Map::new();
        tagged.insert("type".to_owned(), event_type.into());
        tagged.insert("data".to_owned(), data);
        serde_json::from_value(serde_json::Value::Object(tagged))
            .map_err(|error| format!("stored event of type {event_type:?} is unreadable: {error}"))
    }
}

/// The application ids an event carries, each beside the jirasync id it stands for: a store
/// that keeps application ids (the standalone host's) fills them in when it appends the event,
/// so an application reads its own ids and never needs jirasync's.
#[derive(Debug)]
#[non_exhaustive]
pub struct AppIdSlots<'a> {
    /// The organization's.
    pub organization: &'a mut Option<String>,
    /// The issue's, for an issue event.
    pub issue: Option<(LocalIssueId, &'a mut Option<String>)>,
    /// The users' of the assignees before and after.
    pub users: Vec<(UserId, &'a mut Option<String>)>,
    /// The teams' of the assignees before and after.
    pub teams: Vec<(TeamId, &'a mut Option<String>)>,
}

impl EventPayload {
    /// Where this payload's application ids go.
    pub fn app_id_slots(&mut self) -> AppIdSlots<'_> {
        let mut users = Vec::new();
        let mut teams = Vec::new();
        let (organization, issue) = match self {
            Self::IssueAssigneeChanged(data) => {
                for assignee in [&mut data.old, &mut data.new].into_iter().flatten() {
                    match assignee {
                        EventAssignee::User { id, app_id } => {
                            users.push((UserId::new(*id), app_id));
                        }
                        EventAssignee::Team { id, app_id } => {
                            teams.push((TeamId::new(*id), app_id));
                        }
                    }
                }
                (
                    &mut data.organization_app_id,
                    Some((LocalIssueId::new(data.issue_id), &mut data.issue_app_id)),
                )
            }
            Self::IssueStatusChanged(data) => (
                &mut data.organization_app_id,
                Some((LocalIssueId::new(data.issue_id), &mut data.issue_app_id)),
            ),
            Self::IssueLinked(data) | Self::IssueUnlinked(data) => (
                &mut data.organization_app_id,
                Some((LocalIssueId::new(data.issue_id), &mut data.issue_app_id)),
            ),
            Self::IntegrationInstalled(data) | Self::IntegrationRemoved(data) => {
                (&mut data.organization_app_id, None)
            }
            Self::IssueCommentAdded(data) => (
                &mut data.organization_app_id,
                Some((LocalIssueId::new(data.issue_id), &mut data.issue_app_id)),
            ),
        };
        AppIdSlots {
            organization,
            issue,
            users,
            teams,
        }
    }
}

/// What the order of events is kept within: the events of one key reach each subscriber in
/// cursor order, each only after the one before it was delivered (or dead-lettered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderingKey {
    /// One application issue.
    Issue(LocalIssueId),
    /// One integration.
    Integration(IntegrationId),
}

impl OrderingKey {
    /// The stored text: `issue:<id>` or `integration:<id>`.
    pub fn as_text(self) -> String {
        match self {
            Self::Issue(id) => format!("issue:{id}"),
            Self::Integration(id) => format!("integration:{id}"),
        }
    }
}

/// An event a rule asks the store to append with its change; the store gives it an id, a
/// timestamp and a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The organization whose data changed.
    pub organization_id: OrganizationId,
    /// The type and data.
    pub payload: EventPayload,
}

impl NewEvent {
    /// The event of an inbound change Jira made to an application issue: `current` is the
    /// issue before, `change` what was written. `None` for a change of a kind events do not
    /// describe.
    pub fn of_inbound_change(
        integration_id: IntegrationId,
        jira_key: &IssueKey,
        current: &HostIssue,
        change: &IssueChange,
    ) -> Option<Self> {
        let issue_id = change.issue.get();
        let jira_key = jira_key.clone();
        let integration_id = integration_id.get();
        let payload = if let Some(comment) = change.comment() {
            let author = comment.author.as_ref().map(|author| EventCommentAuthor {
                name: author.name.clone(),
                email_address: author.email_address.clone(),
                display_name: author.display_name.clone(),
            });
            EventPayload::IssueCommentAdded(CommentAddedData {
                issue_id,
                issue_app_id: None,
                organization_app_id: None,
                jira_key,
                integration_id,
                comment_id: comment.comment_id.clone(),
                body: comment.body.clone(),
                author,
                created: comment
                    .created
                    .and_then(|at| u64::try_from(at.unix_millis()).ok())
                    .map(EventTimestamp::from_unix_millis),
                source: EventSource::Jira,
            })
        } else if let Some(new) = change.assignee() {
            EventPayload::IssueAssigneeChanged(AssigneeChangedData {
                issue_id,
                issue_app_id: None,
                organization_app_id: None,
                jira_key,
                integration_id,
                old: current.assignee.map(EventAssignee::from),
                new: new.map(EventAssignee::from),
                source: EventSource::Jira,
            })
        } else {
            let new = change.status()?;
            EventPayload::IssueStatusChanged(StatusChangedData {
                issue_id,
                issue_app_id: None,
                organization_app_id: None,
                jira_key,
                integration_id,
                old: current.status.into(),
                new: new.into(),
                source: EventSource::Jira,
            })
        };
        Some(Self {
            organization_id: current.organization_id,
            payload,
        })
    }

    /// The `issue.linked` (or, with `linked` false, `issue.unlinked`) event of an operator's
    /// link.
    pub fn of_link(
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        jira_key: &IssueKey,
        issue_id: LocalIssueId,
        linked: bool,
    ) -> Self {
        let data = IssueLinkData {
            issue_id: issue_id.get(),
            issue_app_id: None,
            organization_app_id: None,
            jira_key: jira_key.clone(),
            integration_id: integration_id.get(),
            source: EventSource::Operator,
        };
        Self {
            organization_id,
            payload: if linked {
                EventPayload::IssueLinked(data)
            } else {
                EventPayload::IssueUnlinked(data)
            },
        }
    }

    /// The `integration.removed` event of the removal of `organization_id`'s link to
    /// `integration` (`link_created` is false).
    pub fn of_removal(organization_id: OrganizationId, integration: &Integration) -> Self {
        Self {
            organization_id,
            payload: EventPayload::IntegrationRemoved(IntegrationData {
                integration_id: integration.id.get(),
                organization_app_id: None,
                provider: integration.provider.clone(),
                base_url: integration.metadata.base_url.clone(),
                link_created: false,
                source: EventSource::Operator,
            }),
        }
    }

    /// The `integration.installed` event of an install.
    pub fn of_install(installation: &Installation) -> Self {
        let integration = &installation.integration;
        Self {
            organization_id: installation.organization_integration.organization_id,
            payload: EventPayload::IntegrationInstalled(IntegrationData {
                integration_id: integration.id.get(),
                organization_app_id: None,
                provider: integration.provider.clone(),
                base_url: integration.metadata.base_url.clone(),
                link_created: installation.link_created,
                source: EventSource::Operator,
            }),
        }
    }
}

/// An event as stored and sent.
///
/// Its JSON is the body of every push and an item of the pull feed:
///
/// ```json
/// {"id": "evt_01JEX4S3V9Q8W2ZKX0M6B3YH7C", "type": "issue.status_changed",
///  "timestamp": "2026-12-06T18:31:23.412Z", "organization_id": 1,
///  "data": {"issue_id": 12, "jira_key": "SHOP-12", "integration_id": 3,
///           "old": "unresolved", "new": "resolved", "source": "jira"}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// The stable id: the same on every delivery of the event, for de-duplication.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "evt_01JEX4S3V9Q8W2ZKX0M6B3YH7C"))]
    pub id: EventId,
    /// When the change was committed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub timestamp: EventTimestamp,
    /// The organization whose data changed.
    pub organization_id: u64,
    /// The type and data.
    #[serde(flatten)]
    pub payload: EventPayload,
}

impl Event {
    /// The event's type.
    pub const fn event_type(&self) -> EventType {
        self.payload.event_type()
    }

    /// The event as JSON bytes: the body of a push.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        // Every member serialises (no map with non-string keys, no failing serializer).
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// An event with its place in the sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Where it is in the sequence.
    pub cursor: EventCursor,
    /// The event.
    pub event: Event,
}
