//! The load test's seed and deliveries (`scripts/loadtest/`) work together: the state file imports,
//! and a delivery filled in from the template as `assignee.lua` fills it reassigns the issue.

// Test helpers may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use jirasync_domain::ids::{IntegrationId, LocalIssueId, UserId};
use jirasync_domain::issue::Assignee;
use jirasync_domain::state::import_state;
use jirasync_domain::{InMemoryStore, InboundSync, LocalIssueStore, StaticJiraDirectory};
use jirasync_webhook::{Classification, parse_and_classify};

fn loadtest_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/loadtest")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The template with its `__NAME__` placeholders replaced, as `assignee.lua` does.
fn delivery(issue: u32, user: &str, timestamp: u64, changelog_id: u64) -> String {
    let (name, key, email, display) = match user {
        "jess" => ("jess", "JIRAUSER10100", "jess@example.com", "Jess MacQueen"),
        "alex" => ("alex", "JIRAUSER10101", "alex@example.com", "Alex Kim"),
        other => panic!("no user {other} in the load test"),
    };
    let mut body = loadtest_file("delivery-template.json");
    for (placeholder, value) in [
        ("__TIMESTAMP__", timestamp.to_string()),
        ("__ISSUE_ID__", (20_000 + issue).to_string()),
        ("__ISSUE_NUMBER__", issue.to_string()),
        ("__USER_NAME__", name.to_owned()),
        ("__USER_KEY__", key.to_owned()),
        ("__USER_EMAIL__", email.to_owned()),
        ("__USER_DISPLAY__", display.to_owned()),
        ("__CHANGELOG_ID__", changelog_id.to_string()),
    ] {
        body = body.replace(placeholder, &value);
    }
    assert!(!body.contains("__"), "a placeholder was left: {body}");
    body
}

#[tokio::test]
async fn loadtest_deliveries_reassign_the_seeded_issues() {
    let store = Arc::new(InMemoryStore::new());
    let summary = import_state(&*store, loadtest_file("state.json").as_bytes())
        .await
        .unwrap();
    assert_eq!(summary.external_issues, 50);
    let jira = IntegrationId::new(6);
    let sync = InboundSync::new(
        Arc::clone(&store),
        Arc::clone(&store),
        Arc::new(StaticJiraDirectory::new()),
    );

    for (user, expected, timestamp, changelog) in [
        ("jess", UserId::new(2), 1_700_000_000_011, 1_000_000_001),
        ("alex", UserId::new(3), 1_700_000_000_021, 1_000_000_002),
    ] {
        let Classification::Changes(changes) =
            parse_and_classify(delivery(7, user, timestamp, changelog).as_bytes()).unwrap()
        else {
            panic!("the template has a changelog");
        };
        let outcome = sync.apply_change_set(jira, &changes).await.unwrap();
        assert_eq!(outcome.assignee.map(|assignee| assignee.changed), Some(1));
        let issue = store
            .local_issue(LocalIssueId::new(107))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(issue.assignee, Some(Assignee::User(expected)));
    }
}
