//! A fake Jira for the integration tests: wiremock on 127.0.0.1, checking every OAuth signature
//! with the test key's public half over the base string rebuilt from the received request.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jirasync_client::oauth1::RsaSha1Signer;
use jirasync_client::testing::{VerifiedOAuthRequest, verify_rsa_sha1_request};
use jirasync_client::{
    AccessToken, BaseUrl, ClientOptions, ConsumerKey, Credentials, JiraClient, OAuthDance,
    PrivateKey, RetryPolicy, TokenSecret,
};
use wiremock::{Match, MockServer, Request};

pub const CONSUMER_KEY: &str = "jirasync-test";
pub const ACCESS_TOKEN: &str = "access-token";
pub const CONTEXT_PATH: &str = "/jira";

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub fn test_key() -> PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pem(&fixture("rsa-2048-pkcs8.pem")).unwrap())
        .clone()
}

/// Matches only requests whose RSA-SHA1 signature verifies with the test key.
pub struct ValidSignature;

impl Match for ValidSignature {
    fn matches(&self, request: &Request) -> bool {
        try_verify(request).is_ok()
    }
}

pub fn try_verify(request: &Request) -> Result<VerifiedOAuthRequest, String> {
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

/// The URL the client addressed: wiremock's `Request::url` says `localhost`, so rebuild it from the
/// `Host` header as a server behind its own name would.
pub fn url_as_addressed(request: &Request) -> url::Url {
    let host = request
        .headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    let mut url = request.url.clone();
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, port.parse().ok()),
        None => (host, None),
    };
    url.set_host(Some(name)).unwrap();
    url.set_port(port).unwrap();
    url
}

/// The verified OAuth parameters of a received request; fails the test when the signature is wrong.
pub fn verified(request: &Request) -> VerifiedOAuthRequest {
    try_verify(request)
        .unwrap_or_else(|error| panic!("{} {}: {error}", request.method, request.url))
}

pub fn authorization(request: &Request) -> String {
    request
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::new(3, Duration::from_millis(10), Duration::from_millis(200))
}

pub fn options(server: &MockServer) -> ClientOptions {
    ClientOptions::new(BaseUrl::parse(&format!("{}{CONTEXT_PATH}/", server.uri())).unwrap())
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(5))
        .retry(fast_retries())
}

pub fn oauth_credentials() -> Credentials {
    Credentials::oauth1_rsa(
        ConsumerKey::new(CONSUMER_KEY),
        test_key(),
        AccessToken::new(ACCESS_TOKEN),
        TokenSecret::new("access-secret"),
    )
}

pub fn oauth_client(server: &MockServer) -> JiraClient {
    JiraClient::new(&options(server), oauth_credentials()).unwrap()
}

pub fn dance(server: &MockServer) -> OAuthDance {
    let key: Arc<dyn RsaSha1Signer> = Arc::new(test_key());
    OAuthDance::new(&options(server), ConsumerKey::new(CONSUMER_KEY), key).unwrap()
}

pub fn at(path: &str) -> String {
    format!("{CONTEXT_PATH}{path}")
}
