//! Turning a parsed delivery into the typed events the sync rules consume (reference-behaviour
//! §3.3–§3.5).

use crate::events::{
    AssigneeChanged, ChangeSet, Classification, DeliveryKey, EventTime, IssueId, IssueKey,
    StatusChanged, StatusId,
};
use crate::payload::{self, ChangelogItem, Issue, PayloadError, WebhookPayload};

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
pub fn classify(payload: &WebhookPayload) -> Result<Classification, PayloadError> {
    let Some(changelog) = &payload.changelog else {
        return Ok(Classification::NoChangelog);
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
