//! The admin API's bearer token: every route refuses a request without it or with another one,
//! and changes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod admin_support;
mod support;

use admin_support::{AdminWorld, TOKEN};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;

const MISSING: &str = "Authentication credentials were not provided.";
const INVALID: &str = "Invalid token.";

/// One request per route and method, with a body the route would accept.
fn every_route(world: &AdminWorld) -> Vec<(&'static str, String, Option<serde_json::Value>)> {
    let (org, team, issue) = (world.org, world.team, world.world.issue);
    let integration = world.world.integration_id;
    let user = json!({"externalName": "jess", "provider": "jira_server",
                      "integrationId": integration.get(), "userId": world.world.jess.get()});
    vec![
        ("GET", "/api/0/organizations/".to_owned(), None),
        (
            "GET",
            format!("/api/0/organizations/{org}/integrations/"),
            None,
        ),
        (
            "GET",
            format!("/api/0/organizations/{org}/integrations/{integration}/config/"),
            None,
        ),
        (
            "PUT",
            format!("/api/0/organizations/{org}/integrations/{integration}/config/"),
            Some(json!({"sync_comments": false})),
        ),
        (
            "GET",
            format!("/api/0/organizations/{org}/external-users/"),
            None,
        ),
        (
            "POST",
            format!("/api/0/organizations/{org}/external-users/"),
            Some(user.clone()),
        ),
        (
            "PUT",
            format!("/api/0/organizations/{org}/external-users/1/"),
            Some(user),
        ),
        (
            "DELETE",
            format!("/api/0/organizations/{org}/external-users/1/"),
            None,
        ),
        (
            "GET",
            format!("/api/0/teams/{org}/{team}/external-teams/"),
            None,
        ),
        (
            "POST",
            format!("/api/0/teams/{org}/{team}/external-teams/"),
            Some(
                json!({"externalName": "platform", "provider": "jira_server",
                        "integrationId": integration.get()}),
            ),
        ),
        (
            "PUT",
            format!("/api/0/teams/{org}/{team}/external-teams/1/"),
            Some(json!({})),
        ),
        (
            "DELETE",
            format!("/api/0/teams/{org}/{team}/external-teams/1/"),
            None,
        ),
        (
            "GET",
            format!("/api/0/organizations/{org}/issues/{issue}/"),
            None,
        ),
        (
            "POST",
            format!("/api/0/organizations/{org}/issues/{issue}/external-issues/"),
            Some(json!({"integrationId": integration.get(), "key": "APP-9"})),
        ),
        (
            "DELETE",
            format!(
                "/api/0/organizations/{org}/issues/{issue}/external-issues/APP-123/?integrationId={integration}"
            ),
            None,
        ),
    ]
}

async fn assert_every_route_refuses(world: &AdminWorld, authorization: Option<&str>, detail: &str) {
    for (method, path, body) in every_route(world) {
        let before = world.snapshot().await;
        let mut request = Request::builder().method(method).uri(&path);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let bytes = body
            .map(|body| serde_json::to_vec(&body).unwrap())
            .unwrap_or_default();
        let answer =
            support::send_request(&world.app, request.body(Body::from(bytes)).unwrap()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(answer.detail(), detail, "{method} {path}");
        assert_eq!(
            world.snapshot().await,
            before,
            "{method} {path} changed the state"
        );
    }
}

#[tokio::test]
async fn every_route_refuses_a_request_without_a_token() {
    let world = AdminWorld::new().await;
    assert_every_route_refuses(&world, None, MISSING).await;
}

#[tokio::test]
async fn every_route_refuses_another_scheme_or_an_empty_bearer_as_missing() {
    let world = AdminWorld::new().await;
    assert_every_route_refuses(&world, Some(&format!("Basic {TOKEN}")), MISSING).await;
    assert_every_route_refuses(&world, Some("Bearer "), MISSING).await;
}

#[tokio::test]
async fn every_route_refuses_a_wrong_token() {
    let world = AdminWorld::new().await;
    assert_every_route_refuses(&world, Some("Bearer not-the-admin-token"), INVALID).await;
    // A prefix of the token is not the token.
    assert_every_route_refuses(&world, Some(&format!("Bearer {}", &TOKEN[..5])), INVALID).await;
}

#[tokio::test]
async fn a_refusal_is_json_and_asks_for_a_bearer_token() {
    let world = AdminWorld::new().await;
    let request = Request::get("/api/0/organizations/")
        .body(Body::empty())
        .unwrap();
    let response = world.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn the_scheme_is_matched_ignoring_case() {
    let world = AdminWorld::new().await;
    let request = Request::get("/api/0/organizations/")
        .header("authorization", format!("bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let answer = support::send_request(&world.app, request).await;
    answer.assert_status(StatusCode::OK);
}
