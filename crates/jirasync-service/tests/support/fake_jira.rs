//! A fake Jira Server 9 (wiremock on 127.0.0.1:0) with an Application Link for the test key: it
//! checks every RSA-SHA1 signature with the key's public half, runs the OAuth token endpoints and
//! keeps a webhook collection. The installer tests use it, and so do the setup tests of
//! `jirasync-axum` and `jirasync`'s `connect` tests, which include this file.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is a failed test"
)]

use std::sync::{Arc, Mutex, OnceLock};

use jirasync_client::PrivateKey;
use jirasync_client::testing::{VerifiedOAuthRequest, verify_rsa_sha1_request};
use jirasync_domain::integration::ExternalId;
use serde_json::{Value, json};
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

/// The test key, found relative to this file so that other crates' tests can include this module.
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

    /// Registers a webhook as another client of Jira would.
    pub fn add(&self, name: &str, url: &str) {
        let mut webhooks = self.0.lock().unwrap();
        let id = webhooks.len() + 1;
        webhooks.push(json!({
            "self": format!("http://jira/rest/webhooks/1.0/webhook/{id}"),
            "name": name,
            "url": url,
            "events": ["jira:issue_created", "jira:issue_updated"],
            "enabled": true,
        }));
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
