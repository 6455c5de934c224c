//! `POST /api/v1/organizations/{org}/issues/{issue}/comments`: a comment records one piece of
//! outbound work per linked Jira issue whose organization syncs comments, and nothing else;
//! every bad input is refused with a precise message and records nothing.
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
use jirasync_webhook::IssueKey;
use serde_json::json;

use api_support::{ApiWorld, TOKEN};

const COMMENTS: &str = "/api/v1/organizations/acme/issues/I-1/comments";

/// The scene, with `I-1` linked to `APP-1` and `APP-2` through an integration whose
/// `sync_comments` is `on` or off.
async fn linked_world(on: bool) -> ApiWorld {
    let config = SyncConfig {
        sync_comments: on,
        ..SyncConfig::default()
    };
    ApiWorld::with_linked_issue(config, &["APP-1", "APP-2"])
        .await
        .0
}

#[tokio::test]
async fn a_comment_is_recorded_for_every_linked_jira_issue() {
    let world = linked_world(true).await;
    let answer = world
        .send(
            Method::POST,
            COMMENTS,
            Some(json!({"author": "bob", "body": "Deployed to *staging*."})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, json!({"outbound": 2}));
    let work = world.outbox().await;
    let mut keys: Vec<_> = work.iter().map(|work| work.issue_key.clone()).collect();
    keys.sort();
    assert_eq!(keys, [IssueKey::new("APP-1"), IssueKey::new("APP-2")]);
    for piece in &work {
        assert_eq!(
            piece.action,
            OutboundAction::Comment {
                author: Some("bob".into()),
                body: "Deployed to *staging*.".into(),
            }
        );
    }
    // Without an author, the comment is the application's.
    let answer = world
        .send(
            Method::POST,
            COMMENTS,
            Some(json!({"body": "Build 42 passed."})),
        )
        .await;
    assert_eq!(answer.body, json!({"outbound": 2}));
    assert_eq!(
        world.outbox().await[0].action,
        OutboundAction::Comment {
            author: None,
            body: "Build 42 passed.".into(),
        }
    );
}

#[tokio::test]
async fn nothing_is_recorded_when_the_organization_does_not_sync_comments() {
    let world = linked_world(false).await;
    let answer = world
        .send(Method::POST, COMMENTS, Some(json!({"body": "Hello"})))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, json!({"outbound": 0}));
    assert!(world.outbox().await.is_empty());
}

#[tokio::test]
async fn bad_comments_are_refused_precisely_and_record_nothing() {
    let world = linked_world(true).await;
    let too_long = format!(r#"{{"body": "{}"}}"#, "x".repeat(32_001));
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (COMMENTS, "not json".into(), StatusCode::BAD_REQUEST, ""),
        (COMMENTS, "{}".into(), StatusCode::BAD_REQUEST, "body"),
        (
            COMMENTS,
            r#"{"body": "  \n "}"#.into(),
            StatusCode::BAD_REQUEST,
            "body: must not be empty",
        ),
        (
            COMMENTS,
            too_long,
            StatusCode::BAD_REQUEST,
            "body: 32001 characters, more than the 32000 a comment may have",
        ),
        (
            COMMENTS,
            r#"{"body": 7}"#.into(),
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            COMMENTS,
            r#"{"body": "hi", "visibility": "all"}"#.into(),
            StatusCode::BAD_REQUEST,
            "visibility",
        ),
        (
            COMMENTS,
            r#"{"author": "", "body": "hi"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "author: the id is empty",
        ),
        (
            COMMENTS,
            r#"{"author": "nobody", "body": "hi"}"#.into(),
            StatusCode::CONFLICT,
            "author: there is no user \"nobody\"",
        ),
        (
            "/api/v1/organizations/acme/issues/I-404/comments",
            r#"{"body": "hi"}"#.into(),
            StatusCode::NOT_FOUND,
            "I-404",
        ),
        (
            "/api/v1/organizations/nope/issues/I-1/comments",
            r#"{"body": "hi"}"#.into(),
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
                Some(body.clone().into_bytes()),
            )
            .await;
        let shown = &body[..body.len().min(60)];
        assert_eq!(answer.status, status, "{path} {shown}: {answer:?}");
        assert!(
            answer.detail().contains(message),
            "{path} {shown}: {:?} should contain {message:?}",
            answer.detail()
        );
        assert_eq!(world.snapshot().await, before, "{shown} changed the store");
        assert!(world.outbox().await.is_empty(), "{shown} recorded work");
    }
}
