//! Two service instances on one database receive a burst of deliveries for overlapping Jira
//! issues, sent alternately to each: every delivery is applied exactly once (one activity each)
//! and every issue ends at its newest assignee.
//!
//! The deployment's shape is PostgreSQL (`JIRASYNC_TEST_DATABASE_URL`): the `*_binary` test runs
//! two `jirasync serve` processes on one database. The same burst also runs on one shared SQLite
//! file, and in-process through the library.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod e2e_support;

use e2e_support::service::{Deployment, Launch};
use e2e_support::{
    BURST_EXTERNAL_ID, Delivery, import_state, jira_user, post, storefront_state,
    wait_until_drained,
};
use jirasync_webhook::{WebhookSecret, mint_token};
use serde_json::{Value, json};

const ISSUES: i64 = 10;
const UPDATES_PER_ISSUE: u32 = 20;
const WEBHOOK_SECRET: &str = "two-instances-webhook-secret-0123456789";

/// Update `update` of SHOP-`issue` assigns alice or bob, alternating, so every one changes the
/// assignee and, applied once, writes exactly one activity.
fn assignee_of(issue: i64, update: u32) -> i64 {
    if (i64::from(update) + issue) % 2 == 0 {
        2
    } else {
        3
    }
}

fn delivery(issue: i64, update: u32) -> Delivery {
    let (name, email) = match assignee_of(issue, update) {
        2 => ("alice", "alice@example.com"),
        _ => ("bob", "bob@example.com"),
    };
    let changelog = u64::try_from(issue).unwrap() * 1000 + u64::from(update);
    Delivery::assignee(
        &format!("SHOP-{issue}"),
        changelog,
        update,
        Some(jira_user(name, name, Some(email))),
    )
}

async fn run_burst(launch: Launch, deployment: &Deployment) {
    // Alice (2) and Bob (3); local issues 100+k linked to SHOP-k.
    let users = [(2, "alice@example.com"), (3, "bob@example.com")];
    let state = storefront_state(WEBHOOK_SECRET, &users, ISSUES, 100, 200);
    import_state(deployment, &state);

    let instances = [
        launch.serve(deployment, 2).await,
        launch.serve(deployment, 2).await,
    ];
    let token = mint_token(BURST_EXTERNAL_ID, &WebhookSecret::new(WEBHOOK_SECRET));
    let webhook = jirasync_webhook::webhook_url("", &token);
    let client = reqwest::Client::new();
    let mut sent = 0_usize;
    for update in 0..UPDATES_PER_ISSUE {
        for issue in 1..=ISSUES {
            let instance = &instances[sent % 2];
            let answer = post(
                &client,
                instance.url(),
                &webhook,
                delivery(issue, update).bytes(),
            )
            .await;
            assert_eq!(answer.status, 202, "{answer:?}");
            sent += 1;
        }
    }
    let store = deployment.open_store().await;
    wait_until_drained(store.as_ref()).await;
    for instance in instances {
        instance.stop().await;
    }

    let exported: Value = serde_json::from_str(&deployment.jirasync(&["state", "export"])).unwrap();
    let activities = exported["activities"].as_array().unwrap();
    assert_eq!(activities.len(), sent, "one activity per delivery");
    for issue in 1..=ISSUES {
        let local = 100 + issue;
        let applied = activities
            .iter()
            .filter(|activity| activity["local_issue_id"] == json!(local))
            .count();
        assert_eq!(
            applied,
            usize::try_from(UPDATES_PER_ISSUE).unwrap(),
            "issue {local}"
        );
        let newest = assignee_of(issue, UPDATES_PER_ISSUE - 1);
        let record = exported["local_issues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|record| record["id"] == json!(local))
            .unwrap();
        assert_eq!(record["assignee"], json!({"user": newest}), "issue {local}");
    }
}

async fn on_postgres(launch: Launch) {
    e2e_support::on_fresh_postgres(async |deployment| run_burst(launch, deployment).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_on_one_postgres_in_process() {
    on_postgres(Launch::InProcess).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_on_one_postgres_binary() {
    on_postgres(Launch::Binary).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_on_one_sqlite_file_in_process() {
    let dir = tempfile::tempdir().unwrap();
    run_burst(Launch::InProcess, &Deployment::sqlite_in(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_on_one_sqlite_file_binary() {
    let dir = tempfile::tempdir().unwrap();
    run_burst(Launch::Binary, &Deployment::sqlite_in(&dir)).await;
}
