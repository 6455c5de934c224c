//! Creating a Jira issue from an application issue, through the real binary against the fake
//! Jira (which checks every signature and nonce): the application asks
//! `POST …/issues/I-1/jira-issues`, jirasync reads Jira's create screen (`createmeta` of the
//! generation the server's version serves), creates the issue and links it, and the
//! application's subscriber hears `issue.linked`; a required field the request lacks is refused
//! naming it, before any create; Jira down answers 503 and links nothing. The operator's
//! `jirasync create-issue` does the same on the database.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod e2e_support;

use std::sync::{Arc, Mutex};

use e2e_support::fake_jira::{FakeJira, FakeProject};
use e2e_support::service::{Connect, Deployment, Launch};
use e2e_support::sidecar::{Push, Serve, api, expect, subscribe, wait_for};
use e2e_support::{CONSUMER_KEY, private_key};
use reqwest::Method;
use serde_json::{Value, json};

const CREATE_PATH: &str = "/rest/api/2/issue";

/// A running service with the application's data, Jira (of `version`) connected for `acme`,
/// the project SHOP in Jira, and a subscriber to the application's events.
struct World {
    _dir: tempfile::TempDir,
    deployment: Deployment,
    jira: FakeJira,
    _serve: Serve,
    base: String,
    pushes: Arc<Mutex<Vec<Push>>>,
}

impl World {
    async fn new(version: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let deployment = Deployment::sqlite_in(&dir);
        let jira = FakeJira::start(version, CONSUMER_KEY, private_key().public_key()).await;
        jira.add_project(FakeProject {
            key: "SHOP".into(),
            id: "10000".into(),
            name: "Shop".into(),
            required_fields: Vec::new(),
        });
        let serve = Serve::spawn(&deployment, &[]).await;
        let base = serve.url.clone();
        let v1 = |path: &str| format!("{base}/api/v1{path}");
        let pushes = subscribe(&base).await;
        for (path, body) in [
            (
                "/organizations",
                json!({"items": [{"id": "acme", "name": "Acme"}]}),
            ),
            (
                "/organizations/acme/projects",
                json!({"items": [{"id": "shop", "name": "Shop"}]}),
            ),
            (
                "/organizations/acme/issues",
                json!({"items": [{"id": "I-1", "project": "shop"}]}),
            ),
        ] {
            expect(Method::PUT, v1(path), Some(body), 200).await;
        }
        let mut connect = Connect::for_organization_1(&jira, &deployment, &base);
        connect.organization = "acme".to_owned();
        Launch::Binary.connect(&deployment, &connect).await;
        Self {
            _dir: dir,
            deployment,
            jira,
            _serve: serve,
            base,
            pushes,
        }
    }

    fn v1(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    async fn create(&self, body: Value) -> (u16, Value) {
        api(
            Method::POST,
            self.v1("/organizations/acme/issues/I-1/jira-issues"),
            Some(body),
        )
        .await
    }

    async fn links(&self) -> Value {
        expect(
            Method::GET,
            self.v1("/organizations/acme/issues/I-1"),
            None,
            200,
        )
        .await["jira_links"]
            .clone()
    }

    fn creates(&self) -> usize {
        self.jira.calls("POST", CREATE_PATH).len()
    }
}

/// Creates through the `createmeta` resource at `meta_path` (the generation of `version`).
async fn creates_links_and_tells_the_subscriber(version: &str, meta_path: &str) {
    let world = World::new(version).await;
    let (status, answer) = world
        .create(json!({
            "project": "SHOP",
            "issue_type": "Bug",
            "summary": "Checkout fails on Safari",
            "description": "Steps: add to cart, pay.",
        }))
        .await;
    assert_eq!(status, 201, "{answer}");
    let key = answer["key"].as_str().unwrap().to_owned();
    assert_eq!(key, "SHOP-1", "{answer}");
    assert_eq!(answer["linked"], json!(true), "{answer}");
    let created = world.jira.issue(&key).expect("the issue in Jira");
    assert_eq!(answer["id"], json!(created.id), "{answer}");
    assert_eq!(created.summary, "Checkout fails on Safari");
    assert_eq!(
        created.description.as_deref(),
        Some("Steps: add to cart, pay.")
    );
    assert_eq!(created.issue_type_id, "10004");
    assert_eq!(world.creates(), 1);
    assert_eq!(world.jira.calls("GET", meta_path).len(), 1, "{meta_path}");
    let links = world.links().await;
    assert_eq!(links[0]["key"], json!(key), "{links}");

    wait_for("issue.linked pushed", async || {
        world
            .pushes
            .lock()
            .unwrap()
            .iter()
            .any(|push| push.json()["type"] == "issue.linked")
    })
    .await;
    let linked = world
        .pushes
        .lock()
        .unwrap()
        .iter()
        .map(Push::json)
        .find(|event| event["type"] == "issue.linked")
        .unwrap();
    assert_eq!(linked["data"]["jira_key"], json!(key), "{linked}");
    assert_eq!(linked["data"]["issue_app_id"], "I-1", "{linked}");
    assert_eq!(linked["data"]["organization_app_id"], "acme", "{linked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_the_jira_issue_links_it_and_the_subscriber_hears_issue_linked() {
    creates_links_and_tells_the_subscriber(
        "9.12.2",
        "/rest/api/2/issue/createmeta/SHOP/issuetypes",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_through_the_legacy_createmeta_of_jira_8_3() {
    creates_links_and_tells_the_subscriber("8.3.4", "/rest/api/2/issue/createmeta").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_required_field_is_refused_naming_it_and_nothing_is_created() {
    let world = World::new("9.12.2").await;
    world
        .jira
        .require_create_field("SHOP", "customfield_10200", "Severity");
    let bug = json!({"project": "SHOP", "issue_type": "Bug", "summary": "Checkout fails"});
    let (status, answer) = world.create(bug).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        answer["detail"],
        "creating a Bug in SHOP requires customfield_10200 (Severity): give them in \"fields\" \
         by id; nothing was created"
    );
    assert_eq!(world.creates(), 0);
    assert_eq!(world.links().await, json!([]));

    let (status, answer) = world
        .create(
            json!({"project": "SHOP", "issue_type": "Bug", "summary": "Checkout fails",
            "fields": {"customfield_10200": "High"}}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(world.links().await[0]["key"], answer["key"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_down_answers_503_and_nothing_is_linked() {
    let world = World::new("9.12.2").await;
    world.jira.set_down(true);
    let (status, answer) = world
        .create(json!({"project": "SHOP", "issue_type": "Bug", "summary": "Checkout fails"}))
        .await;
    assert_eq!(status, 503, "{answer}");
    let detail = answer["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "cannot read what creating a Bug in SHOP takes: Jira could not be reached"
        ) && detail.ends_with("nothing was created"),
        "{detail}"
    );
    world.jira.set_down(false);
    assert_eq!(world.links().await, json!([]));
    assert!(world.jira.issue("SHOP-1").is_none());
    assert!(
        !world
            .pushes
            .lock()
            .unwrap()
            .iter()
            .any(|push| push.json()["type"] == "issue.linked")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jiras_refusal_of_a_field_is_422_with_jiras_errors() {
    let world = World::new("9.12.2").await;
    let (status, answer) = world
        .create(
            json!({"project": "SHOP", "issue_type": "Task", "summary": "Checkout fails",
            "fields": {"assignee": {"name": "nobody"}}}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    let detail = answer["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Jira did not create the issue: Jira refused the request (HTTP 400)")
            && detail.contains("assignee: User 'nobody' cannot be assigned issues."),
        "{detail}"
    );
    assert_eq!(world.links().await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_creates_and_links_too() {
    let world = World::new("9.12.2").await;
    world
        .jira
        .require_create_field("SHOP", "customfield_10200", "Severity");
    let deployment = world.deployment.clone();
    let printed = tokio::task::spawn_blocking(move || {
        deployment.jirasync(&[
            "create-issue",
            "I-1",
            "--organization",
            "acme",
            "--project",
            "SHOP",
            "--issue-type",
            "Task",
            "--summary",
            "Checkout fails",
            "--field",
            r#"customfield_10200={"value":"High"}"#,
        ])
    })
    .await
    .unwrap();
    assert!(
        printed.starts_with("created SHOP-1 (id ")
            && printed.contains("and linked it to issue I-1 of organization acme"),
        "{printed}"
    );
    assert_eq!(world.links().await[0]["key"], "SHOP-1");
    let request = world.jira.calls("POST", CREATE_PATH)[0].json();
    assert_eq!(
        request["fields"]["customfield_10200"],
        json!({"value": "High"})
    );
    assert_eq!(request["fields"]["issuetype"], json!({"id": "10002"}));
}
