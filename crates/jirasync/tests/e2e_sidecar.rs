//! The sidecar walk-through of `docs/getting-started.md`, through the real binary and with
//! nothing imported: an application subscribes to events and writes its organization, users,
//! team, project and issue through the host API; the operator runs `jirasync connect
//! --organization acme` against the fake Jira; the application turns inbound assignee sync on
//! and links its issue (a key Jira does not have is refused); Jira reassigns the issue. The application's issue changes, the subscriber
//! gets a signed `issue.assignee_changed` naming the application's own ids (checked by hand
//! against the Standard Webhooks specification and with the `standardwebhooks` Python package),
//! and the long-poll feed returns the same events.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod e2e_support;

use e2e_support::fake_jira::{FakeIssue, FakeJira};
use e2e_support::service::{Connect, Deployment, Launch};
use e2e_support::sidecar::{
    Push, Serve, expect, subscribe, verify_by_hand, verify_with_standardwebhooks, wait_for,
};
use e2e_support::{CONSUMER_KEY, Delivery, jira_user, post, private_key, webhook_path};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_feeds_the_api_connects_jira_and_hears_of_a_reassignment() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    let jira = FakeJira::start("9.12.2", CONSUMER_KEY, private_key().public_key()).await;
    jira.set_issue(
        "SHOP-1",
        FakeIssue {
            assignee: None,
            status: "1".into(),
            updated: "2026-06-01T10:00:00.000+0000".into(),
        },
    );
    let serve = Serve::spawn(&deployment, &[]).await;
    let base = serve.url.clone();
    let v1 = |path: &str| format!("{base}/api/v1{path}");

    // The application subscribes first, so it hears of everything below.
    let pushes = subscribe(&base).await;

    // Its data, by its own ids.
    let created = expect(
        Method::PUT,
        v1("/organizations"),
        Some(json!({"items": [{"id": "acme", "name": "Acme"}]})),
        200,
    )
    .await;
    assert_eq!(created, json!({"created": 1, "updated": 0}));
    expect(
        Method::PUT,
        v1("/users"),
        Some(json!({"items": [
            {"id": "alice", "emails": [{"address": "alice@example.com", "verified": true}]},
            {"id": "bob", "emails": [{"address": "bob@example.com", "verified": true}]},
        ]})),
        200,
    )
    .await;
    expect(
        Method::PUT,
        v1("/organizations/acme/members"),
        Some(json!({"items": [{"user": "alice"}, {"user": "bob"}]})),
        200,
    )
    .await;
    expect(
        Method::PUT,
        v1("/organizations/acme/teams"),
        Some(json!({"items": [{"id": "web", "name": "Web",
            "members": [{"user": "alice"}, {"user": "bob"}]}]})),
        200,
    )
    .await;
    expect(
        Method::PUT,
        v1("/organizations/acme/projects"),
        Some(json!({"items": [{"id": "shop", "name": "Shop", "teams": ["web"]}]})),
        200,
    )
    .await;
    expect(
        Method::PUT,
        v1("/organizations/acme/issues"),
        Some(json!({"items": [{"id": "I-1", "project": "shop", "assignee": {"user": "alice"}}]})),
        200,
    )
    .await;

    // The operator connects Jira for the organization, named by the application's id.
    let mut connect = Connect::for_organization_1(&jira, &deployment, &base);
    connect.organization = "acme".to_owned();
    Launch::Binary.connect(&deployment, &connect).await;
    let webhooks = jira.webhooks();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");

    // The application turns inbound assignee sync on and links its issue.
    let integrations = expect(
        Method::GET,
        v1("/organizations/acme/integrations"),
        None,
        200,
    )
    .await;
    let integration = integrations[0]["integration"]
        .as_u64()
        .unwrap_or_else(|| panic!("one integration: {integrations}"));
    expect(
        Method::PATCH,
        v1(&format!(
            "/organizations/acme/integrations/{integration}/config"
        )),
        Some(json!({"sync_reverse_assignment": true})),
        200,
    )
    .await;
    // A key Jira does not have is refused, checked with the organization's credentials.
    let refused = expect(
        Method::PUT,
        v1("/organizations/acme/issues/I-1/jira-links/SHOP-404"),
        None,
        422,
    )
    .await;
    assert_eq!(
        refused["detail"],
        format!(
            "Jira has no issue SHOP-404 (integration {integration}): check the key; nothing was linked"
        )
    );
    expect(
        Method::PUT,
        v1("/organizations/acme/issues/I-1/jira-links/SHOP-1"),
        None,
        201,
    )
    .await;

    // Jira reassigns SHOP-1 to bob.
    let bob = jira_user("bob", "JIRAUSER10200", Some("bob@example.com"));
    let delivery = Delivery::assignee("SHOP-1", 101, 1, Some(bob));
    let client = reqwest::Client::new();
    let answer = post(
        &client,
        &base,
        &webhook_path(&webhooks[0].url),
        delivery.bytes(),
    )
    .await;
    assert!(answer.status == 200 || answer.status == 202, "{answer:?}");

    // The application's issue follows, and the subscriber hears of it by the application's ids.
    let assigned = |pushes: &[Push]| {
        pushes
            .iter()
            .any(|push| push.json()["type"] == "issue.assignee_changed")
    };
    wait_for("the issue.assignee_changed push", async || {
        assigned(&pushes.lock().unwrap())
    })
    .await;
    let issue = expect(Method::GET, v1("/organizations/acme/issues/I-1"), None, 200).await;
    assert_eq!(issue["assignee"], json!({"user": "bob"}), "{issue}");
    // Events of different issues or integrations may be pushed in any order; the feed has
    // them in commit order.
    let mut pushes: Vec<Push> = pushes.lock().unwrap().clone();
    let page = expect(Method::GET, v1("/events?after=0&wait=5"), None, 200).await;
    let fed = page["events"].as_array().unwrap().clone();
    pushes.sort_by_key(|push| {
        fed.iter()
            .position(|event| event["id"] == push.header("webhook-id"))
            .unwrap_or(usize::MAX)
    });
    let types: Vec<Value> = pushes
        .iter()
        .map(|push| push.json()["type"].clone())
        .collect();
    assert_eq!(
        types,
        [
            "integration.installed",
            "issue.linked",
            "issue.assignee_changed"
        ],
        "each event once"
    );
    let change = pushes[2].json();
    assert_eq!(
        change["organization_id"],
        pushes[1].json()["organization_id"]
    );
    let data = &change["data"];
    assert_eq!(data["organization_app_id"], "acme", "{change}");
    assert_eq!(data["issue_app_id"], "I-1", "{change}");
    assert_eq!(data["jira_key"], "SHOP-1", "{change}");
    assert_eq!(data["integration_id"], integration, "{change}");
    assert_eq!(data["source"], "jira", "{change}");
    assert_eq!(data["old"]["kind"], "user", "{change}");
    assert_eq!(data["old"]["app_id"], "alice", "{change}");
    assert_eq!(data["new"]["kind"], "user", "{change}");
    assert_eq!(data["new"]["app_id"], "bob", "{change}");
    let installed = &pushes[0].json()["data"];
    assert_eq!(installed["organization_app_id"], "acme", "{installed}");

    // Signed as the specification says, and as an independent implementation checks.
    verify_by_hand(&pushes);
    verify_with_standardwebhooks(&pushes);

    // The long-poll feed returned the same events.
    let pushed: Vec<Value> = pushes.iter().map(Push::json).collect();
    assert_eq!(fed, pushed);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_removes_the_link_and_the_webhook_and_tells_the_application() {
    use jirasync_domain::app_data::{AppId, OrganizationData};
    use jirasync_domain::events::{EventCursor, EventPayload};

    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    let jira = FakeJira::start("9.12.2", CONSUMER_KEY, private_key().public_key()).await;
    let store = deployment.open_store().await;
    store
        .upsert_organizations(&[OrganizationData {
            id: AppId::new("acme"),
            name: "Acme".into(),
            features: None,
        }])
        .await
        .unwrap();
    let mut connect = Connect::for_organization_1(&jira, &deployment, "https://sync.example.com");
    connect.organization = "acme".to_owned();
    Launch::Binary.connect(&deployment, &connect).await;
    assert_eq!(jira.webhooks().len(), 1);
    let integration = store.integrations().await.unwrap().remove(0);

    let printed = tokio::task::spawn_blocking({
        let deployment = deployment.clone();
        move || deployment.jirasync(&["disconnect", "--organization", "acme"])
    })
    .await
    .unwrap();
    assert!(printed.contains("Deleted webhook "), "{printed}");
    assert!(
        printed.contains(&format!(
            "Disconnected organization acme from {}",
            integration.external_id
        )),
        "{printed}"
    );
    assert!(
        printed.contains("It was the last organization: the integration is removed."),
        "{printed}"
    );
    assert!(jira.webhooks().is_empty(), "the webhook is gone from Jira");
    assert!(store.integrations().await.unwrap().is_empty());
    let events = store.events_after(EventCursor::START, 10).await.unwrap();
    let Some(EventPayload::IntegrationRemoved(removed)) =
        events.last().map(|stored| &stored.event.payload)
    else {
        panic!("integration.removed last: {events:?}")
    };
    assert_eq!(removed.organization_app_id.as_deref(), Some("acme"));
    assert_eq!(removed.integration_id, integration.id.get());

    // Nothing left to disconnect: a clear refusal.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_jirasync"))
        .args(["disconnect", "--organization", "acme"])
        .current_dir(&deployment.workdir)
        .env_clear()
        .env("JIRASYNC_DATABASE_URL", &deployment.database_url)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no Jira integration is installed: connect one first"),
        "{stderr}"
    );
}
