//! Shared test support: a seeded in-memory world, fixtures, a request helper, and stores that
//! can be switched off.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: each test file uses a part of it, and a failed setup should panic"
)]

pub mod flaky;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use jirasync_axum::{AppState, WebhookMode};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, UserId};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::issue::{LocalIssue, ResolutionStatus};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::people::UserEmail;
use jirasync_domain::{
    InMemoryStore, IssueLinkStore, IssueSyncStore, JiraDirectory, Seed, StaticJiraDirectory, Store,
};
use jirasync_store::inbox::{Inbox, MemoryInbox};
use jirasync_webhook::{IssueKey, WebhookSecret, WebhookToken, mint_token, webhook_url};
use serde_json::Value;
use tower::ServiceExt;

/// The webhook secret of the seeded integration.
pub const SECRET: &str = "webhook-secret-for-tests";

/// A fixture from `tests/fixtures/webhooks/` at the repository root.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A fixture as JSON, to derive variants from.
pub fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// An organization syncing everything through one integration; jess@example.com and
/// bob@example.com reach the project of a local issue linked to APP-123.
pub struct World {
    pub store: Arc<InMemoryStore>,
    pub integration_id: IntegrationId,
    pub external_id: ExternalId,
    pub issue: LocalIssueId,
    pub jess: UserId,
    pub bob: UserId,
}

impl World {
    pub async fn new() -> Self {
        Self::on(Arc::new(InMemoryStore::new())).await
    }

    pub async fn on(store: Arc<InMemoryStore>) -> Self {
        let org = store
            .seed_organization("acme", OrganizationFeatures::all())
            .await
            .unwrap();
        let external_id = ExternalId::for_jira("jira.example.com", "jirasync");
        let integration_id = store
            .seed_integration(
                external_id.clone(),
                "jirasync",
                IntegrationMetadata {
                    base_url: "https://jira.example.com".into(),
                    domain_name: "jira.example.com".into(),
                    verify_ssl: true,
                    webhook_secrets: vec![WebhookSecret::new(SECRET)],
                },
            )
            .await
            .unwrap();
        store
            .seed_organization_integration(
                org,
                integration_id,
                LinkStatus::Active,
                SyncConfig::all_on(),
            )
            .await
            .unwrap();
        let project = store.seed_project(org, "app").await.unwrap();
        let team = store.seed_team(org, "app-team").await.unwrap();
        store.seed_team_project(team, project).await.unwrap();
        let jess = store
            .seed_user(true, vec![UserEmail::verified("jess@example.com")])
            .await
            .unwrap();
        let bob = store
            .seed_user(true, vec![UserEmail::verified("bob@example.com")])
            .await
            .unwrap();
        store.seed_team_member(team, jess, true).await.unwrap();
        store.seed_team_member(team, bob, true).await.unwrap();
        let issue = store
            .seed_local_issue(project, ResolutionStatus::Unresolved, None)
            .await
            .unwrap();
        store
            .seed_issue_link(org, integration_id, &IssueKey::new("APP-123"), issue)
            .await
            .unwrap();
        Self {
            store,
            integration_id,
            external_id,
            issue,
            jess,
            bob,
        }
    }

    /// The URL token of the seeded integration.
    pub fn token(&self) -> WebhookToken {
        mint_token(self.external_id.as_str(), &WebhookSecret::new(SECRET))
    }

    /// The webhook path with the seeded integration's token.
    pub fn path(&self) -> String {
        webhook_url("", &self.token())
    }

    pub async fn local_issue(&self) -> LocalIssue {
        self.store.local_issue(self.issue).await.unwrap().unwrap()
    }

    pub async fn activity_count(&self) -> usize {
        self.store.activities(self.issue).await.unwrap().len()
    }

    /// A state in inline mode on this world's store.
    pub fn inline(&self, directory: StaticJiraDirectory) -> AppState {
        AppState::builder(self.store.clone(), Arc::new(directory))
            .mode(WebhookMode::Inline)
            .build()
            .unwrap()
    }

    /// A state in inbox mode on this world's store and a new memory inbox.
    pub fn inbox(&self, directory: StaticJiraDirectory) -> (AppState, Arc<MemoryInbox>) {
        let inbox = Arc::new(MemoryInbox::new());
        let state = AppState::builder(self.store.clone(), Arc::new(directory))
            .inbox(inbox.clone())
            .build()
            .unwrap();
        (state, inbox)
    }
}

/// A state on any store, directory and inbox.
pub fn state_on(
    store: Arc<dyn Store>,
    directory: Arc<dyn JiraDirectory>,
    inbox: Option<Arc<dyn Inbox>>,
) -> AppState {
    let builder = AppState::builder(store, directory);
    match inbox {
        Some(inbox) => builder.inbox(inbox).build().unwrap(),
        None => builder.mode(WebhookMode::Inline).build().unwrap(),
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
