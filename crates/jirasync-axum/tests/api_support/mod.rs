//! The host API's test world: the in-memory store (the application's data, jirasync's store and
//! the host at once), the API router on it, and a request helper.
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test support: each test file uses a part of it, and a failed setup should panic"
)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use jirasync_axum::{AdminToken, ApiState, api_router};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::outbound::{OutboundFilter, OutboundWork};
use jirasync_domain::state::export_state_json;
use jirasync_domain::store::{IntegrationStore, IssueLinkStore, OutboxStore};
use jirasync_domain::{ApplicationData, InMemoryStore, Seed};
use jirasync_webhook::IssueKey;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The admin token of every test.
pub const TOKEN: &str = "api-token-for-tests";

/// An answer: status and JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The `detail` of an error answer.
    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or_default()
    }
}

/// The store and the router on it.
pub struct ApiWorld {
    pub store: Arc<InMemoryStore>,
    pub app: Router,
}

impl ApiWorld {
    /// An empty store.
    pub fn empty() -> Self {
        let store = Arc::new(InMemoryStore::new());
        let state = ApiState::new(
            store.clone(),
            store.clone(),
            store.clone(),
            AdminToken::new(TOKEN).unwrap(),
        );
        Self {
            app: api_router(state),
            store,
        }
    }

    /// Organization `acme` with members `alice` and `bob`, team `web` (alice), project `shop`
    /// reached by `web`, and issue `I-1` assigned to alice, all written through the API.
    pub async fn with_scene() -> Self {
        let world = Self::empty();
        for (method, path, body) in [
            (
                Method::PUT,
                "/api/v1/organizations",
                json!({"items": [{"id": "acme", "name": "Acme"}]}),
            ),
            (
                Method::PUT,
                "/api/v1/users",
                json!({"items": [
                    {"id": "alice", "emails": [{"address": "alice@example.com", "verified": true}]},
                    {"id": "bob", "emails": [{"address": "bob@example.com", "verified": true}]}
                ]}),
            ),
            (
                Method::PUT,
                "/api/v1/organizations/acme/members",
                json!({"items": [{"user": "alice"}, {"user": "bob"}]}),
            ),
            (
                Method::PUT,
                "/api/v1/organizations/acme/teams",
                json!({"items": [{"id": "web", "name": "Web", "members": [{"user": "alice"}]}]}),
            ),
            (
                Method::PUT,
                "/api/v1/organizations/acme/projects",
                json!({"items": [{"id": "shop", "name": "Shop", "teams": ["web"]}]}),
            ),
            (
                Method::PUT,
                "/api/v1/organizations/acme/issues",
                json!({"items": [{"id": "I-1", "project": "shop", "assignee": {"user": "alice"}}]}),
            ),
        ] {
            let answer = world.send(method, path, Some(body)).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        }
        world
    }

    /// The scene, with `acme`'s issue `I-1` linked to the Jira issues `keys` through an
    /// integration whose sync configuration is `config`; gives the world, the organization and
    /// the integration.
    pub async fn with_linked_issue(
        config: SyncConfig,
        keys: &[&str],
    ) -> (Self, OrganizationId, IntegrationId) {
        let world = Self::with_scene().await;
        let (organization, integration) = world.with_integration().await;
        world
            .store
            .update_sync_config(organization, integration, config)
            .await
            .unwrap();
        let issue = world.issue_i1().await;
        for key in keys {
            world
                .store
                .link_issue(organization, integration, &IssueKey::new(*key), issue)
                .await
                .unwrap();
        }
        (world, organization, integration)
    }

    /// The scene's issue `I-1` of `acme`, as jirasync numbers it.
    pub async fn issue_i1(&self) -> LocalIssueId {
        let (issue, _) = self
            .store
            .app_issue(&"acme".into(), &"I-1".into())
            .await
            .unwrap()
            .unwrap();
        issue
    }

    /// Every piece of outbound work stored.
    pub async fn outbox(&self) -> Vec<OutboundWork> {
        self.store
            .list_outbound(OutboundFilter::default())
            .await
            .unwrap()
    }

    /// Links `acme` to a Jira integration with inbound sync on; gives its id.
    pub async fn with_integration(&self) -> (OrganizationId, IntegrationId) {
        let (organization, _) = self
            .store
            .app_organization(&"acme".into())
            .await
            .unwrap()
            .unwrap();
        let integration = self
            .store
            .seed_integration(
                ExternalId::for_jira("jira.example.com", "jirasync"),
                "jirasync",
                IntegrationMetadata {
                    base_url: "https://jira.example.com".into(),
                    domain_name: "jira.example.com".into(),
                    verify_ssl: true,
                    webhook_secrets: Vec::new(),
                },
            )
            .await
            .unwrap();
        self.store
            .seed_organization_integration(
                organization,
                integration,
                LinkStatus::Active,
                SyncConfig::default(),
            )
            .await
            .unwrap();
        (organization, integration)
    }

    /// Sends a request with the token and a JSON body.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let body = body.map(|body| body.to_string().into_bytes());
        self.send_raw(method, path, Some(TOKEN), Some("application/json"), body)
            .await
    }

    /// Sends a request as given.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let request = request
            .body(body.map_or_else(Body::empty, Body::from))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer { status, body }
    }

    /// Everything the store holds, to compare before and after a refused request.
    pub async fn snapshot(&self) -> Vec<u8> {
        export_state_json(self.store.as_ref()).await.unwrap()
    }
}
