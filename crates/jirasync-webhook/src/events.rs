//! The typed events a delivery classifies into: what the sync rules consume.
//!
//! These types are the contract between this crate and `jirasync-domain`. They carry only what the
//! rules need, already validated, so a rule never has to look at JSON.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

jirasync_core::string_newtype! {
    /// A Jira issue key such as `APP-123`. Compared exactly (case-sensitive), as the reference does.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    pub struct IssueKey;
}

jirasync_core::string_newtype! {
    /// A Jira issue id such as `10001` (Jira sends it as a string; numbers are accepted and kept as text).
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    pub struct IssueId;
}

jirasync_core::string_newtype! {
    /// A Jira status id such as `10102`, as found in a changelog item's `from` / `to`.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    pub struct StatusId;
}

/// When a change happened in Jira, to the millisecond (Unix epoch milliseconds, UTC).
///
/// Taken from `issue.fields.updated` when present, else from the payload's `timestamp`. Ordered, so
/// the ordering guard can compare two events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventTime(i64);

impl EventTime {
    /// An instant from Unix epoch milliseconds.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Unix epoch milliseconds.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// An instant from a date-time, truncated to the millisecond.
    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let millis = at.unix_timestamp_nanos() / 1_000_000;
        Self(i64::try_from(millis).unwrap_or(if millis < 0 { i64::MIN } else { i64::MAX }))
    }

    /// Parses a date-time as Jira writes it in `issue.fields.updated`
    /// (`2023-01-01T00:00:00.000+0000`) or as RFC 3339 / ISO 8601 writes it (`Z` or `+00:00`
    /// offsets, with or without fractional seconds). `None` when the text is none of these.
    pub fn parse_jira(text: &str) -> Option<Self> {
        crate::datetime::parse_jira_datetime(text).map(Self::from_datetime)
    }

    /// The instant as a UTC date-time, or `None` when it lies outside the range `time` supports.
    pub fn to_datetime(self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000).ok()
    }
}

impl fmt::Display for EventTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime().and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }) {
            Some(text) => f.write_str(&text),
            None => write!(f, "{}ms", self.0),
        }
    }
}

/// A Jira user as a webhook shows it (`issue.fields.assignee`, `user`).
///
/// Every field is optional: Jira hides `emailAddress` when e-mail visibility is off, and older
/// versions omit `key`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JiraUser {
    /// The username (`name`), what people type to log in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user key (`key`): equal to the first username for old users, `JIRAUSER10100`-style since Jira 8.4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The e-mail address, absent when Jira hides it.
    #[serde(
        default,
        rename = "emailAddress",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_address: Option<String>,
    /// The display name.
    #[serde(
        default,
        rename = "displayName",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
    /// Whether the Jira account is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

jirasync_core::string_newtype! {
    /// The de-duplication key of one delivery: issue id (or key when the id is missing),
    /// changelog id and `webhookEvent`, joined with `:`. Two deliveries with the same key carry the
    /// same change. `From<String>` wraps a key read back from storage.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    pub struct DeliveryKey;
    without new;
}

impl DeliveryKey {
    /// Builds the key from its parts.
    pub fn new(issue: &str, changelog_id: &str, webhook_event: &str) -> Self {
        Self(format!("{issue}:{changelog_id}:{webhook_event}"))
    }

    /// Wraps a key read back from storage.
    pub fn from_stored(key: impl Into<String>) -> Self {
        Self(key.into())
    }
}

impl DeliveryKey {
    /// The key of the comment with this Jira id: both deliveries Jira sends for one comment
    /// (`jira:issue_updated` and `comment_created`) have it, so the comment is applied once.
    pub fn of_comment(comment_id: &str) -> Self {
        Self(format!("comment:{comment_id}"))
    }
}

/// A comment was added to an issue (`jira:issue_updated` with a `comment` that is not an edit or
/// a deletion, or `comment_created`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentAdded {
    /// The issue's key.
    pub issue_key: IssueKey,
    /// The issue's id, when the payload has one.
    pub issue_id: Option<IssueId>,
    /// The comment's id, unique in the Jira instance.
    pub comment_id: String,
    /// The text, in Jira's wiki markup.
    pub body: String,
    /// Who wrote it, when the payload says.
    pub author: Option<JiraUser>,
    /// When it was written, when the payload says so readably.
    pub created: Option<EventTime>,
}

impl CommentAdded {
    /// The de-duplication key of the comment ([`DeliveryKey::of_comment`]).
    pub fn delivery_key(&self) -> DeliveryKey {
        DeliveryKey::of_comment(&self.comment_id)
    }
}

/// The assignee of an issue changed (a changelog item with `field` exactly `assignee`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssigneeChanged {
    /// The issue's key.
    pub issue_key: IssueKey,
    /// The issue's id, when the payload has one.
    pub issue_id: Option<IssueId>,
    /// The new assignee from `issue.fields.assignee`; `None` means the issue was unassigned (a
    /// missing `assignee` key counts as unassigned, as in the reference).
    pub assignee: Option<JiraUser>,
    /// When the change happened; `None` when the payload carries neither `issue.fields.updated`
    /// nor `timestamp` (then no ordering guard can apply).
    pub occurred_at: Option<EventTime>,
}

/// The status of an issue changed (the **first** changelog item with `field` exactly `status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChanged {
    /// The issue's key.
    pub issue_key: IssueKey,
    /// The issue's id, when the payload has one.
    pub issue_id: Option<IssueId>,
    /// The previous status id (`from`).
    pub from: Option<StatusId>,
    /// The new status id (`to`).
    pub to: Option<StatusId>,
    /// The previous status name (`fromString`).
    pub from_name: Option<String>,
    /// The new status name (`toString`).
    pub to_name: Option<String>,
    /// When the change happened (see [`AssigneeChanged::occurred_at`]).
    pub occurred_at: Option<EventTime>,
}

/// What a delivery with a changelog asks the sync rules to do. Both changes may come from one
/// delivery; the assignee change is applied first, as in the reference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSet {
    /// The de-duplication key, when the changelog has an id.
    pub delivery_key: Option<DeliveryKey>,
    /// The assignee change, if the changelog has one.
    pub assignee: Option<AssigneeChanged>,
    /// The status change, if the changelog has one.
    pub status: Option<StatusChanged>,
    /// The comment the delivery adds, if any (with or without a changelog).
    pub comment: Option<CommentAdded>,
}

impl ChangeSet {
    /// True when the changelog touched neither the assignee nor the status (labels, summary,
    /// custom fields, …) and no comment was added: nothing to sync.
    pub fn is_empty(&self) -> bool {
        self.assignee.is_none() && self.status.is_none() && self.comment.is_none()
    }

    /// The Jira issue the changes are about.
    pub fn issue_key(&self) -> Option<&IssueKey> {
        self.assignee
            .as_ref()
            .map(|change| &change.issue_key)
            .or_else(|| self.status.as_ref().map(|change| &change.issue_key))
            .or_else(|| self.comment.as_ref().map(|comment| &comment.issue_key))
    }
}

/// The result of classifying a delivery.
// One value per delivery, moved once into the rule that applies it: boxing the change set would
// cost an allocation and buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Classification {
    /// No changelog, or an empty one (`null`, `{}`, `[]`): the reference answers 200 and does nothing.
    NoChangelog,
    /// A changelog with items; see [`ChangeSet::is_empty`] for one that touches nothing we sync.
    Changes(ChangeSet),
}
