//! `POST /api/v1/organizations/{org}/issues/{issue}/jira-issues`: creates the Jira issue with
//! the organization's credentials and links it (201 with the key); every refusal (a malformed
//! body 400, an unknown organization or issue 404, a member breaking a rule, missing required
//! fields, an unknown project or issue type 422, Jira down 503, Jira's permission refusal 403)
//! links nothing and changes nothing stored.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[allow(dead_code)]
mod api_support;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use jirasync_axum::{AdminToken, ApiState, api_router};
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::outbound::FakeJiraWriter;
use serde_json::{Value, json};

use api_support::{ApiWorld, TOKEN};

const CREATE: &str = "/api/v1/organizations/acme/issues/I-1/jira-issues";

/// The scene with `acme` linked to one integration, and the API creating through `jira`.
async fn world_with(jira: &Arc<FakeJiraWriter>) -> (ApiWorld, IntegrationId) {
    let scene = ApiWorld::with_scene().await;
    let (_, integration) = scene.with_integration().await;
    let state = ApiState::new(
        scene.store.clone(),
        scene.store.clone(),
        scene.store.clone(),
        AdminToken::new(TOKEN).unwrap(),
    )
    .with_jira_check(jira.clone());
    let world = ApiWorld {
        store: scene.store.clone(),
        app: api_router(state),
    };
    (world, integration)
}

fn shop(required: &[(&str, &str)]) -> Arc<FakeJiraWriter> {
    Arc::new(FakeJiraWriter::new().with_project("SHOP", required))
}

async fn links(world: &ApiWorld) -> Value {
    world
        .send(Method::GET, "/api/v1/organizations/acme/issues/I-1", None)
        .await
        .body["jira_links"]
        .clone()
}

#[tokio::test]
async fn creates_the_jira_issue_and_links_it() {
    let jira = shop(&[("customfield_10200", "Severity")]);
    let (world, integration) = world_with(&jira).await;
    let answer = world
        .send(
            Method::POST,
            CREATE,
            Some(json!({
                "project": "SHOP",
                "issue_type": "bug",
                "summary": "Checkout fails",
                "description": "Steps: pay.",
                "fields": {"customfield_10200": {"value": "High"}},
            })),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert_eq!(
        answer.body,
        json!({"key": "SHOP-1", "id": "30001", "linked": true})
    );
    assert_eq!(
        links(&world).await,
        json!([{"integration": integration.get(), "key": "SHOP-1"}])
    );
    assert_eq!(
        Value::Object(jira.create_requests()[0].clone()),
        json!({
            "project": {"key": "SHOP"},
            "issuetype": {"id": "10004"},
            "summary": "Checkout fails",
            "description": "Steps: pay.",
            "customfield_10200": {"value": "High"},
        })
    );
}

#[tokio::test]
async fn names_the_integration_when_given() {
    let jira = shop(&[]);
    let (world, integration) = world_with(&jira).await;
    let body = json!({"integration": integration.get(), "project": "SHOP", "issue_type": "10002", "summary": "A task"});
    let answer = world.send(Method::POST, CREATE, Some(body)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    let other =
        json!({"integration": 999, "project": "SHOP", "issue_type": "Task", "summary": "A task"});
    let answer = world.send(Method::POST, CREATE, Some(other)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{answer:?}");
    assert!(
        answer.detail().contains("no link to integration 999"),
        "{answer:?}"
    );
}

/// Each refused request: the status, a part of the detail, and nothing stored changed, no
/// issue created in Jira.
#[tokio::test]
async fn refusals_link_nothing_and_create_nothing() {
    let jira = shop(&[
        ("customfield_10200", "Severity"),
        ("customfield_10300", "Team"),
    ]);
    let (world, _) = world_with(&jira).await;
    let ok = r#""project": "SHOP", "issue_type": "Bug", "fields": {"customfield_10200": "x", "customfield_10300": "y"}"#;
    let long = "é".repeat(256);
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (CREATE, "{".into(), StatusCode::BAD_REQUEST, ""),
        (
            CREATE,
            format!(r#"{{{ok}}}"#),
            StatusCode::BAD_REQUEST,
            "summary",
        ),
        (
            CREATE,
            format!(r#"{{{ok}, "summary": "x", "colour": "red"}}"#),
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        (
            CREATE,
            format!(r#"{{{ok}, "summary": 7}}"#),
            StatusCode::BAD_REQUEST,
            "summary",
        ),
        (
            CREATE,
            r#"{"project": "SHOP", "issue_type": "Bug", "summary": "x", "fields": []}"#.into(),
            StatusCode::BAD_REQUEST,
            "fields",
        ),
        (
            "/api/v1/organizations/acme/issues/I-404/jira-issues",
            format!(r#"{{{ok}, "summary": "x"}}"#),
            StatusCode::NOT_FOUND,
            "I-404",
        ),
        (
            "/api/v1/organizations/nope/issues/I-1/jira-issues",
            format!(r#"{{{ok}, "summary": "x"}}"#),
            StatusCode::NOT_FOUND,
            "nope",
        ),
        (
            CREATE,
            format!(r#"{{{ok}, "summary": "  "}}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "summary: empty; Jira requires a summary; nothing was created",
        ),
        (
            CREATE,
            format!(r#"{{{ok}, "summary": "one\ntwo"}}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "summary: has a line break",
        ),
        (
            CREATE,
            format!(r#"{{{ok}, "summary": "{long}"}}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "summary: 256 characters; Jira takes at most 255",
        ),
        (
            CREATE,
            r#"{"project": "", "issue_type": "Bug", "summary": "x"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "project: empty",
        ),
        (
            CREATE,
            r#"{"project": "SHOP", "issue_type": "Bug", "summary": "x", "fields": {"summary": "y"}}"#
                .into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "fields.summary: give it as the request's own \"summary\"",
        ),
        (
            CREATE,
            r#"{"project": "SHOP", "issue_type": "Bug", "summary": "x"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "creating a Bug in SHOP requires customfield_10200 (Severity), customfield_10300 \
             (Team): give them in \"fields\" by id; nothing was created",
        ),
        (
            CREATE,
            r#"{"project": "SHOP", "issue_type": "Bug", "summary": "x", "fields": {"customfield_10200": "x", "customfield_10300": null}}"#
                .into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "requires customfield_10300 (Team)",
        ),
        (
            CREATE,
            r#"{"project": "NOPE", "issue_type": "Bug", "summary": "x"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Jira's createmeta lists no project \"NOPE\"",
        ),
        (
            CREATE,
            r#"{"project": "SHOP", "issue_type": "Epic", "summary": "x"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Project SHOP has no issue type named \"Epic\"",
        ),
        (
            CREATE,
            format!(r#"{{{ok}, "summary": "x", "integration": 999}}"#),
            StatusCode::NOT_FOUND,
            "no link to integration 999",
        ),
    ];
    let before = world.snapshot().await;
    for (path, body, status, message) in cases {
        let answer = world
            .send_raw(
                Method::POST,
                path,
                Some(TOKEN),
                Some("application/json"),
                Some(body.as_bytes().to_vec()),
            )
            .await;
        assert_eq!(answer.status, status, "{path} {body}: {answer:?}");
        assert!(
            answer.detail().contains(message),
            "{path} {body}: {:?} should contain {message:?}",
            answer.detail()
        );
        assert_eq!(world.snapshot().await, before, "{body} changed the store");
    }
    assert!(jira.create_requests().is_empty(), "{:?}", jira.calls());
}

#[tokio::test]
async fn jira_down_answers_503_and_links_nothing() {
    let jira = shop(&[]);
    let (world, _) = world_with(&jira).await;
    jira.set_down(true);
    let before = world.snapshot().await;
    let answer = world
        .send(
            Method::POST,
            CREATE,
            Some(json!({"project": "SHOP", "issue_type": "Bug", "summary": "x"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(
        answer.detail(),
        "cannot read what creating a Bug in SHOP takes: Jira could not be reached: connection \
         refused; nothing was created"
    );
    assert_eq!(world.snapshot().await, before);
    assert_eq!(links(&world).await, json!([]));
}

#[tokio::test]
async fn jiras_permission_refusal_answers_403_with_jiras_words() {
    let jira = shop(&[]);
    let (world, _) = world_with(&jira).await;
    jira.set_refusal(Some((
        403,
        "You do not have the permission to create issues in this project.",
    )));
    let answer = world
        .send(
            Method::POST,
            CREATE,
            Some(json!({"project": "SHOP", "issue_type": "Bug", "summary": "x"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{answer:?}");
    assert!(
        answer
            .detail()
            .contains("(HTTP 403): You do not have the permission to create issues"),
        "{answer:?}"
    );
    assert_eq!(links(&world).await, json!([]));
}

#[tokio::test]
async fn jiras_refusal_of_the_fields_answers_422_with_jiras_errors() {
    let jira = shop(&[]);
    let (world, _) = world_with(&jira).await;
    let answer = world
        .send(
            Method::POST,
            CREATE,
            Some(
                json!({"project": "SHOP", "issue_type": "Bug", "summary": "x",
                "fields": {"assignee": {"name": "nobody"}}}),
            ),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{answer:?}"
    );
    assert_eq!(
        answer.detail(),
        "Jira did not create the issue: Jira refused the request (HTTP 400): assignee: User \
         'nobody' cannot be assigned issues."
    );
    assert_eq!(links(&world).await, json!([]));
}

#[tokio::test]
async fn without_a_jira_writer_answers_503() {
    let world = ApiWorld::with_scene().await;
    world.with_integration().await;
    let answer = world
        .send(
            Method::POST,
            CREATE,
            Some(json!({"project": "SHOP", "issue_type": "Bug", "summary": "x"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert!(
        answer.detail().starts_with("this service calls no Jira"),
        "{answer:?}"
    );
}
