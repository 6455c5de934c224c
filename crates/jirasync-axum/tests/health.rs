//! `GET /healthz`, `GET /readyz` and `GET /metrics`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use jirasync_axum::{AppState, router};
use jirasync_domain::StaticJiraDirectory;
use serde_json::json;
use support::flaky::{FlakyInbox, FlakyStore};
use support::{World, fixture, post, send, service_on};

#[tokio::test]
async fn healthz_answers_ok() {
    let world = World::new().await;
    let answer = send(
        &router(world.inline(StaticJiraDirectory::new())),
        "GET",
        "/healthz",
        Vec::new(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json, json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_follows_the_store() {
    let store = Arc::new(FlakyStore::default());
    let app = router(AppState::new(service_on(
        store.clone(),
        store.inner.clone(),
        Arc::new(StaticJiraDirectory::new()),
        None,
    )));

    let ready = send(&app, "GET", "/readyz", Vec::new()).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json, json!({"status": "ready"}));

    store.switch.set_down(true);
    let down = send(&app, "GET", "/readyz", Vec::new()).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        down.detail(),
        "not ready: the store is unavailable, retry later: connection refused (test switch)"
    );
}

#[tokio::test]
async fn readyz_follows_the_inbox() {
    let world = World::new().await;
    let inbox = Arc::new(FlakyInbox::default());
    inbox.switch.set_down(true);
    let app = router(AppState::new(service_on(
        world.store.clone(),
        world.store.clone(),
        Arc::new(StaticJiraDirectory::new()),
        Some(inbox),
    )));
    let answer = send(&app, "GET", "/readyz", Vec::new()).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer.detail().starts_with("not ready: the inbox failed"),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn health_routes_refuse_other_methods() {
    let world = World::new().await;
    let app = router(world.inline(StaticJiraDirectory::new()));
    for path in ["/healthz", "/readyz", "/metrics"] {
        let answer = send(&app, "POST", path, Vec::new()).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(answer.allow.as_deref(), Some("GET, HEAD"), "{path}");
        assert_eq!(answer.detail(), "Method not allowed: use GET, HEAD");
    }
}

#[tokio::test]
async fn metrics_expose_outcomes_and_the_inbox_depth_in_prometheus_text() {
    let world = World::new().await;
    let (state, _inbox) = world.inbox(StaticJiraDirectory::new());
    let app = router(state);
    post(&app, &world.path(), fixture("assignee_set.json")).await;
    post(&app, &world.path(), fixture("issue_created.json")).await;
    post(
        &app,
        "/extensions/jira-server/issue-updated/nope/",
        fixture("assignee_set.json"),
    )
    .await;

    let answer = send(&app, "GET", "/metrics", Vec::new()).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    for line in [
        "# TYPE jirasync_webhooks_received_total counter",
        "jirasync_webhooks_received_total{outcome=\"accepted\"} 1",
        "jirasync_webhooks_received_total{outcome=\"ignored\"} 1",
        "jirasync_webhooks_received_total{outcome=\"invalid_token\"} 1",
        "jirasync_webhooks_received_total{outcome=\"too_large\"} 0",
        "jirasync_webhook_invalid_tokens_total 1",
        "# TYPE jirasync_inbox_depth gauge",
        "jirasync_inbox_depth{state=\"ready\"} 1",
        "jirasync_inbox_depth{state=\"leased\"} 0",
        "jirasync_inbox_depth{state=\"dead\"} 0",
        "# TYPE jirasync_delivery_processing_seconds histogram",
    ] {
        assert!(
            answer.text.lines().any(|candidate| candidate == line),
            "missing {line:?} in\n{}",
            answer.text
        );
    }
}

#[tokio::test]
async fn routes_merge_with_another_router_on_the_same_state() {
    let world = World::new().await;
    let state = world.inline(StaticJiraDirectory::new());
    let admin: axum::Router<AppState> =
        axum::Router::new().route("/admin/ping", axum::routing::get(|| async { "pong" }));
    let app = jirasync_axum::routes(&state)
        .merge(admin)
        .layer(jirasync_axum::trace_layer())
        .with_state(state);

    assert_eq!(
        send(&app, "GET", "/admin/ping", Vec::new()).await.text,
        "pong"
    );
    let webhook = post(&app, &world.path(), fixture("issue_created.json")).await;
    assert_eq!(webhook.status, StatusCode::OK);
}
