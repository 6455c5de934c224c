//! End to end through the binary: Jira changes issues and drops the webhooks; `jirasync serve`
//! with a short reconcile interval brings the application to Jira's state, never undoes a newer
//! webhook, and writes nothing when there is nothing new. `jirasync reconcile` runs one on demand;
//! a bad `--since` or reconcile setting is refused before anything is written.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a panic is a failed test"
)]

mod e2e_support;

use std::process::Command;
use std::time::Duration;

use e2e_support::fake_jira::{FakeIssue, FakeJira, FakeUser};
use e2e_support::service::{Deployment, serve_binary_with};
use e2e_support::{
    BURST_EXTERNAL_ID, CONSUMER_KEY, Delivery, import_state, jira_user, post, private_key,
    storefront_state, wait_until_drained,
};
use jirasync_domain::ids::{LocalIssueId, UserId};
use jirasync_domain::issue::{Assignee, LocalIssue, ResolutionStatus};
use jirasync_webhook::{WebhookSecret, mint_token};
use serde_json::{Value, json};

const WEBHOOK_SECRET: &str = "reconcile-e2e-webhook-secret";
const ALICE: i64 = 2;
const BOB: i64 = 3;

fn alice() -> FakeUser {
    FakeUser::new("alice", "JIRAUSER10200", Some("alice@example.com"))
}

fn jira_time(minute: u32) -> String {
    format!("2026-06-01T10:{minute:02}:00.000+0000")
}

/// Jira's SHOP-`n` as the application has it after the import: unassigned, open.
fn open_issue() -> FakeIssue {
    FakeIssue {
        assignee: None,
        status: "1".to_owned(),
        updated: jira_time(0),
    }
}

/// Alice and Bob; local issues 101-103 linked to SHOP-1..3 through the fake Jira, assignee and
/// status sync on; the fake trusts the imported credentials and has SHOP-1..3 as imported.
fn import_scene(deployment: &Deployment, jira: &FakeJira) {
    let mut state = storefront_state(
        WEBHOOK_SECRET,
        &[(ALICE, "alice@example.com"), (BOB, "bob@example.com")],
        3,
        100,
        200,
    );
    let address = jira.base_url().trim_start_matches("http://").to_owned();
    state["integrations"][0]["base_url"] = json!(jira.base_url());
    state["integrations"][0]["domain_name"] = json!(address);
    state["organization_integrations"][0]["config"]["sync_status_reverse"] = json!(true);
    import_state(deployment, &state);
    jira.trust_access_token("access-token", "access-token-secret");
    for n in 1..=3 {
        jira.set_issue(&format!("SHOP-{n}"), open_issue());
    }
}

async fn local_issue(deployment: &Deployment, id: u64) -> LocalIssue {
    let store = deployment.open_store().await;
    store
        .local_issue(LocalIssueId::new(id))
        .await
        .unwrap()
        .unwrap()
}

/// Polls until `done` holds: at most 600 times, 50 ms apart.
async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..600 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}");
}

/// Waits until the fake Jira answered `more` searches after the ones answered now: that many
/// reconcile passes (one search each here) ran completely.
async fn wait_for_passes(jira: &FakeJira, more: usize) {
    let target = jira.searches() + more;
    wait_for("reconcile passes", async || jira.searches() >= target).await;
}

fn export(deployment: &Deployment) -> Value {
    serde_json::from_str(&deployment.jirasync(&["state", "export"])).unwrap()
}

/// `jirasync ARGS` expected to fail: (exit code, stdout, stderr).
fn jirasync_failing(deployment: &Deployment, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_jirasync"))
        .args(args)
        .current_dir(&deployment.workdir)
        .env_clear()
        .env("JIRASYNC_DATABASE_URL", &deployment.database_url)
        .output()
        .unwrap();
    assert!(!output.status.success(), "jirasync {args:?} succeeded");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn fake_jira() -> FakeJira {
    let jira = FakeJira::start("9.12.2", CONSUMER_KEY, private_key().public_key()).await;
    jira.add_user(alice());
    jira
}

async fn serve_converges_on_jiras_state(deployment: &Deployment) {
    let jira = fake_jira().await;
    import_scene(deployment, &jira);
    let service = serve_binary_with(
        deployment,
        1,
        &["--reconcile-interval", "200ms", "--reconcile-rate", "100"],
    )
    .await;
    wait_for_passes(&jira, 1).await;

    // Jira changes two issues and sends no webhook.
    jira.set_issue(
        "SHOP-1",
        FakeIssue {
            assignee: Some(alice()),
            status: "1".to_owned(),
            updated: jira_time(5),
        },
    );
    jira.set_issue(
        "SHOP-2",
        FakeIssue {
            assignee: None,
            status: "10102".to_owned(),
            updated: jira_time(6),
        },
    );
    wait_for("the dropped changes to be applied", async || {
        local_issue(deployment, 101).await.assignee == Some(Assignee::User(UserId::new(2)))
            && local_issue(deployment, 102).await.status == ResolutionStatus::Resolved
    })
    .await;

    // A webhook assigns Bob at 10:08; then a reconcile reads a Jira answer older than it (Alice
    // at 10:07, as if read just before Bob's change): the reconciles after it leave Bob.
    let token = mint_token(BURST_EXTERNAL_ID, &WebhookSecret::new(WEBHOOK_SECRET));
    let webhook = jirasync_webhook::webhook_url("", &token);
    let bob = jira_user("bob", "JIRAUSER10300", Some("bob@example.com"));
    let client = reqwest::Client::new();
    let answer = post(
        &client,
        service.url(),
        &webhook,
        Delivery::assignee("SHOP-3", 301, 8, Some(bob)).bytes(),
    )
    .await;
    assert_eq!(answer.status, 202, "{answer:?}");
    wait_until_drained(deployment.open_store().await.as_ref()).await;
    jira.set_issue(
        "SHOP-3",
        FakeIssue {
            assignee: Some(alice()),
            status: "1".to_owned(),
            updated: jira_time(7),
        },
    );
    wait_for_passes(&jira, 2).await;
    assert_eq!(
        local_issue(deployment, 103).await.assignee,
        Some(Assignee::User(UserId::new(3))),
        "a reconcile undid a newer webhook"
    );

    // Nothing new in Jira: passes write nothing.
    let before = export(deployment);
    wait_for_passes(&jira, 2).await;
    assert_eq!(export(deployment), before, "a reconcile without news wrote");

    // The operator sees what the webhooks missed.
    let metrics = client
        .get(format!("{}/metrics", service.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("jirasync_reconcile_missed_changes_total{kind=\"assignee\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("jirasync_reconcile_missed_changes_total{kind=\"status\"} 1\n"),
        "{metrics}"
    );
    service.stop().await;

    // Exactly the two dropped changes and the webhook made activities.
    let exported = export(deployment);
    let activities = exported["activities"].as_array().unwrap();
    assert_eq!(activities.len(), 3, "{activities:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reconciles_dropped_webhooks_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    serve_converges_on_jiras_state(&Deployment::sqlite_in(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reconciles_dropped_webhooks_on_postgres() {
    e2e_support::on_fresh_postgres(async |deployment| {
        serve_converges_on_jiras_state(deployment).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_command_prints_what_it_found() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    let jira = fake_jira().await;
    import_scene(&deployment, &jira);
    jira.set_issue(
        "SHOP-2",
        FakeIssue {
            assignee: Some(alice()),
            status: "10102".to_owned(),
            updated: jira_time(9),
        },
    );

    // The binary calls the fake Jira, which answers on this runtime.
    let run = |args: &'static [&'static str]| {
        let deployment = deployment.clone();
        tokio::task::spawn_blocking(move || deployment.jirasync(args))
    };
    let printed = run(&["reconcile", "--integration", BURST_EXTERNAL_ID])
        .await
        .unwrap();
    assert!(
        printed.contains("integration 13: 3 linked issues, 3 updated in Jira since ever, 2 changes no webhook had delivered (1 assignee, 1 status)"),
        "{printed}"
    );
    assert!(
        printed.contains("reconciled up to 2026-06-01T10:09:00Z"),
        "{printed}"
    );
    let issue = local_issue(&deployment, 102).await;
    assert_eq!(issue.assignee, Some(Assignee::User(UserId::new(2))));
    assert_eq!(issue.status, ResolutionStatus::Resolved);

    // Again, by numeric id and since a time: found as applied, nothing written.
    let before = export(&deployment);
    let printed = run(&[
        "reconcile",
        "--integration",
        "13",
        "--since",
        "2026-06-01T10:00:00+00:00",
    ])
    .await
    .unwrap();
    assert!(
        printed.contains("0 changes no webhook had delivered"),
        "{printed}"
    );
    assert!(printed.contains("since 2026-06-01T10:00:00Z"), "{printed}");
    assert_eq!(export(&deployment), before);
}

#[tokio::test]
async fn bad_since_and_bad_reconcile_settings_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    let jira = fake_jira().await;
    import_scene(&deployment, &jira);
    jira.set_issue(
        "SHOP-1",
        FakeIssue {
            assignee: Some(alice()),
            status: "1".to_owned(),
            updated: jira_time(5),
        },
    );
    let before = export(&deployment);

    let (code, _, stderr) = jirasync_failing(&deployment, &["reconcile", "--since", "yesterday"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'yesterday' for '--since <RFC3339>'"),
        "{stderr}"
    );
    assert!(stderr.contains("expected an RFC 3339 time"), "{stderr}");

    let (code, _, stderr) = jirasync_failing(
        &deployment,
        &["--reconcile-interval", "5 minutes", "reconcile"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "invalid flag --reconcile-interval \"5 minutes\": expected a duration such as 30s"
        ),
        "{stderr}"
    );

    let (code, _, stderr) = jirasync_failing(&deployment, &["--reconcile-rate", "0", "reconcile"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid flag --reconcile-rate \"0\": expected a number of requests per second above zero"),
        "{stderr}"
    );

    let (code, _, stderr) = jirasync_failing(
        &deployment,
        &["reconcile", "--integration", "jira.example.com:nope"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("no Jira integration has the external id \"jira.example.com:nope\""),
        "{stderr}"
    );

    assert_eq!(export(&deployment), before);
    assert_eq!(
        local_issue(&deployment, 101).await.assignee,
        None,
        "a refused reconcile applied something"
    );
    assert_eq!(jira.searches(), 0);
}
