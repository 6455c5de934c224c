//! The admin API's test world: the webhook tests' world plus members, a team, a second
//! organization and one without the external-actors feature, and a request helper with the token.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: each test file uses a part of it, and a failed setup should panic"
)]

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use jirasync_axum::{AdminState, AdminToken, admin_router};
use jirasync_domain::ids::{OrganizationId, TeamId, UserId};
use jirasync_domain::integration::{LinkStatus, SyncConfig};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::people::UserEmail;
use jirasync_domain::state::export_state_json;
use jirasync_domain::{LocalIssueStore, Seed};
use serde_json::Value;

use crate::support::{Answer, World, send_request};

/// The admin token of every test.
pub const TOKEN: &str = "admin-token-for-tests";

/// The 404 of every id that names nothing.
pub const DOES_NOT_EXIST: &str = "The requested resource does not exist.";

/// The 403 of an organization without the external-actors feature.
pub const FORBIDDEN: &str = "You do not have permission to perform this action.";

/// The seeded world and the admin router on its store.
pub struct AdminWorld {
    pub world: World,
    pub app: Router,
    /// `acme`: every feature, linked to the integration; jess and bob are members.
    pub org: OrganizationId,
    /// A team of `acme`.
    pub team: TeamId,
    /// `globex`: every feature, not linked to the integration; carol is a member.
    pub other_org: OrganizationId,
    /// A team of `globex`.
    pub other_team: TeamId,
    pub carol: UserId,
    /// `initech`: linked, without the external-actors feature; dave is a member.
    pub no_feature_org: OrganizationId,
    pub dave: UserId,
}

impl AdminWorld {
    pub async fn new() -> Self {
        let world = World::new().await;
        let store = world.store.clone();
        let org = store
            .local_issue(world.issue)
            .await
            .unwrap()
            .unwrap()
            .organization_id;
        store.seed_member(org, world.jess).await.unwrap();
        store.seed_member(org, world.bob).await.unwrap();
        let team = store.seed_team(org, "platform").await.unwrap();

        let other_org = store
            .seed_organization("globex", OrganizationFeatures::all())
            .await
            .unwrap();
        let other_team = store.seed_team(other_org, "globex-team").await.unwrap();
        let carol = store
            .seed_user(true, vec![UserEmail::verified("carol@example.com")])
            .await
            .unwrap();
        store.seed_member(other_org, carol).await.unwrap();

        let no_feature_org = store
            .seed_organization(
                "initech",
                OrganizationFeatures {
                    issue_sync: true,
                    external_actors: false,
                },
            )
            .await
            .unwrap();
        store
            .seed_organization_integration(
                no_feature_org,
                world.integration_id,
                LinkStatus::Active,
                SyncConfig::default(),
            )
            .await
            .unwrap();
        let dave = store
            .seed_user(true, vec![UserEmail::verified("dave@example.com")])
            .await
            .unwrap();
        store.seed_member(no_feature_org, dave).await.unwrap();

        // The in-memory store is jirasync's store, the host and the standalone issues at once.
        let state = AdminState::new(
            store.clone(),
            store.clone(),
            AdminToken::new(TOKEN).unwrap(),
        )
        .with_local_issues(store.clone());
        let app = admin_router(state);
        Self {
            world,
            app,
            org,
            team,
            other_org,
            other_team,
            carol,
            no_feature_org,
            dave,
        }
    }

    /// The whole stored state, to compare before and after a refused request.
    pub async fn snapshot(&self) -> String {
        String::from_utf8(export_state_json(self.world.store.as_ref()).await.unwrap()).unwrap()
    }

    /// A request with the admin token and, when there is a body, `Content-Type: application/json`.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let bytes = body.map(|body| serde_json::to_vec(&body).unwrap());
        self.call_raw(
            method,
            path,
            Some(TOKEN),
            bytes.is_some().then_some("application/json"),
            bytes.unwrap_or_default(),
        )
        .await
    }

    /// A request with any token (`None`: no `Authorization`), content type and body bytes.
    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        send_request(&self.app, request.body(Body::from(body)).unwrap()).await
    }

    /// Sends a refused request and checks its status, its `detail` and that nothing changed.
    pub async fn assert_refused(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
        detail: &str,
    ) -> Answer {
        let content_type = body.is_some().then_some("application/json");
        let bytes = body
            .map(|body| serde_json::to_vec(&body).unwrap())
            .unwrap_or_default();
        self.assert_refused_raw(method, path, content_type, bytes, status, detail)
            .await
    }

    /// [`AdminWorld::assert_refused`] with any content type and body bytes.
    pub async fn assert_refused_raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        status: u16,
        detail: &str,
    ) -> Answer {
        let before = self.snapshot().await;
        let answer = self
            .call_raw(method, path, Some(TOKEN), content_type, body)
            .await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{method} {path}: {}",
            answer.text
        );
        assert_eq!(answer.detail(), detail, "{method} {path}");
        assert_eq!(
            self.snapshot().await,
            before,
            "{method} {path} changed the state"
        );
        answer
    }
}
