//! The webhook payload model: what Jira Server posts for `jira:issue_*` events (reference-behaviour
//! §3.7).
//!
//! Only the parts the sync rules read are typed; everything else (the description, comments,
//! custom fields, avatar URLs, …) is skipped while parsing, never copied and never built into a
//! `serde_json::Value` tree. Ids are accepted as strings or whole numbers and kept as text, since
//! Jira versions differ. A value with the wrong type is an error naming its path
//! (`issue.fields.assignee must be an object or null, not a string`), never a silent default.

use std::fmt;
use std::marker::PhantomData;

use jirasync_core::{JsonError, decode_json};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::events::JiraUser;

/// A parsed webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct WebhookPayload {
    /// When Jira sent the delivery, Unix epoch milliseconds.
    #[serde(default, deserialize_with = "epoch_millis")]
    pub timestamp: Option<i64>,
    /// `webhookEvent`: `jira:issue_created`, `jira:issue_updated`, … (unknown values are kept).
    #[serde(default, rename = "webhookEvent")]
    pub webhook_event: Option<WebhookEvent>,
    /// `issue_event_type_name`: `issue_assigned`, `issue_generic`, `issue_updated`, …
    #[serde(default)]
    pub issue_event_type_name: Option<String>,
    /// The Jira user who made the change.
    #[serde(default, deserialize_with = "optional_object")]
    pub user: Option<User>,
    /// The issue as it is after the change.
    #[serde(default, deserialize_with = "optional_object")]
    pub issue: Option<Issue>,
    /// The change itself. `None` when the payload has no changelog or an empty one (`null`, `{}`,
    /// `[]`, or an object whose `items` list is empty), all of which mean "nothing changed".
    #[serde(default, deserialize_with = "changelog")]
    pub changelog: Option<Changelog>,
    /// The comment a `comment_*` event, or an `issue_updated` event that added or edited a
    /// comment, is about.
    #[serde(default, deserialize_with = "optional_object")]
    pub comment: Option<Comment>,
}

/// The `webhookEvent` of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `jira:issue_created`.
    IssueCreated,
    /// `jira:issue_updated`.
    IssueUpdated,
    /// `jira:issue_deleted`.
    IssueDeleted,
    /// Any other value, kept as sent.
    Other(String),
    /// `comment_created` (sent when a Jira administrator registered the comment events).
    CommentCreated,
}

impl WebhookEvent {
    /// The value as Jira sends it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::IssueCreated => "jira:issue_created",
            Self::IssueUpdated => "jira:issue_updated",
            Self::IssueDeleted => "jira:issue_deleted",
            Self::Other(other) => other,
            Self::CommentCreated => "comment_created",
        }
    }
}

impl From<String> for WebhookEvent {
    fn from(value: String) -> Self {
        match value.as_str() {
            "jira:issue_created" => Self::IssueCreated,
            "jira:issue_updated" => Self::IssueUpdated,
            "jira:issue_deleted" => Self::IssueDeleted,
            "comment_created" => Self::CommentCreated,
            _ => Self::Other(value),
        }
    }
}

impl From<WebhookEvent> for String {
    fn from(value: WebhookEvent) -> Self {
        match value {
            WebhookEvent::Other(other) => other,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Jira user object (`user`, `issue.fields.assignee`). Avatar URLs are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user's REST URL (`self`).
    #[serde(default, rename = "self")]
    pub self_url: Option<String>,
    /// The username.
    #[serde(default)]
    pub name: Option<String>,
    /// The user key (`JIRAUSER10100`-style since Jira 8.4).
    #[serde(default)]
    pub key: Option<String>,
    /// The e-mail address; absent when Jira hides e-mail addresses.
    #[serde(default, rename = "emailAddress")]
    pub email_address: Option<String>,
    /// The display name.
    #[serde(default, rename = "displayName")]
    pub display_name: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub active: Option<bool>,
    /// The user's time zone, such as `Europe/Berlin`.
    #[serde(default, rename = "timeZone")]
    pub time_zone: Option<String>,
}

impl User {
    /// The identity the sync rules use.
    pub fn to_jira_user(&self) -> JiraUser {
        JiraUser {
            name: self.name.clone(),
            key: self.key.clone(),
            email_address: self.email_address.clone(),
            display_name: self.display_name.clone(),
            active: self.active,
        }
    }
}

/// The `issue` object.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct Issue {
    /// The issue id, such as `10001` (a string or a number on the wire).
    #[serde(default, deserialize_with = "id_text")]
    pub id: Option<String>,
    /// The issue key, such as `APP-123`.
    #[serde(default)]
    pub key: Option<String>,
    /// The issue's REST URL (`self`).
    #[serde(default, rename = "self")]
    pub self_url: Option<String>,
    /// The fields the sync rules read; `None` when `fields` is missing or `null`.
    #[serde(default, deserialize_with = "optional_object")]
    pub fields: Option<IssueFields>,
}

/// The typed part of `issue.fields`; every other field is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct IssueFields {
    /// The assignee; `None` when unassigned (`null`) or when the key is missing.
    #[serde(default, deserialize_with = "optional_object")]
    pub assignee: Option<User>,
    /// The current status.
    #[serde(default, deserialize_with = "optional_object")]
    pub status: Option<Status>,
    /// The issue's project.
    #[serde(default, deserialize_with = "optional_object")]
    pub project: Option<Project>,
    /// When the issue was last updated, as Jira writes it (`2023-01-01T00:00:00.000+0000`).
    #[serde(default)]
    pub updated: Option<String>,
}

/// `issue.fields.status`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct Status {
    /// The status id, such as `10102`.
    #[serde(default, deserialize_with = "id_text")]
    pub id: Option<String>,
    /// The status name, such as `Done`.
    #[serde(default)]
    pub name: Option<String>,
    /// The status category, which tells whether the status means "done".
    #[serde(
        default,
        rename = "statusCategory",
        deserialize_with = "optional_object"
    )]
    pub status_category: Option<StatusCategory>,
}

/// `issue.fields.status.statusCategory`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct StatusCategory {
    /// The category id (Jira sends a number, such as `3`).
    #[serde(default, deserialize_with = "id_text")]
    pub id: Option<String>,
    /// `new`, `indeterminate` or `done`.
    #[serde(default)]
    pub key: Option<String>,
    /// The category name, such as `Done`.
    #[serde(default)]
    pub name: Option<String>,
}

/// `issue.fields.project`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct Project {
    /// The project id, such as `10000`.
    #[serde(default, deserialize_with = "id_text")]
    pub id: Option<String>,
    /// The project key, such as `APP`.
    #[serde(default)]
    pub key: Option<String>,
    /// The project name.
    #[serde(default)]
    pub name: Option<String>,
}

/// The `comment` object of a comment event. Its `visibility`, when set, restricts the comment to
/// a group or a project role.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct Comment {
    /// The comment id, such as `10100` (a string or a number on the wire).
    #[serde(default, deserialize_with = "id_text")]
    pub id: Option<String>,
    /// The text, in Jira's wiki markup.
    #[serde(default)]
    pub body: Option<String>,
    /// Who wrote it.
    #[serde(default, deserialize_with = "optional_object")]
    pub author: Option<User>,
    /// When it was written, as Jira writes it (`2026-06-01T10:05:00.000+0000`).
    #[serde(default)]
    pub created: Option<String>,
    /// When it was last edited.
    #[serde(default)]
    pub updated: Option<String>,
    /// Who may read it (`{"type": "role", "value": "Developers"}`); `None`: everyone who sees
    /// the issue.
    #[serde(default, deserialize_with = "optional_object")]
    pub visibility: Option<CommentVisibility>,
}

/// `comment.visibility`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct CommentVisibility {
    /// `group` or `role`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The group or role name.
    #[serde(default)]
    pub value: Option<String>,
}

/// A non-empty `changelog`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Changelog {
    /// The changelog id (a string or a number on the wire), the heart of the de-duplication key.
    pub id: Option<String>,
    /// The changed fields, in Jira's order.
    pub items: Vec<ChangelogItem>,
}

/// One entry of `changelog.items`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct ChangelogItem {
    /// The field's name, such as `assignee`, `status` or `Story Points`.
    #[serde(default)]
    pub field: Option<String>,
    /// `jira` for system fields, `custom` for custom fields.
    #[serde(default)]
    pub fieldtype: Option<String>,
    /// The field id, such as `assignee` or `customfield_10002` (not sent by old Jira versions).
    #[serde(default, rename = "fieldId")]
    pub field_id: Option<String>,
    /// The old value's id (a status id; a user **key** for user fields).
    #[serde(default, deserialize_with = "id_text")]
    pub from: Option<String>,
    /// The old value as shown to people.
    #[serde(default, rename = "fromString")]
    pub from_string: Option<String>,
    /// The new value's id (a status id; a user **key** for user fields).
    #[serde(default, deserialize_with = "id_text")]
    pub to: Option<String>,
    /// The new value as shown to people.
    #[serde(default, rename = "toString")]
    pub to_string: Option<String>,
}

/// Why a delivery's body was refused. Every variant is a client error (HTTP 400): Jira sent
/// something this crate cannot act on safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The body is not JSON.
    #[error("the body is not valid JSON: {message} (line {line}, column {column})")]
    InvalidJson {
        /// What the JSON parser found.
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// A field has the wrong type or shape.
    #[error("{path} {problem} (line {line}, column {column})")]
    InvalidField {
        /// Where, such as `issue.fields.assignee` or `changelog.items[2].to`.
        path: String,
        /// What is wrong, such as `must be an object or null, not a string`.
        problem: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// The changelog changes the assignee or the status but the payload has no `issue.key`.
    #[error(
        "issue.key is missing, but the changelog changes the {change}: cannot tell which issue to sync"
    )]
    MissingIssueKey {
        /// `assignee` or `status`.
        change: &'static str,
    },
    /// The changelog changes the assignee but the payload has no `issue.fields`.
    #[error(
        "issue.fields is missing, but the changelog changes the assignee: cannot tell who the new assignee is"
    )]
    MissingIssueFields,
    /// The delivery adds a comment but lacks what syncing it needs.
    #[error("the delivery adds a comment, but {missing} is missing: cannot sync the comment")]
    IncompleteComment {
        /// What is missing: `comment`, `comment.id`, `comment.body` or `issue.key`.
        missing: &'static str,
    },
}

/// Parses a delivery's body.
///
/// Only the typed parts are built; everything else is skipped in place.
pub fn parse(body: &[u8]) -> Result<WebhookPayload, PayloadError> {
    // Tracking the path costs an allocation per key, so the common case runs without it and only
    // a refused body is read a second time to say where the problem is.
    match serde_json::from_slice::<Object<WebhookPayload>>(body) {
        Ok(Object(payload)) => Ok(payload),
        Err(error) if !error.is_data() => Err(PayloadError::refusal(&JsonError::from(error))),
        Err(error) => Err(parse_with_path(body).err().unwrap_or_else(|| {
            // Both passes read the same bytes; should they ever disagree, report what we have.
            PayloadError::refusal(&JsonError::from(error))
        })),
    }
}

/// The second, path-tracking pass over a body the first pass refused.
fn parse_with_path(body: &[u8]) -> Result<WebhookPayload, PayloadError> {
    decode_json::<Object<WebhookPayload>>(body)
        .map(|Object(payload)| payload)
        .map_err(|error| PayloadError::refusal(&error))
}

impl PayloadError {
    /// The refusal of a body that did not decode: bad JSON, or a member (named by its path) that
    /// does not fit.
    fn refusal(error: &JsonError) -> Self {
        if !error.is_data() {
            return Self::InvalidJson {
                message: error.message(),
                line: error.line(),
                column: error.column(),
            };
        }
        let path = match error.path() {
            "." => "the body".to_owned(),
            path => path.to_owned(),
        };
        Self::InvalidField {
            path,
            problem: describe_problem(&error.message()),
            line: error.line(),
            column: error.column(),
        }
    }
}

/// Turns serde's `invalid type: string "x", expected an object or null` into
/// `must be an object or null, not a string`. The offending value is left out: it comes from the
/// network and may be large.
fn describe_problem(message: &str) -> String {
    // Our own messages are already phrased against the path.
    if ["must ", "has ", "is "]
        .iter()
        .any(|start| message.starts_with(start))
    {
        return message.to_owned();
    }
    let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    else {
        return format!("is invalid: {message}");
    };
    let Some((found, expected)) = rest.rsplit_once(", expected ") else {
        return format!("is invalid: {message}");
    };
    let found = match found.split([' ', '`']).next().unwrap_or_default() {
        "string" => "a string",
        "integer" | "floating" => "a number",
        "boolean" => "a boolean",
        "map" => "an object",
        "sequence" => "a list",
        "null" | "unit" => "null",
        _ => "another value",
    };
    let expected = match expected {
        "a sequence" => "a list",
        "a map" => "an object",
        "a boolean" => "true, false or null",
        other => other,
    };
    format!("must be {expected}, not {found}")
}

/// A `T` read from a JSON object only. serde's derive also accepts an array of a struct's fields
/// in order (`"issue": ["10001", "APP-1"]`), which no Jira sends and which would pass silently.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(ObjectVisitor::<T> {
                allow_null: false,
                marker: PhantomData,
            })?
            .map(Object)
            .ok_or_else(|| de::Error::custom("must be an object, not null"))
    }
}

/// An object-typed field that may also be `null`.
fn optional_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(ObjectVisitor::<T> {
        allow_null: true,
        marker: PhantomData,
    })
}

struct ObjectVisitor<T> {
    allow_null: bool,
    marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.allow_null {
            "an object or null"
        } else {
            "an object"
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.allow_null {
            Ok(None)
        } else {
            Err(E::invalid_type(de::Unexpected::Unit, &self))
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
}

/// `timestamp`: whole epoch milliseconds, or `null`.
fn epoch_millis<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct MillisVisitor;

    impl<'de> Visitor<'de> for MillisVisitor {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("whole epoch milliseconds")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("is too large for epoch milliseconds"))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_any(MillisVisitor)
}

/// Ids: Jira sends `"10001"` but some versions and proxies send `10001`; both are kept as text.
fn id_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct IdVisitor;

    impl<'de> Visitor<'de> for IdVisitor {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, a whole number or null")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_any(IdVisitor)
}

/// `changelog`: `null`, `{}` and `[]` mean no changelog (reference-behaviour §3.3 row 2); any other
/// object must carry an `items` list.
fn changelog<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Changelog>, D::Error> {
    struct ChangelogVisitor;

    impl<'de> Visitor<'de> for ChangelogVisitor {
        type Value = Option<Changelog>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object, null or an empty list")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            match seq.next_element::<IgnoredAny>()? {
                None => Ok(None),
                Some(_) => Err(de::Error::custom(
                    "must be an object, null or an empty list, not a non-empty list",
                )),
            }
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut id = None;
            let mut items = None;
            let mut has_entries = false;
            while let Some(key) = map.next_key::<ChangelogKey>()? {
                has_entries = true;
                match key {
                    ChangelogKey::Id => {
                        if id.is_some() {
                            return Err(de::Error::duplicate_field("id"));
                        }
                        id = Some(map.next_value_seed(IdSeed)?);
                    }
                    ChangelogKey::Items => {
                        if items.is_some() {
                            return Err(de::Error::duplicate_field("items"));
                        }
                        let list = map.next_value::<Vec<Object<ChangelogItem>>>()?;
                        items = Some(
                            list.into_iter()
                                .map(|Object(item)| item)
                                .collect::<Vec<_>>(),
                        );
                    }
                    ChangelogKey::Other => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            match (has_entries, items) {
                (false, _) => Ok(None),
                (true, Some(items)) if items.is_empty() => Ok(None),
                (true, Some(items)) => Ok(Some(Changelog {
                    id: id.flatten(),
                    items,
                })),
                // reference-behaviour §3.3 row 3b: the reference answers 500 here; we say why.
                (true, None) => Err(de::Error::custom(
                    "has entries but no `items` list: a changelog must list its items",
                )),
            }
        }
    }

    deserializer.deserialize_any(ChangelogVisitor)
}

/// The keys of `changelog` we read.
enum ChangelogKey {
    Id,
    Items,
    Other,
}

impl<'de> Deserialize<'de> for ChangelogKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = ChangelogKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(match v {
                    "id" => ChangelogKey::Id,
                    "items" => ChangelogKey::Items,
                    _ => ChangelogKey::Other,
                })
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// [`id_text`] as a seed, for the hand-written changelog visitor.
struct IdSeed;

impl<'de> de::DeserializeSeed<'de> for IdSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        id_text(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_field(body: &str) -> (String, String) {
        match parse(body.as_bytes()) {
            Err(PayloadError::InvalidField { path, problem, .. }) => (path, problem),
            other => panic!("expected InvalidField, got {other:?}"),
        }
    }

    #[test]
    fn reads_ids_given_as_numbers_as_text() {
        let payload =
            parse(br#"{"issue":{"id":10001,"key":"APP-1"},"changelog":{"id":10172,"items":[{"field":"status","from":1,"to":"3"}]}}"#)
                .unwrap();
        assert_eq!(payload.issue.unwrap().id.as_deref(), Some("10001"));
        let changelog = payload.changelog.unwrap();
        assert_eq!(changelog.id.as_deref(), Some("10172"));
        assert_eq!(changelog.items[0].from.as_deref(), Some("1"));
    }

    #[test]
    fn keeps_unknown_webhook_events() {
        let payload = parse(br#"{"webhookEvent":"jira:worklog_updated"}"#).unwrap();
        assert_eq!(
            payload.webhook_event,
            Some(WebhookEvent::Other("jira:worklog_updated".to_owned()))
        );
    }

    #[test]
    fn treats_null_empty_object_and_empty_list_changelogs_as_none() {
        for body in [
            r#"{}"#,
            r#"{"changelog":null}"#,
            r#"{"changelog":{}}"#,
            r#"{"changelog":[]}"#,
            r#"{"changelog":{"id":"1","items":[]}}"#,
        ] {
            assert_eq!(parse(body.as_bytes()).unwrap().changelog, None, "{body}");
        }
    }

    #[test]
    fn names_the_path_of_a_wrongly_typed_assignee() {
        let (path, problem) = invalid_field(r#"{"issue":{"fields":{"assignee":"bob"}}}"#);
        assert_eq!(path, "issue.fields.assignee");
        assert_eq!(problem, "must be an object or null, not a string");
    }

    #[test]
    fn names_the_index_of_a_wrongly_typed_changelog_item() {
        let (path, problem) = invalid_field(
            r#"{"changelog":{"items":[{"field":"status"},{"field":"x","to":{"a":1}}]}}"#,
        );
        assert_eq!(path, "changelog.items[1].to");
        assert_eq!(
            problem,
            "must be a string, a whole number or null, not an object"
        );
    }

    #[test]
    fn refuses_a_changelog_without_items() {
        let (path, problem) = invalid_field(r#"{"changelog":{"id":"10172"}}"#);
        assert_eq!(path, "changelog");
        assert!(problem.contains("no `items` list"), "{problem}");
    }

    #[test]
    fn refuses_items_that_are_not_a_list() {
        let (path, problem) = invalid_field(r#"{"changelog":{"items":{"field":"status"}}}"#);
        assert_eq!(path, "changelog.items");
        assert_eq!(problem, "must be a list, not an object");
    }

    #[test]
    fn refuses_a_body_that_is_not_an_object() {
        let (path, problem) = invalid_field("[1,2]");
        assert_eq!(path, "the body");
        assert_eq!(problem, "must be an object, not a list");
    }

    #[test]
    fn refuses_an_issue_given_as_a_list_of_its_fields() {
        let (path, problem) = invalid_field(r#"{"issue":["10001","APP-1"]}"#);
        assert_eq!(path, "issue");
        assert_eq!(problem, "must be an object or null, not a list");
    }

    #[test]
    fn refuses_a_null_changelog_item() {
        let (path, problem) = invalid_field(r#"{"changelog":{"items":[null]}}"#);
        assert_eq!(path, "changelog.items[0]");
        assert_eq!(problem, "must be an object, not null");
    }

    #[test]
    fn reports_line_and_column_of_invalid_json() {
        let error = parse(b"{\n  \"issue\": {,\n}").unwrap_err();
        match error {
            PayloadError::InvalidJson { line, column, .. } => assert_eq!((line, column), (2, 13)),
            other => panic!("expected InvalidJson, got {other:?}"),
        }
    }

    #[test]
    fn refuses_trailing_garbage() {
        assert!(matches!(
            parse(b"{} {}"),
            Err(PayloadError::InvalidJson { .. })
        ));
    }

    proptest::proptest! {
        /// The fast pass and the path-tracking pass must agree on every body.
        #[test]
        fn both_passes_agree(
            slots in proptest::collection::vec(
                proptest::sample::select(&[
                    "null", "1", "-1", "1.5", "true", "\"x\"", "{}", "[]", "[{}]", "{\"a\":[1]}",
                    "{\"items\":[]}", "{\"id\":1}", "18446744073709551615",
                ][..]),
                6,
            ),
        ) {
            let body = format!(
                r#"{{"timestamp":{},"issue":{{"id":{},"fields":{{"assignee":{},"status":{}}}}},"changelog":{{"id":{},"items":[{{"field":{}}}]}}}}"#,
                slots[0], slots[1], slots[2], slots[3], slots[4], slots[5]
            );
            proptest::prop_assert_eq!(parse(body.as_bytes()), parse_with_path(body.as_bytes()));
        }
    }

    #[test]
    fn skips_deeply_nested_values_without_overflowing_the_stack() {
        // serde_json skips ignored values with a loop, not recursion: depth costs no stack.
        let depth = 100_000;
        let body = format!(
            r#"{{"issue":{{"key":"APP-1","fields":{{"description":{}{}}}}}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let issue = parse(body.as_bytes()).unwrap().issue.unwrap();
        assert_eq!(issue.key.as_deref(), Some("APP-1"));
    }

    #[test]
    fn refuses_fractional_timestamps() {
        let (path, problem) = invalid_field(r#"{"timestamp":1.5}"#);
        assert_eq!(path, "timestamp");
        assert_eq!(problem, "must be whole epoch milliseconds, not a number");
    }
}
