//! End to end against a fake Jira: an operator imports the organization's people and projects,
//! connects Jira (twice), links Jira issues and turns the sync on, then Jira posts deliveries to
//! the served webhook URL; `jirasync state export` shows exactly what they changed.
//!
//! The operator's order: `state import` replaces the whole state, and the integration only
//! exists once `connect` ran, so they import the organization first, `connect --organization 1`,
//! then `state export`, add the issue links, external actors and sync flags to the file, and
//! `state import` it back (the export keeps the integration, its credentials and webhook secret).
//!
//! The `*_in_process` tests run the service and `connect` through the library (what an embedder
//! does); the `*_binary` tests run the same scenario through `jirasync serve` and
//! `jirasync connect`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod e2e_support;

use e2e_support::fake_jira::{FakeJira, FakeUser};
use e2e_support::service::{Connect, Deployment, Launch};
use e2e_support::{
    CONSUMER_KEY, Delivery, jira_user, post, private_key, wait_until_drained, webhook_path,
};
use serde_json::{Value, json};

/// The organization, its people, team, project and local issues: what an operator imports first.
fn organization_state() -> Value {
    let user = |id: i64, email: &str| json!({"id": id, "active": true, "emails": [{"address": email, "verified": true}]});
    let issue = |id: i64| json!({"id": id, "organization_id": 1, "project_id": 7, "status": "unresolved", "assignee": null});
    let members: Vec<Value> = (2..=5)
        .map(|id| json!({"organization_id": 1, "user_id": id}))
        .collect();
    let team_members: Vec<Value> = (2..=5)
        .map(|id| json!({"team_id": 6, "user_id": id, "active": true}))
        .collect();
    json!({
        "format_version": 1,
        "organizations": [{"id": 1, "name": "acme", "features": {"issue_sync": true, "external_actors": true}}],
        "users": [
            user(2, "alice@example.com"),
            user(3, "bob@example.com"),
            user(4, "carol@example.com"),
            user(5, "dave@example.com"),
        ],
        "organization_members": members,
        "teams": [{"id": 6, "organization_id": 1, "name": "web"}],
        "team_members": team_members,
        "projects": [{"id": 7, "organization_id": 1, "name": "storefront"}],
        "team_projects": [{"team_id": 6, "project_id": 7}],
        "local_issues": [issue(8), issue(9), issue(10), issue(11)],
        "integrations": [],
        "identities": [],
        "organization_integrations": [],
        "external_issues": [],
        "external_actors": [],
        "activities": [],
    })
}

/// The exported state with the Jira issues SHOP-1..4 linked to local issues 8..11, the Jira user
/// `hidden.hank` (key JIRAUSER10200) mapped to carol (4), and inbound assignee and status sync on.
fn with_links_and_sync(mut state: Value) -> Value {
    let integration = state["integrations"][0]["id"].clone();
    assert!(
        integration.is_i64(),
        "one integration after connect: {state}"
    );
    let links = state["organization_integrations"].as_array_mut().unwrap();
    assert_eq!(links.len(), 1, "one organization link after connect");
    links[0]["config"]["sync_reverse_assignment"] = json!(true);
    links[0]["config"]["sync_status_reverse"] = json!(true);
    state["external_issues"] = (1..=4)
        .map(|n: i64| {
            json!({
                "id": 100 + n, "organization_id": 1, "integration_id": integration,
                "key": format!("SHOP-{n}"), "assignee_updated_at": null, "status_updated_at": null,
                "local_issues": [7 + n],
            })
        })
        .collect();
    state["external_actors"] = json!([{
        "id": 110, "organization_id": 1, "integration_id": integration, "provider": "jira_server",
        "external_name": "hidden.hank", "external_id": "JIRAUSER10200", "target": {"user": 4},
    }]);
    state
}

fn write_json(deployment: &Deployment, name: &str, value: &Value) -> String {
    let path = deployment.workdir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn export(deployment: &Deployment) -> Value {
    serde_json::from_str(&deployment.jirasync(&["state", "export"])).unwrap()
}

/// The whole scenario on `deployment`'s database, with the service and `connect` run by `launch`.
async fn run_scenario(launch: Launch, deployment: &Deployment) {
    let jira = FakeJira::start("9.12.2", CONSUMER_KEY, private_key().public_key()).await;
    // Jira knows ghost, but hides their e-mail address from the API too.
    jira.add_user(FakeUser::new("ghost", "JIRAUSER10400", None));
    jira.add_user(FakeUser::new(
        "dave",
        "JIRAUSER10300",
        Some("dave@example.com"),
    ));

    let organization = write_json(deployment, "organization.json", &organization_state());
    deployment.jirasync(&["state", "import", &organization]);

    let service = launch.serve(deployment, 2).await;
    let connect = Connect::for_organization_1(&jira, deployment, service.url());
    for _ in 0..2 {
        launch.connect(deployment, &connect).await;
    }
    let webhooks = jira.webhooks();
    assert_eq!(webhooks.len(), 1, "registered once: {webhooks:?}");
    let webhook = &webhooks[0];
    assert_eq!(webhook.events, ["jira:issue_created", "jira:issue_updated"]);
    let prefix = format!("{}/extensions/jira-server/issue-updated/", service.url());
    assert!(
        webhook.url.starts_with(&prefix) && webhook.url.ends_with('/'),
        "{}",
        webhook.url
    );
    assert_eq!(
        jira.request_token_callbacks(),
        vec![Some("oob".to_owned()); 2]
    );

    let linked = write_json(
        deployment,
        "linked.json",
        &with_links_and_sync(export(deployment)),
    );
    deployment.jirasync(&["state", "import", &linked]);

    let path = webhook_path(&webhook.url);
    let client = reqwest::Client::new();
    let store = deployment.open_store().await;
    let alice = || {
        Some(jira_user(
            "alice",
            "JIRAUSER10100",
            Some("alice@example.com"),
        ))
    };
    let bob = Some(jira_user("bob", "bob", Some("bob@example.com")));
    // Hidden e-mail: resolved through the external actor (by user key) …
    let hank = Some(jira_user("hidden.hank", "JIRAUSER10200", None));
    // … and through the fake's user API (by user name).
    let dave = Some(jira_user("dave", "JIRAUSER10300", None));
    // … or neither: nothing changes.
    let ghost = Some(jira_user("ghost", "JIRAUSER10400", None));
    let duplicate = Delivery::status("SHOP-3", 302, 2, "1", "10102");

    // Each phase drains before the next, so the order of application is the order below.
    let phases = [
        vec![
            Delivery::assignee("SHOP-1", 101, 1, alice()),
            Delivery::assignee("SHOP-2", 201, 1, alice()),
            Delivery::assignee("SHOP-3", 301, 1, hank),
            Delivery::assignee("SHOP-4", 400, 0, ghost),
            Delivery::assignee("SHOP-4", 401, 1, dave),
            duplicate.clone(),
            duplicate,
        ],
        vec![
            Delivery::assignee("SHOP-1", 102, 2, bob),
            Delivery::assignee("SHOP-2", 202, 2, None),
            Delivery::status("SHOP-1", 103, 3, "3", "10102"),
        ],
        vec![
            Delivery::status("SHOP-1", 104, 4, "10102", "3"),
            // The newer half of an out-of-order pair arrives first …
            Delivery::status("SHOP-2", 204, 10, "3", "10102"),
        ],
        // … and the older half after it changes nothing.
        vec![Delivery::status("SHOP-2", 203, 9, "10102", "3")],
    ];
    for phase in phases {
        for delivery in phase {
            let answer = post(&client, service.url(), &path, delivery.bytes()).await;
            assert!(
                answer.status == 202 || answer.status == 200,
                "delivery answered {answer:?}"
            );
        }
        wait_until_drained(store.as_ref()).await;
    }

    let before_refusals = export(deployment);
    let bad_token = format!("{}x/", path.trim_end_matches('/'));
    let answer = post(
        &client,
        service.url(),
        &bad_token,
        Delivery::assignee("SHOP-1", 105, 5, alice()).bytes(),
    )
    .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(
        answer.detail().starts_with("Could not validate JWT"),
        "{answer:?}"
    );
    let malformed = br#"{"webhookEvent":"jira:issue_updated","issue":{"key":"SHOP-1","fields":{}},"changelog":{"id":"106","items":"not a list"}}"#;
    let answer = post(&client, service.url(), &path, malformed.to_vec()).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.detail().contains("changelog.items"), "{answer:?}");
    wait_until_drained(store.as_ref()).await;
    service.stop().await;

    let state = export(deployment);
    assert_eq!(
        state, before_refusals,
        "the refused deliveries changed nothing"
    );
    let issues: Vec<(i64, String, Value)> = state["local_issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| {
            let status = issue["status"].as_str().unwrap().to_owned();
            (
                issue["id"].as_i64().unwrap(),
                status,
                issue["assignee"].clone(),
            )
        })
        .collect();
    let user = |id: i64| json!({"user": id});
    assert_eq!(
        issues,
        [
            (8, "unresolved".to_owned(), user(3)),
            (9, "resolved".to_owned(), Value::Null),
            (10, "resolved".to_owned(), user(4)),
            (11, "unresolved".to_owned(), user(5)),
        ]
    );
    let mut activities: Vec<(i64, i64, String, Value)> = state["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|activity| {
            (
                activity["local_issue_id"].as_i64().unwrap(),
                activity["id"].as_i64().unwrap(),
                activity["kind"].as_str().unwrap().to_owned(),
                activity["assignee"].clone(),
            )
        })
        .collect();
    activities.sort_by_key(|(issue, id, _, _)| (*issue, *id));
    let activities: Vec<(i64, String, Value)> = activities
        .into_iter()
        .map(|(issue, _, kind, assignee)| (issue, kind, assignee))
        .collect();
    let entry = |issue: i64, kind: &str, assignee: Value| (issue, kind.to_owned(), assignee);
    assert_eq!(
        activities,
        [
            entry(8, "assigned", user(2)),
            entry(8, "assigned", user(3)),
            entry(8, "set_resolved", Value::Null),
            entry(8, "set_unresolved", Value::Null),
            entry(9, "assigned", user(2)),
            entry(9, "unassigned", Value::Null),
            entry(9, "set_resolved", Value::Null),
            entry(10, "assigned", user(4)),
            // The duplicate delivery is applied once.
            entry(10, "set_resolved", Value::Null),
            entry(11, "assigned", user(5)),
        ]
    );

    let requests = jira.requests();
    for name in ["dave", "ghost"] {
        assert!(
            requests
                .iter()
                .any(|request| request.path == "/rest/api/2/user"
                    && request
                        .query
                        .as_deref()
                        .is_some_and(|query| query.contains(name))),
            "the user API was asked about {name}: {requests:?}"
        );
    }
    let refused: Vec<_> = jira
        .requests()
        .into_iter()
        .filter(|request| request.oauth_problem.is_some())
        .collect();
    assert!(
        refused.is_empty(),
        "the fake refused signed requests: {refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_on_sqlite_in_process() {
    let dir = tempfile::tempdir().unwrap();
    run_scenario(Launch::InProcess, &Deployment::sqlite_in(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_on_sqlite_binary() {
    let dir = tempfile::tempdir().unwrap();
    run_scenario(Launch::Binary, &Deployment::sqlite_in(&dir)).await;
}

async fn on_postgres(launch: Launch) {
    e2e_support::on_fresh_postgres(async |deployment| run_scenario(launch, deployment).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_on_postgres_in_process() {
    on_postgres(Launch::InProcess).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_on_postgres_binary() {
    on_postgres(Launch::Binary).await;
}
