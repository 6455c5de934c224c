//! Classification of the Jira Server payloads under `tests/fixtures/webhooks/`.

// Helpers outside #[test] functions may fail loudly too: a panic here is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use jirasync_webhook::{
    ChangeSet, Classification, DeliveryKey, EventTime, IssueId, IssueKey, JiraUser, StatusId,
    WebhookEvent, parse, parse_and_classify,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn changes(name: &str) -> ChangeSet {
    match parse_and_classify(&fixture(name)).unwrap() {
        Classification::Changes(changes) => changes,
        other => panic!("{name}: expected changes, got {other:?}"),
    }
}

/// `issue.fields.updated` of every fixture: 2023-01-01T00:00:00.000+0000.
const UPDATED: EventTime = EventTime::from_unix_millis(1_672_531_200_000);

fn jess(email: Option<&str>) -> JiraUser {
    JiraUser {
        name: Some("jess".to_owned()),
        key: Some("JIRAUSER10100".to_owned()),
        email_address: email.map(str::to_owned),
        display_name: Some("Jess MacQueen".to_owned()),
        active: Some(true),
    }
}

#[test]
fn ignores_issue_created_without_changelog() {
    let body = fixture("issue_created.json");
    assert_eq!(
        parse(&body).unwrap().webhook_event,
        Some(WebhookEvent::IssueCreated)
    );
    assert_eq!(
        parse_and_classify(&body).unwrap(),
        Classification::NoChangelog
    );
}

#[test]
fn assigns_the_user_from_issue_fields() {
    let changes = changes("assignee_set.json");
    let assignee = changes.assignee.unwrap();
    assert_eq!(assignee.issue_key, IssueKey::new("APP-123"));
    assert_eq!(assignee.issue_id, Some(IssueId::new("10001")));
    assert_eq!(assignee.assignee, Some(jess(Some("jess@example.com"))));
    assert_eq!(assignee.occurred_at, Some(UPDATED));
    assert_eq!(changes.status, None);
    assert_eq!(
        changes.delivery_key,
        Some(DeliveryKey::new("10001", "10172", "jira:issue_updated"))
    );
}

#[test]
fn unassigns_when_assignee_is_null() {
    let assignee = changes("assignee_null.json").assignee.unwrap();
    assert_eq!(assignee.assignee, None);
}

#[test]
fn unassigns_when_the_assignee_key_is_missing() {
    let assignee = changes("assignee_key_missing.json").assignee.unwrap();
    assert_eq!(assignee.assignee, None);
}

#[test]
fn keeps_an_assignee_whose_email_is_hidden() {
    let assignee = changes("assignee_hidden_email.json").assignee.unwrap();
    assert_eq!(assignee.assignee, Some(jess(None)));
}

#[test]
fn reports_a_status_change_with_ids_and_names() {
    let changes = changes("status_changed.json");
    assert_eq!(changes.assignee, None);
    let status = changes.status.unwrap();
    assert_eq!(status.issue_key, IssueKey::new("APP-123"));
    assert_eq!(status.from, Some(StatusId::new("10101")));
    assert_eq!(status.to, Some(StatusId::new("10102")));
    assert_eq!(status.from_name.as_deref(), Some("In Progress"));
    assert_eq!(status.to_name.as_deref(), Some("Done"));
    assert_eq!(status.occurred_at, Some(UPDATED));
}

#[test]
fn reports_assignee_and_status_from_one_delivery() {
    let changes = changes("assignee_and_status.json");
    assert!(changes.assignee.is_some());
    assert_eq!(changes.status.unwrap().to, Some(StatusId::new("10102")));
}

#[test]
fn syncs_nothing_when_only_custom_fields_changed() {
    let changes = changes("custom_fields_only.json");
    assert!(changes.is_empty());
    assert!(changes.delivery_key.is_some());
}

#[test]
fn keeps_unicode_names_intact() {
    let user = changes("unicode_names.json")
        .assignee
        .unwrap()
        .assignee
        .unwrap();
    assert_eq!(user.name.as_deref(), Some("zoë.ångström"));
    assert_eq!(
        user.display_name.as_deref(),
        Some("Zoë Ångström — 山田太郎 🚀")
    );
    assert_eq!(user.email_address.as_deref(), Some("zoë@exämple.com"));
}

#[test]
fn skips_a_large_description() {
    let body = fixture("large_description.json");
    assert!(body.len() >= 200 * 1024);
    let assignee = changes("large_description.json").assignee.unwrap();
    assert_eq!(assignee.assignee, Some(jess(Some("jess@example.com"))));
}

#[test]
fn gives_the_same_delivery_key_for_numeric_and_string_changelog_ids() {
    let numeric = changes("changelog_id_numeric.json").delivery_key;
    let string = changes("changelog_id_string.json").delivery_key;
    assert_eq!(
        numeric,
        Some(DeliveryKey::new("10001", "10200", "jira:issue_updated"))
    );
    assert_eq!(numeric, string);
}

#[test]
fn reads_the_typed_parts_of_the_issue() {
    let payload = parse(&fixture("status_changed.json")).unwrap();
    assert_eq!(payload.timestamp, Some(1_672_531_260_000));
    assert_eq!(
        payload.issue_event_type_name.as_deref(),
        Some("issue_generic")
    );
    assert_eq!(payload.user.unwrap().name.as_deref(), Some("admin"));
    let issue = payload.issue.unwrap();
    assert_eq!(
        issue.self_url.as_deref(),
        Some("https://jira.example.com/rest/api/2/issue/10001")
    );
    let fields = issue.fields.unwrap();
    let status = fields.status.unwrap();
    assert_eq!(status.id.as_deref(), Some("10102"));
    let category = status.status_category.unwrap();
    assert_eq!(category.key.as_deref(), Some("done"));
    assert_eq!(category.id.as_deref(), Some("3"));
    assert_eq!(fields.project.unwrap().key.as_deref(), Some("APP"));
    assert_eq!(
        fields.updated.as_deref(),
        Some("2023-01-01T00:00:00.000+0000")
    );
}

#[test]
fn every_fixture_parses() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/webhooks");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let body = std::fs::read(&path).unwrap();
            parse_and_classify(&body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert!(count >= 12, "found {count} fixtures");
}
