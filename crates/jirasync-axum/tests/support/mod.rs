//! Shared test support: the seeded in-memory world, the fixtures and the switchable store and
//! inbox of `jirasync-service`'s tests, with `AppState`s on them and a request helper.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: each test file uses a part of it, and a failed setup should panic"
)]

#[path = "../../../jirasync-service/tests/support/flaky.rs"]
pub mod flaky;
#[path = "../../../jirasync-service/tests/support/world.rs"]
mod world;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use jirasync_axum::AppState;
use jirasync_domain::StaticJiraDirectory;
use jirasync_domain::inbox::MemoryInbox;
use serde_json::Value;
use tower::ServiceExt;
pub use world::*;

impl World {
    /// A state in inline mode on this world's store.
    pub fn inline(&self, directory: StaticJiraDirectory) -> AppState {
        AppState::new(self.inline_service(directory))
    }

    /// A state in inbox mode on this world's store and a new memory inbox.
    pub fn inbox(&self, directory: StaticJiraDirectory) -> (AppState, Arc<MemoryInbox>) {
        let (service, inbox) = self.inbox_service(directory);
        (AppState::new(service), inbox)
    }
}

/// An answer: status, `Allow` header, body as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub allow: Option<String>,
    pub content_type: Option<String>,
    pub text: String,
    pub json: Value,
}

impl Answer {
    /// Fails with the body when the status is not `expected`.
    #[track_caller]
    pub fn assert_status(&self, expected: StatusCode) {
        assert_eq!(self.status, expected, "{}", self.text);
    }

    /// The `detail` of an error body.
    pub fn detail(&self) -> &str {
        self.json
            .get("detail")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Sends one request through the router, without a port.
pub async fn send(app: &Router, method: &str, path: &str, body: Vec<u8>) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("user-agent", "Atlassian HttpClient 3.0.0")
        .body(Body::from(body))
        .unwrap();
    send_request(app, request).await
}

/// Sends a request built by the caller through the router, without a port.
pub async fn send_request(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
            .map(str::to_owned)
    };
    let allow = header("allow");
    let content_type = header("content-type");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        allow,
        content_type,
        text,
        json,
    }
}

/// POSTs a body to a path.
pub async fn post(app: &Router, path: &str, body: Vec<u8>) -> Answer {
    send(app, "POST", path, body).await
}
