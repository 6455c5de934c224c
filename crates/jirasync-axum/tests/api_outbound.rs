//! `POST /api/v1/organizations/{org}/issues/{issue}/assign`: the assignment and its outbound
//! work are written together; an unchanged assignee, a team, or an organization that does not
//! sync assignees outbound send nothing; every bad input is refused with a precise message and
//! writes nothing (neither the issue nor the outbox).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[allow(dead_code)]
mod api_support;

use axum::http::{Method, StatusCode};
use jirasync_domain::integration::SyncConfig;
use jirasync_domain::outbound::OutboundAction;
use jirasync_domain::{ApplicationData, LocalIssueStore};
use jirasync_webhook::IssueKey;
use serde_json::{Value, json};

use api_support::{ApiWorld, TOKEN};

const ASSIGN: &str = "/api/v1/organizations/acme/issues/I-1/assign";

/// The scene, with `I-1` linked to `APP-1` through an integration that syncs assignees both
/// ways (`forward` on or off).
async fn linked_world(forward: bool) -> ApiWorld {
    let config = SyncConfig {
        sync_forward_assignment: forward,
        ..SyncConfig::all_on()
    };
    ApiWorld::with_linked_issue(config, &["APP-1"]).await.0
}

async fn assignee(world: &ApiWorld) -> Value {
    world
        .send(Method::GET, "/api/v1/organizations/acme/issues/I-1", None)
        .await
        .body["assignee"]
        .clone()
}

#[tokio::test]
async fn assigning_records_the_change_and_its_outbound_work() {
    let world = linked_world(true).await;
    let answer = world
        .send(
            Method::POST,
            ASSIGN,
            Some(json!({"assignee": {"user": "bob"}})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, json!({"changed": true, "outbound": 1}));
    assert_eq!(assignee(&world).await, json!({"user": "bob"}));
    let work = world.outbox().await;
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].issue_key, IssueKey::new("APP-1"));
    let bob = world
        .store
        .app_user_id(&"bob".into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        work[0].action,
        OutboundAction::Assign {
            user: bob,
            emails: vec!["bob@example.com".into()],
        }
    );
    // No activity is written for the application's own change.
    let issue = world.issue_i1().await;
    assert!(world.store.activities(issue).await.unwrap().is_empty());
}

#[tokio::test]
async fn assigning_the_current_assignee_changes_and_sends_nothing() {
    let world = linked_world(true).await;
    let answer = world
        .send(
            Method::POST,
            ASSIGN,
            Some(json!({"assignee": {"user": "alice"}})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, json!({"changed": false, "outbound": 0}));
    assert!(world.outbox().await.is_empty());
}

#[tokio::test]
async fn unassigning_sends_an_unassign() {
    let world = linked_world(true).await;
    let answer = world
        .send(Method::POST, ASSIGN, Some(json!({"assignee": null})))
        .await;
    assert_eq!(answer.body, json!({"changed": true, "outbound": 1}));
    assert_eq!(assignee(&world).await, Value::Null);
    assert_eq!(world.outbox().await[0].action, OutboundAction::Unassign);
}

#[tokio::test]
async fn a_team_is_assigned_here_only() {
    let world = linked_world(true).await;
    let answer = world
        .send(
            Method::POST,
            ASSIGN,
            Some(json!({"assignee": {"team": "web"}})),
        )
        .await;
    assert_eq!(answer.body, json!({"changed": true, "outbound": 0}));
    assert_eq!(assignee(&world).await, json!({"team": "web"}));
    assert!(world.outbox().await.is_empty());
}

#[tokio::test]
async fn nothing_is_sent_when_the_organization_does_not_sync_assignees_outbound() {
    let world = linked_world(false).await;
    let answer = world
        .send(
            Method::POST,
            ASSIGN,
            Some(json!({"assignee": {"user": "bob"}})),
        )
        .await;
    assert_eq!(answer.body, json!({"changed": true, "outbound": 0}));
    assert_eq!(assignee(&world).await, json!({"user": "bob"}));
    assert!(world.outbox().await.is_empty());
}

#[tokio::test]
async fn bad_assignments_are_refused_precisely_and_write_nothing() {
    let world = linked_world(true).await;
    let cases: Vec<(&str, &str, StatusCode, &str)> = vec![
        (ASSIGN, "{}", StatusCode::BAD_REQUEST, "assignee: missing"),
        (ASSIGN, "not json", StatusCode::BAD_REQUEST, ""),
        (
            ASSIGN,
            r#"{"assignee": null, "extra": 1}"#,
            StatusCode::BAD_REQUEST,
            "extra",
        ),
        (
            ASSIGN,
            r#"{"assignee": {"robot": "r2"}}"#,
            StatusCode::BAD_REQUEST,
            "assignee",
        ),
        (
            ASSIGN,
            r#"{"assignee": {"user": 7}}"#,
            StatusCode::BAD_REQUEST,
            "assignee",
        ),
        (
            ASSIGN,
            r#"{"assignee": {"user": ""}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "assignee.user: the id is empty",
        ),
        (
            ASSIGN,
            r#"{"assignee": {"user": "nobody"}}"#,
            StatusCode::CONFLICT,
            "nobody",
        ),
        (
            ASSIGN,
            r#"{"assignee": {"team": "ghosts"}}"#,
            StatusCode::CONFLICT,
            "ghosts",
        ),
        (
            "/api/v1/organizations/acme/issues/I-404/assign",
            r#"{"assignee": null}"#,
            StatusCode::NOT_FOUND,
            "I-404",
        ),
        (
            "/api/v1/organizations/nope/issues/I-1/assign",
            r#"{"assignee": null}"#,
            StatusCode::NOT_FOUND,
            "nope",
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
        assert!(world.outbox().await.is_empty(), "{body} recorded work");
    }
}

/// With the Jira check, a link is made only to an issue Jira has: an unknown key is refused
/// (422) and a Jira that cannot be reached answers 503, both linking nothing.
#[tokio::test]
async fn links_are_made_only_to_issues_jira_has() {
    use std::sync::Arc;

    use jirasync_axum::{AdminToken, ApiState, api_router};
    use jirasync_domain::outbound::{FakeJiraWriter, WriterCall};

    let scene = ApiWorld::with_scene().await;
    let (_, integration) = scene.with_integration().await;
    let jira = Arc::new(FakeJiraWriter::new().with_issue("APP-1"));
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
    let link = |key: &str| format!("/api/v1/organizations/acme/issues/I-1/jira-links/{key}");

    let linked = world.send(Method::PUT, &link("APP-1"), None).await;
    assert_eq!(linked.status, StatusCode::CREATED, "{linked:?}");
    let unknown = world.send(Method::PUT, &link("APP-9"), None).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{unknown:?}"
    );
    assert!(
        unknown.detail().starts_with(&format!(
            "Jira has no issue APP-9 (integration {integration}): check the key"
        )),
        "{unknown:?}"
    );
    jira.set_down(true);
    let down = world.send(Method::PUT, &link("APP-2"), None).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{down:?}");
    assert!(
        down.detail()
            .starts_with("cannot check that Jira has the issue APP-2:"),
        "{down:?}"
    );
    let issue = world
        .send(Method::GET, "/api/v1/organizations/acme/issues/I-1", None)
        .await;
    assert_eq!(
        issue.body["jira_links"],
        json!([{"integration": integration.get(), "key": "APP-1"}])
    );
    assert_eq!(
        jira.calls(),
        [
            WriterCall::IssueExists(IssueKey::new("APP-1")),
            WriterCall::IssueExists(IssueKey::new("APP-9")),
            WriterCall::IssueExists(IssueKey::new("APP-2")),
        ]
    );
}
