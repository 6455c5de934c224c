//! Turning a parsed delivery into the typed events the sync rules consume (reference-behaviour
//! §3.3–§3.5).

use crate::events::{
    AssigneeChanged, ChangeSet, Classification, CommentAdded, DeliveryKey, EventTime, IssueId,
    IssueKey, StatusChanged, StatusId,
};
use crate::payload::{self, ChangelogItem, Issue, PayloadError, WebhookEvent, WebhookPayload};

/// The `issue_event_type_name`s of `jira:issue_updated` deliveries whose `comment` was not added
/// by the change: an edit or a deletion of an existing comment.
const NOT_ADDED: [&str; 2] = ["issue_comment_edited", "issue_comment_deleted"];

/// Classifies a delivery.
///
/// - no changelog, an empty one (`null`, `{}`, `[]`) or one with an empty `items` list →
///   [`Classification::NoChangelog`];
/// - the first changelog item whose `field` is exactly `assignee` → an [`AssigneeChanged`] whose
///   assignee comes from `issue.fields.assignee` (never from the item's `to`, which holds a user
///   key); `null` or a missing `assignee` means unassigned;
/// - the first item whose `field` is exactly `status` → a [`StatusChanged`] with its `from`/`to`;
/// - items for any other field are ignored.
///
/// `delivery_key` is built from the issue id (or key), the changelog id and `webhookEvent` when the
/// changelog has an id.
///
/// `occurred_at` is `issue.fields.updated` when it parses (see [`EventTime::parse_jira`]), else the
/// payload's `timestamp`. An assignee or status change without `issue.key`, or an assignee change
/// without `issue.fields`, is an error: the reference answers 500 there (§3.3 row 3b), we answer
/// with the reason.
///
/// A comment the delivery adds is a [`CommentAdded`] in the change set, with or without a
/// changelog (see [`comment_added`]).
pub fn classify(payload: &WebhookPayload) -> Result<Classification, PayloadError> {
    let comment = comment_added(payload)?;
    let Some(changelog) = &payload.changelog else {
        return Ok(match comment {
            Some(comment) => Classification::Changes(ChangeSet {
                comment: Some(comment),
                ..ChangeSet::default()
            }),
            None => Classification::NoChangelog,
        });
    };
    let issue = payload.issue.as_ref();
    let issue_id = issue
        .and_then(|issue| issue.id.as_deref())
        .map(IssueId::from);
    let occurred_at = occurred_at(payload);

    // reference-behaviour §3.4 / §3.5: `field` is compared exactly; the first match wins.
    let assignee = match first_item(&changelog.items, "assignee") {
        None => None,
        Some(_) => {
            let issue_key = issue_key(issue, "assignee")?;
            let fields = issue
                .and_then(|issue| issue.fields.as_ref())
                .ok_or(PayloadError::MissingIssueFields)?;
            Some(AssigneeChanged {
                issue_key,
                issue_id: issue_id.clone(),
                assignee: fields.assignee.as_ref().map(payload::User::to_jira_user),
                occurred_at,
            })
        }
    };
    let status = match first_item(&changelog.items, "status") {
        None => None,
        Some(item) => Some(StatusChanged {
            issue_key: issue_key(issue, "status")?,
            issue_id,
            from: item.from.as_deref().map(StatusId::from),
            to: item.to.as_deref().map(StatusId::from),
            from_name: item.from_string.clone(),
            to_name: item.to_string.clone(),
            occurred_at,
        }),
    };

    let delivery_key = changelog.id.as_deref().and_then(|changelog_id| {
        let issue = issue.and_then(|issue| issue.id.as_deref().or(issue.key.as_deref()))?;
        let event = payload
            .webhook_event
            .as_ref()
            .map_or("", |event| event.as_str());
        Some(DeliveryKey::new(issue, changelog_id, event))
    });

    Ok(Classification::Changes(ChangeSet {
        delivery_key,
        assignee,
        status,
        comment,
    }))
}

/// The comment a delivery adds, if any:
///
/// - `comment_created` with its `comment` and `issue` (Jira Data Center 8 and later). Without
///   `issue` (older versions) it is `None`: the `jira:issue_updated` delivery Jira sends for the
///   same comment carries the issue and is synced instead;
/// - `jira:issue_updated` with a `comment`, unless `issue_event_type_name` says the comment was
///   edited or deleted (`issue_comment_edited`, `issue_comment_deleted`); an `issue_commented`
///   delivery without a comment is an error;
/// - a comment restricted to a group or a role (`comment.visibility`) is `None`: it is not
///   copied to the application, whose readers Jira's restriction does not reach.
///
/// # Errors
///
/// [`PayloadError::IncompleteComment`] when the comment has no `id` or `body`, or a
/// `jira:issue_updated` comment has no `issue.key`.
pub fn comment_added(payload: &WebhookPayload) -> Result<Option<CommentAdded>, PayloadError> {
    let type_name = payload.issue_event_type_name.as_deref();
    let issue = payload.issue.as_ref();
    let key = issue
        .and_then(|issue| issue.key.as_deref())
        .filter(|key| !key.is_empty());
    let (comment, key) = match payload.webhook_event {
        Some(WebhookEvent::CommentCreated) => {
            let comment = payload
                .comment
                .as_ref()
                .ok_or(PayloadError::IncompleteComment { missing: "comment" })?;
            match key {
                Some(key) => (comment, key),
                None => return Ok(None),
            }
        }
        Some(WebhookEvent::IssueUpdated) => {
            let Some(comment) = payload.comment.as_ref() else {
                return if type_name == Some("issue_commented") {
                    Err(PayloadError::IncompleteComment { missing: "comment" })
                } else {
                    Ok(None)
                };
            };
            if type_name.is_some_and(|name| NOT_ADDED.contains(&name)) {
                return Ok(None);
            }
            let key = key.ok_or(PayloadError::IncompleteComment {
                missing: "issue.key",
            })?;
            (comment, key)
        }
        _ => return Ok(None),
    };
    let comment_id =
        comment
            .id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or(PayloadError::IncompleteComment {
                missing: "comment.id",
            })?;
    let body = comment
        .body
        .clone()
        .ok_or(PayloadError::IncompleteComment {
            missing: "comment.body",
        })?;
    if comment.visibility.is_some() {
        return Ok(None);
    }
    Ok(Some(CommentAdded {
        issue_key: IssueKey::from(key),
        issue_id: issue
            .and_then(|issue| issue.id.as_deref())
            .map(IssueId::from),
        comment_id,
        body,
        author: comment.author.as_ref().map(payload::User::to_jira_user),
        created: comment.created.as_deref().and_then(EventTime::parse_jira),
    }))
}

/// Parses a delivery's body and classifies it: [`payload::parse`] then [`classify`].
pub fn parse_and_classify(body: &[u8]) -> Result<Classification, PayloadError> {
    classify(&payload::parse(body)?)
}

fn first_item<'a>(items: &'a [ChangelogItem], field: &str) -> Option<&'a ChangelogItem> {
    items
        .iter()
        .find(|item| item.field.as_deref() == Some(field))
}

/// `issue.key`; an empty key names no issue, so it counts as missing.
fn issue_key(issue: Option<&Issue>, change: &'static str) -> Result<IssueKey, PayloadError> {
    issue
        .and_then(|issue| issue.key.as_deref())
        .filter(|key| !key.is_empty())
        .map(IssueKey::from)
        .ok_or(PayloadError::MissingIssueKey { change })
}

/// `issue.fields.updated` when present and readable, else `timestamp`. An unreadable `updated`
/// falls back to `timestamp` rather than failing the delivery: the change itself is still valid,
/// and `timestamp` is the time the reference's ordering guard falls back to as well.
fn occurred_at(payload: &WebhookPayload) -> Option<EventTime> {
    payload
        .issue
        .as_ref()
        .and_then(|issue| issue.fields.as_ref())
        .and_then(|fields| fields.updated.as_deref())
        .and_then(EventTime::parse_jira)
        .or_else(|| payload.timestamp.map(EventTime::from_unix_millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_json(body: &str) -> Result<Classification, PayloadError> {
        parse_and_classify(body.as_bytes())
    }

    fn changes(body: &str) -> ChangeSet {
        match classify_json(body).unwrap() {
            Classification::Changes(changes) => changes,
            other => panic!("expected changes, got {other:?}"),
        }
    }

    #[test]
    fn reports_no_changelog_when_it_is_missing() {
        assert_eq!(
            classify_json(r#"{"issue":{"key":"APP-1"}}"#).unwrap(),
            Classification::NoChangelog
        );
    }

    #[test]
    fn ignores_items_for_other_fields() {
        let changes = changes(
            r#"{"issue":{"key":"APP-1"},"changelog":{"id":"1","items":[{"field":"Assignee"},{"field":"summary"}]}}"#,
        );
        assert!(changes.is_empty());
    }

    #[test]
    fn takes_the_first_status_item() {
        let changes = changes(
            r#"{"issue":{"key":"APP-1"},"changelog":{"items":[
                {"field":"status","from":"1","to":"2"},{"field":"status","from":"2","to":"3"}]}}"#,
        );
        let status = changes.status.unwrap();
        assert_eq!(status.to, Some(StatusId::new("2")));
    }

    #[test]
    fn unassigns_when_the_assignee_key_is_missing_from_fields() {
        let changes = changes(
            r#"{"issue":{"key":"APP-1","fields":{}},"changelog":{"items":[{"field":"assignee"}]}}"#,
        );
        assert_eq!(changes.assignee.unwrap().assignee, None);
    }

    #[test]
    fn refuses_an_assignee_change_without_issue_fields() {
        assert_eq!(
            classify_json(
                r#"{"issue":{"key":"APP-1"},"changelog":{"items":[{"field":"assignee"}]}}"#
            ),
            Err(PayloadError::MissingIssueFields)
        );
    }

    #[test]
    fn refuses_an_assignee_change_with_an_empty_issue_key() {
        assert_eq!(
            classify_json(
                r#"{"issue":{"key":"","fields":{}},"changelog":{"items":[{"field":"assignee"}]}}"#
            ),
            Err(PayloadError::MissingIssueKey { change: "assignee" })
        );
    }

    #[test]
    fn refuses_a_status_change_without_issue_key() {
        assert_eq!(
            classify_json(r#"{"issue":{"id":"1"},"changelog":{"items":[{"field":"status"}]}}"#),
            Err(PayloadError::MissingIssueKey { change: "status" })
        );
    }

    #[test]
    fn falls_back_to_the_timestamp_when_updated_is_unreadable() {
        let changes = changes(
            r#"{"timestamp":1525698237764,"issue":{"key":"APP-1","fields":{"updated":"soon"}},
                "changelog":{"items":[{"field":"status"}]}}"#,
        );
        assert_eq!(
            changes.status.unwrap().occurred_at,
            Some(EventTime::from_unix_millis(1_525_698_237_764))
        );
    }

    #[test]
    fn keys_deliveries_by_issue_id_changelog_id_and_event() {
        let changes = changes(
            r#"{"webhookEvent":"jira:issue_updated","issue":{"id":"10001","key":"APP-1"},
                "changelog":{"id":10172,"items":[{"field":"summary"}]}}"#,
        );
        assert_eq!(
            changes.delivery_key,
            Some(DeliveryKey::new("10001", "10172", "jira:issue_updated"))
        );
    }

    const COMMENT: &str = r#""comment":{"id":"10100","body":"Looks fixed.",
        "author":{"name":"jdoe","emailAddress":"jdoe@example.com","displayName":"Jane Doe"},
        "created":"2026-06-01T10:05:00.000+0000","updated":"2026-06-01T10:05:00.000+0000"}"#;

    #[test]
    fn an_issue_commented_update_adds_the_comment() {
        let changes = changes(&format!(
            r#"{{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_commented",
                "issue":{{"id":"10001","key":"APP-1","fields":{{}}}},{COMMENT}}}"#
        ));
        let comment = changes.comment.unwrap();
        assert_eq!(comment.issue_key, IssueKey::new("APP-1"));
        assert_eq!(comment.comment_id, "10100");
        assert_eq!(comment.body, "Looks fixed.");
        let author = comment.author.unwrap();
        assert_eq!(author.name.as_deref(), Some("jdoe"));
        assert_eq!(author.display_name.as_deref(), Some("Jane Doe"));
        assert_eq!(
            comment.created,
            EventTime::parse_jira("2026-06-01T10:05:00.000+0000")
        );
        assert!(changes.assignee.is_none() && changes.status.is_none());
    }

    #[test]
    fn comment_created_adds_the_comment_with_the_same_key() {
        let updated = changes(&format!(
            r#"{{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_commented",
                "issue":{{"key":"APP-1"}},{COMMENT}}}"#
        ));
        let created = changes(&format!(
            r#"{{"webhookEvent":"comment_created","issue":{{"key":"APP-1"}},{COMMENT}}}"#
        ));
        let (updated, created) = (updated.comment.unwrap(), created.comment.unwrap());
        assert_eq!(updated, created);
        assert_eq!(created.delivery_key(), DeliveryKey::of_comment("10100"));
    }

    #[test]
    fn comment_created_without_the_issue_is_left_to_the_issue_update() {
        assert_eq!(
            classify_json(&format!(
                r#"{{"webhookEvent":"comment_created",{COMMENT}}}"#
            ))
            .unwrap(),
            Classification::NoChangelog
        );
    }

    #[test]
    fn an_assignment_with_a_comment_does_both() {
        let changes = changes(&format!(
            r#"{{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_assigned",
                "issue":{{"key":"APP-1","fields":{{"assignee":null}}}},
                "changelog":{{"id":"5","items":[{{"field":"assignee"}}]}},{COMMENT}}}"#
        ));
        assert!(changes.assignee.is_some());
        assert_eq!(changes.comment.unwrap().comment_id, "10100");
    }

    #[test]
    fn edited_deleted_and_restricted_comments_are_not_added() {
        for type_name in ["issue_comment_edited", "issue_comment_deleted"] {
            assert_eq!(
                classify_json(&format!(
                    r#"{{"webhookEvent":"jira:issue_updated","issue_event_type_name":"{type_name}",
                        "issue":{{"key":"APP-1"}},{COMMENT}}}"#
                ))
                .unwrap(),
                Classification::NoChangelog
            );
        }
        let restricted = r#"{"webhookEvent":"comment_created","issue":{"key":"APP-1"},
            "comment":{"id":"7","body":"internal","visibility":{"type":"role","value":"Developers"}}}"#;
        assert_eq!(
            classify_json(restricted).unwrap(),
            Classification::NoChangelog
        );
    }

    #[test]
    fn refuses_comments_missing_what_syncing_needs() {
        let cases = [
            (
                r#"{"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_commented","issue":{"key":"APP-1"}}"#,
                "comment",
            ),
            (
                r#"{"webhookEvent":"comment_created","issue":{"key":"APP-1"}}"#,
                "comment",
            ),
            (
                r#"{"webhookEvent":"comment_created","issue":{"key":"APP-1"},"comment":{"body":"x"}}"#,
                "comment.id",
            ),
            (
                r#"{"webhookEvent":"comment_created","issue":{"key":"APP-1"},"comment":{"id":"1"}}"#,
                "comment.body",
            ),
            (
                r#"{"webhookEvent":"jira:issue_updated","issue":{"id":"1"},"comment":{"id":"1","body":"x"}}"#,
                "issue.key",
            ),
        ];
        for (body, missing) in cases {
            assert_eq!(
                classify_json(body),
                Err(PayloadError::IncompleteComment { missing }),
                "{body}"
            );
        }
        assert_eq!(
            PayloadError::IncompleteComment {
                missing: "comment.id"
            }
            .to_string(),
            "the delivery adds a comment, but comment.id is missing: cannot sync the comment"
        );
    }

    #[test]
    fn refuses_a_comment_of_the_wrong_type() {
        let error = classify_json(
            r#"{"webhookEvent":"comment_created","issue":{"key":"APP-1"},"comment":"hello"}"#,
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("comment must be an object or null, not a string"),
            "{error}"
        );
    }

    #[test]
    fn keys_deliveries_by_issue_key_when_the_id_is_missing() {
        let changes = changes(
            r#"{"webhookEvent":"jira:issue_updated","issue":{"key":"APP-1"},
                "changelog":{"id":"7","items":[{"field":"summary"}]}}"#,
        );
        assert_eq!(
            changes.delivery_key,
            Some(DeliveryKey::new("APP-1", "7", "jira:issue_updated"))
        );
    }
}
