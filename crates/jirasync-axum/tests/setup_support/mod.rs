//! A fake Jira for the setup tests (wiremock on 127.0.0.1:0) that checks every RSA-SHA1 signature
//! with the test key's public half, and an in-process "browser" that keeps the session cookie.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a failed test"
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request as HttpRequest, StatusCode};
use jirasync_axum::setup::{InMemoryPipelineStore, SetupState, router};
use jirasync_client::PrivateKey;
use jirasync_client::oauth1::Clock;
use jirasync_client::testing::{VerifiedOAuthRequest, verify_rsa_sha1_request};
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::integration::{ExternalId, Integration, JIRA_SERVER_PROVIDER};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::{InMemoryStore, IntegrationStore, Seed};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const CONSUMER_KEY: &str = "jirasync-test";
pub const PUBLIC_URL: &str = "https://sync.example.com";
pub const REQUEST_TOKEN: &str = "request-token";
pub const ACCESS_TOKEN: &str = "access-token";
pub const CONTEXT_PATH: &str = "/jira";
pub const WEBHOOKS: &str = "/jira/rest/webhooks/1.0/webhook";
pub const NO_PERMISSION: &str =
    "You do not have permission to create WebHook 'jirasync Issue Sync'.";

/// The test key, found relative to this file so that other crates' tests can include this module
/// (`jirasync`'s `tests/connect.rs` does).
pub fn private_key_pem() -> String {
    include_str!("../fixtures/rsa-2048-pkcs8.pem").to_owned()
}

pub fn test_key() -> PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pem(&private_key_pem()).unwrap())
        .clone()
}

/// The URL the client addressed (wiremock says `localhost`; rebuild it from the `Host` header).
fn url_as_addressed(request: &Request) -> url::Url {
    let host = request.headers.get("host").unwrap().to_str().unwrap();
    let (name, port) = host.rsplit_once(':').unwrap();
    let mut url = request.url.clone();
    url.set_host(Some(name)).unwrap();
    url.set_port(Some(port.parse().unwrap())).unwrap();
    url
}

fn verify(request: &Request) -> Result<VerifiedOAuthRequest, String> {
    let authorization = request
        .headers
        .get("authorization")
        .ok_or("no Authorization header")?
        .to_str()
        .map_err(|error| error.to_string())?;
    verify_rsa_sha1_request(
        request.method.as_str(),
        &url_as_addressed(request),
        authorization,
        None,
        &test_key().public_key(),
    )
    .map_err(|error| error.to_string())
}

fn signature_invalid(reason: &str) -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_string(format!(
        "oauth_problem=signature_invalid&oauth_problem_advice={reason}"
    ))
}

/// Every OAuth request the fake received, verified.
#[derive(Debug, Default, Clone)]
pub struct Seen(Arc<Mutex<Vec<(String, VerifiedOAuthRequest)>>>);

impl Seen {
    fn push(&self, path: &str, verified: VerifiedOAuthRequest) {
        self.0.lock().unwrap().push((path.to_owned(), verified));
    }

    /// The verified requests to paths ending with `suffix`.
    pub fn to(&self, suffix: &str) -> Vec<VerifiedOAuthRequest> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(path, _)| path.ends_with(suffix))
            .map(|(_, verified)| verified.clone())
            .collect()
    }
}

/// Answers a token endpoint after checking the signature (and, for the access token, that the
/// request token is signed in).
struct TokenEndpoint {
    seen: Seen,
    expected_token: Option<&'static str>,
    answer: String,
}

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match verify(request) {
            Err(reason) => signature_invalid(&reason),
            Ok(verified) if verified.consumer_key != CONSUMER_KEY => {
                ResponseTemplate::new(401).set_body_string("oauth_problem=consumer_key_unknown")
            }
            Ok(verified) if verified.token.as_deref() != self.expected_token => {
                ResponseTemplate::new(401).set_body_string("oauth_problem=token_rejected")
            }
            Ok(verified) => {
                self.seen.push(request.url.path(), verified);
                ResponseTemplate::new(200)
                    .insert_header("content-type", "text/plain")
                    .set_body_string(self.answer.clone())
            }
        }
    }
}

/// Jira's webhook collection: lists and creates, signed with the access token.
#[derive(Debug, Default, Clone)]
pub struct Webhooks(Arc<Mutex<Vec<Value>>>);

impl Webhooks {
    pub fn all(&self) -> Vec<Value> {
        self.0.lock().unwrap().clone()
    }
}

struct WebhookEndpoint {
    seen: Seen,
    webhooks: Webhooks,
}

impl Respond for WebhookEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let verified = match verify(request) {
            Ok(verified) => verified,
            Err(reason) => return signature_invalid(&reason),
        };
        if verified.token.as_deref() != Some(ACCESS_TOKEN) {
            return ResponseTemplate::new(401).set_body_string("oauth_problem=token_rejected");
        }
        self.seen.push(request.url.path(), verified);
        let mut webhooks = self.webhooks.0.lock().unwrap();
        if request.method.as_str() == "GET" {
            return ResponseTemplate::new(200).set_body_json(webhooks.clone());
        }
        if request.method.as_str() == "DELETE" {
            let own = format!("http://jira/rest/webhooks/1.0/webhook/{}", {
                let path = request.url.path();
                path.rsplit('/').next().unwrap_or_default().to_owned()
            });
            let before = webhooks.len();
            webhooks.retain(|webhook| webhook["self"] != json!(own));
            return ResponseTemplate::new(if webhooks.len() < before { 204 } else { 404 });
        }
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let id = webhooks.len() + 1;
        let created = json!({
            "self": format!("http://jira/rest/webhooks/1.0/webhook/{id}"),
            "name": body["name"],
            "url": body["url"],
            "events": body["events"],
            "enabled": true,
        });
        webhooks.push(created.clone());
        ResponseTemplate::new(201).set_body_json(created)
    }
}

/// A Jira Server 9 with an Application Link for [`CONSUMER_KEY`] and the test key.
pub struct FakeJira {
    pub server: MockServer,
    pub seen: Seen,
    pub webhooks: Webhooks,
}

impl FakeJira {
    /// A Jira where everything works.
    pub async fn start() -> Self {
        let jira = Self::bare().await;
        jira.serve_request_token(format!(
            "oauth_token={REQUEST_TOKEN}&oauth_token_secret=request-secret"
        ))
        .await;
        jira.serve_access_token().await;
        jira.serve_webhooks().await;
        jira
    }

    /// A Jira that gives a request token and then refuses to exchange it with `oauth_problem`.
    pub async fn refusing_access_token(oauth_problem: &str) -> Self {
        let jira = Self::bare().await;
        jira.serve_request_token(format!(
            "oauth_token={REQUEST_TOKEN}&oauth_token_secret=request-secret"
        ))
        .await;
        Mock::given(method("POST"))
            .and(path("/jira/plugins/servlet/oauth/access-token"))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_string(format!("oauth_problem={oauth_problem}")),
            )
            .mount(&jira.server)
            .await;
        jira.serve_webhooks().await;
        jira
    }

    /// A Jira where the dance works but the approving user may not create webhooks.
    pub async fn refusing_webhooks() -> Self {
        let jira = Self::bare().await;
        jira.serve_request_token(format!(
            "oauth_token={REQUEST_TOKEN}&oauth_token_secret=request-secret"
        ))
        .await;
        jira.serve_access_token().await;
        jira.refuse_webhooks().await;
        jira
    }

    /// A Jira whose request-token endpoint answers `answer`.
    pub async fn answering_request_token(answer: ResponseTemplate) -> Self {
        let jira = Self::bare().await;
        Mock::given(method("POST"))
            .and(path("/jira/plugins/servlet/oauth/request-token"))
            .respond_with(answer)
            .mount(&jira.server)
            .await;
        jira
    }

    /// A Jira that serves only serverInfo: mount the rest per test.
    pub async fn bare() -> Self {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/jira/rest/api/2/serverInfo"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "baseUrl": "http://jira",
                "version": "9.12.2",
                "versionNumbers": [9, 12, 2],
                "serverTitle": "Test Jira",
            })))
            .mount(&server)
            .await;
        Self {
            server,
            seen: Seen::default(),
            webhooks: Webhooks::default(),
        }
    }

    pub async fn serve_request_token(&self, answer: String) {
        Mock::given(method("POST"))
            .and(path("/jira/plugins/servlet/oauth/request-token"))
            .respond_with(TokenEndpoint {
                seen: self.seen.clone(),
                expected_token: None,
                answer,
            })
            .mount(&self.server)
            .await;
    }

    pub async fn serve_access_token(&self) {
        Mock::given(method("POST"))
            .and(path("/jira/plugins/servlet/oauth/access-token"))
            .respond_with(TokenEndpoint {
                seen: self.seen.clone(),
                expected_token: Some(REQUEST_TOKEN),
                answer: format!("oauth_token={ACCESS_TOKEN}&oauth_token_secret=access-secret"),
            })
            .mount(&self.server)
            .await;
    }

    pub async fn serve_webhooks(&self) {
        Mock::given(path(WEBHOOKS))
            .respond_with(WebhookEndpoint {
                seen: self.seen.clone(),
                webhooks: self.webhooks.clone(),
            })
            .mount(&self.server)
            .await;
        Mock::given(method("DELETE"))
            .and(path_regex(format!("^{WEBHOOKS}/[0-9]+$")))
            .respond_with(WebhookEndpoint {
                seen: self.seen.clone(),
                webhooks: self.webhooks.clone(),
            })
            .mount(&self.server)
            .await;
    }

    /// Lists no webhooks and refuses to create one, as Jira does for a user who is not an
    /// administrator.
    async fn refuse_webhooks(&self) {
        Mock::given(method("GET"))
            .and(path(WEBHOOKS))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&self.server)
            .await;
        Mock::given(method("POST"))
            .and(path(WEBHOOKS))
            .respond_with(
                ResponseTemplate::new(403)
                    .set_body_json(json!({"messages": [{"key": NO_PERMISSION}]})),
            )
            .mount(&self.server)
            .await;
    }

    /// The Jira URL as a user types it (with a trailing slash).
    pub fn url(&self) -> String {
        format!("{}{CONTEXT_PATH}/", self.server.uri())
    }

    /// `host:port`, as error messages and external ids name it.
    pub fn netloc(&self) -> String {
        self.server.address().to_string()
    }

    pub fn external_id(&self) -> ExternalId {
        ExternalId::for_jira(&self.netloc(), CONSUMER_KEY)
    }

    /// How many requests reached a path ending with `suffix` (signed or not).
    pub async fn requests_to(&self, suffix: &str) -> usize {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|request| request.url.path().ends_with(suffix))
            .count()
    }
}

/// A clock the test moves.
#[derive(Debug, Default)]
pub struct TestClock(AtomicU64);

impl TestClock {
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn unix_timestamp(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The service under test: the setup router on an in-memory store with one organization.
pub struct Setup {
    pub app: Router,
    pub store: Arc<InMemoryStore>,
    pub organization: OrganizationId,
    pub clock: Arc<TestClock>,
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
        let clock = Arc::new(TestClock::default());
        let pipelines = InMemoryPipelineStore::new(Duration::from_secs(600), 16)
            .with_clock(Arc::clone(&clock) as Arc<dyn Clock>);
        let state = SetupState::new(Arc::clone(&store) as _, PUBLIC_URL)
            .with_pipeline_store(Arc::new(pipelines))
            .with_timeouts(Duration::from_secs(2), Duration::from_secs(5));
        let app = router(configure(state, organization));
        Self {
            app,
            store,
            organization,
            clock,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser {
            app: self.app.clone(),
            cookie: None,
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
}

impl Browser {
    pub async fn send(&mut self, request: HttpRequest<Body>) -> Answer {
        let mut request = request;
        if let Some(cookie) = &self.cookie {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().unwrap());
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
