//! The setup tests' world: the fake Jira of `jirasync-service`'s tests (every RSA-SHA1 signature
//! checked with the test key's public half), the setup router on an in-memory store, and an
//! in-process "browser" that keeps the session cookie.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a failed test"
)]

#[path = "../../../jirasync-service/tests/support/fake_jira.rs"]
mod fake_jira;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request as HttpRequest, StatusCode};
pub use fake_jira::*;
use jirasync_axum::{AdminToken, InMemoryPipelineStore, SetupState, setup_router};
use jirasync_client::oauth1::{Clock, ManualClock};
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::integration::{Integration, JIRA_SERVER_PROVIDER};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::{InMemoryStore, IntegrationStore, Seed};
use serde_json::Value;
use tower::ServiceExt as _;

/// The admin token the setup routes accept in these tests.
pub const ADMIN_TOKEN: &str = "setup-tests-admin-token-0123456789";

/// The service under test: the setup router on an in-memory store with one organization, opened
/// by [`ADMIN_TOKEN`] or a set-up link kept in the same store.
pub struct Setup {
    pub app: Router,
    pub store: Arc<InMemoryStore>,
    pub organization: OrganizationId,
    /// The clock the pipelines expire on; the test moves it.
    pub clock: Arc<ManualClock>,
}

impl Setup {
    /// Setup for a fixed organization.
    pub async fn new() -> Self {
        Self::build(|state, organization| state.with_organization(organization)).await
    }

    /// Setup with changes to the state (the organization is passed for convenience).
    pub async fn build(configure: impl FnOnce(SetupState, OrganizationId) -> SetupState) -> Self {
        let store = Arc::new(InMemoryStore::new());
        let organization = store
            .seed_organization("acme", OrganizationFeatures::all())
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new());
        let pipelines = InMemoryPipelineStore::new(Duration::from_secs(600), 16)
            .with_clock(Arc::clone(&clock) as Arc<dyn Clock>);
        let state = SetupState::new(Arc::clone(&store) as _, PUBLIC_URL)
            .with_pipeline_store(Arc::new(pipelines))
            .with_timeouts(Duration::from_secs(2), Duration::from_secs(5))
            .with_admin_token(AdminToken::new(ADMIN_TOKEN).unwrap())
            .with_setup_links(Arc::clone(&store) as _)
            .with_clock(Arc::clone(&clock) as _);
        let app = setup_router(configure(state, organization));
        Self {
            app,
            store,
            organization,
            clock,
        }
    }

    /// A browser that sends the admin token with every request.
    pub fn browser(&self) -> Browser {
        Browser {
            app: self.app.clone(),
            cookie: None,
            authorization: Some(format!("Bearer {ADMIN_TOKEN}")),
        }
    }

    /// A browser that sends no credential of its own (only the session cookie it is given).
    pub fn anonymous_browser(&self) -> Browser {
        Browser {
            app: self.app.clone(),
            cookie: None,
            authorization: None,
        }
    }

    /// The integration installed for `jira`, if any.
    pub async fn integration(&self, jira: &FakeJira) -> Option<Integration> {
        self.store
            .integration_by_external_id(JIRA_SERVER_PROVIDER, &jira.external_id())
            .await
            .unwrap()
    }

    /// Fails the test if anything was installed for `jira`.
    pub async fn assert_nothing_stored(&self, jira: &FakeJira) {
        assert_eq!(
            self.integration(jira).await,
            None,
            "an integration was stored"
        );
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn location(&self) -> &str {
        self.headers.get("location").unwrap().to_str().unwrap()
    }

    /// The value of the form's hidden CSRF field.
    pub fn csrf_field(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("no CSRF field") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }
}

/// A browser: sends requests to the app in-process and keeps the session cookie.
#[derive(Clone)]
pub struct Browser {
    app: Router,
    pub cookie: Option<String>,
    /// The `Authorization` header sent with every request.
    pub authorization: Option<String>,
}

impl Browser {
    pub async fn send(&mut self, request: HttpRequest<Body>) -> Answer {
        let mut request = request;
        if let Some(cookie) = &self.cookie {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().unwrap());
        }
        if let Some(authorization) = &self.authorization
            && !request.headers().contains_key("authorization")
        {
            request
                .headers_mut()
                .insert("authorization", authorization.parse().unwrap());
        }
        let response = self.app.clone().oneshot(request).await.unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            self.cookie = Some(pair.to_owned());
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn get(&mut self, uri: &str) -> Answer {
        self.send(HttpRequest::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.post_raw(uri, "application/x-www-form-urlencoded", &body)
            .await
    }

    pub async fn post_raw(&mut self, uri: &str, content_type: &str, body: &str) -> Answer {
        self.send(
            HttpRequest::builder()
                .method(Method::POST)
                .uri(uri)
                .header("content-type", content_type)
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }

    pub async fn post_json(&mut self, uri: &str, csrf: Option<&str>, body: &Value) -> Answer {
        let mut request = HttpRequest::builder()
            .method(Method::POST)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        self.send(request.body(Body::from(body.to_string())).unwrap())
            .await
    }
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}
