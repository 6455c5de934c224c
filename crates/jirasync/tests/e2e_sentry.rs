//! Migrating from Sentry's Jira Server integration, end to end through the binary: a Jira wired
//! to Sentry posts URL tokens signed with the SHA-1 of the private key's PEM text (reference
//! §1.6). With `--accept-sentry-tokens` (on `connect` or on `state import`) the receiver accepts
//! them and applies the delivery; without it, it refuses them.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod e2e_support;

use e2e_support::fake_jira::FakeJira;
use e2e_support::service::{Connect, Deployment, Launch};
use e2e_support::{
    Answer, BURST_EXTERNAL_ID, CONSUMER_KEY, Delivery, PRIVATE_KEY_PEM, import_state, jira_user,
    post, private_key, storefront_state, wait_until_drained,
};
use jirasync_webhook::{WebhookSecret, mint_token, webhook_url};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

/// The secret Sentry signs its webhook tokens with, computed here on its own: the lower-case hex
/// SHA-1 of the private key's PEM text, as UTF-8.
fn sentry_secret(pem: &str) -> String {
    hex::encode(Sha1::digest(pem.as_bytes()))
}

/// The webhook path Sentry registered in Jira for `external_id`, with its token.
fn sentry_webhook_path(external_id: &str, pem: &str) -> String {
    let token = mint_token(external_id, &WebhookSecret::new(sentry_secret(pem)));
    webhook_url("", &token)
}

/// The organization with one user and no integration: what is imported before `connect`.
fn organization_only() -> Value {
    json!({
        "format_version": 1,
        "organizations": [{"id": 1, "name": "acme", "features": {"issue_sync": true, "external_actors": true}}],
        "users": [{"id": 2, "active": true, "emails": [{"address": "alice@example.com", "verified": true}]}],
        "organization_members": [{"organization_id": 1, "user_id": 2}],
        "teams": [], "team_members": [], "projects": [], "team_projects": [], "local_issues": [],
        "integrations": [], "identities": [], "organization_integrations": [],
        "external_issues": [], "external_actors": [], "activities": [],
    })
}

/// Connects the fake Jira with the binary (with or without the option), serves, and posts a
/// delivery signed the way Sentry signs: returns the answer.
async fn connect_and_post_sentry_token(accept: bool) -> Answer {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    import_state(&deployment, &organization_only());
    let jira = FakeJira::start("9.12.2", CONSUMER_KEY, private_key().public_key()).await;
    let mut connect = Connect::for_organization_1(&jira, &deployment, "https://sync.example.com");
    connect.accept_sentry_tokens = accept;
    Launch::Binary.connect(&deployment, &connect).await;
    let exported: Value = serde_json::from_str(&deployment.jirasync(&["state", "export"])).unwrap();
    let secrets = exported["integrations"][0]["webhook_secrets"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        secrets,
        if accept { 4 } else { 1 },
        "jirasync's own, then Sentry's"
    );
    let address = jira.base_url().trim_start_matches("http://");
    let external_id = format!("{address}:{CONSUMER_KEY}");

    let service = Launch::Binary.serve(&deployment, 1).await;
    // Sentry hashed the key as its installation form kept it: without surrounding white space.
    let file = std::fs::read_to_string(&connect.private_key_file).unwrap();
    let pem = file.trim();
    let delivery = Delivery::assignee("APP-1", 401, 1, None);
    let answer = post(
        &reqwest::Client::new(),
        service.url(),
        &sentry_webhook_path(&external_id, pem),
        delivery.bytes(),
    )
    .await;
    wait_until_drained(deployment.open_store().await.as_ref()).await;
    service.stop().await;
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_accept_sentry_tokens_accepts_sentrys_tokens() {
    let answer = connect_and_post_sentry_token(true).await;
    assert_eq!(answer.status, 202, "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_without_the_option_refuses_sentrys_tokens() {
    let answer = connect_and_post_sentry_token(false).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(
        answer.detail().starts_with("Could not validate JWT"),
        "{answer:?}"
    );
}

/// Imports a deployment whose integration has only its own random secret (optionally with
/// `state import --accept-sentry-tokens`), then posts Sentry's token assigning SHOP-1 to Alice.
/// Returns (status answered, SHOP-1's local issue as exported afterwards).
async fn import_and_post_sentry_token(accept: bool) -> (u16, Value) {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    let state = storefront_state(
        "a-random-secret-of-jirasyncs-own",
        &[(2, "alice@example.com")],
        1,
        100,
        200,
    );
    let path = deployment.workdir.join("state.json");
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    let path = path.to_string_lossy().into_owned();
    let printed = if accept {
        deployment.jirasync(&["state", "import", "--accept-sentry-tokens", &path])
    } else {
        deployment.jirasync(&["state", "import", &path])
    };
    if accept {
        assert!(
            printed.contains("accepting Sentry's webhook tokens: 3 webhook secrets derived"),
            "{printed}"
        );
    }

    let service = Launch::Binary.serve(&deployment, 1).await;
    let alice = jira_user("alice", "JIRAUSER10200", Some("alice@example.com"));
    // Here Sentry was given the key exactly as the file holds it (its final newline included).
    let answer = post(
        &reqwest::Client::new(),
        service.url(),
        &sentry_webhook_path(BURST_EXTERNAL_ID, PRIVATE_KEY_PEM),
        Delivery::assignee("SHOP-1", 501, 3, Some(alice)).bytes(),
    )
    .await;
    wait_until_drained(deployment.open_store().await.as_ref()).await;
    service.stop().await;
    let exported: Value = serde_json::from_str(&deployment.jirasync(&["state", "export"])).unwrap();
    let issue = exported["local_issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|issue| issue["id"] == json!(101))
        .unwrap()
        .clone();
    (answer.status, issue)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_import_with_accept_sentry_tokens_applies_sentrys_deliveries() {
    let (status, issue) = import_and_post_sentry_token(true).await;
    assert_eq!(status, 202);
    assert_eq!(issue["assignee"], json!({"user": 2}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_import_without_the_option_refuses_sentrys_tokens() {
    let (status, issue) = import_and_post_sentry_token(false).await;
    assert_eq!(status, 400);
    assert_eq!(issue["assignee"], Value::Null);
}
