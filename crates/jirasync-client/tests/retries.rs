//! Idempotent GETs are retried, re-signed each time; POST and DELETE never are.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{ValidSignature, at, oauth_client, verified};
use std::time::{Duration, Instant};

use jirasync_client::{
    BaseUrl, ClientOptions, Error, JiraClient, NewWebhook, RetryPolicy, WebhookApi, WebhookId,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MYSELF: &str = "/rest/api/2/myself";

async fn failing_then_ok(failure: ResponseTemplate, failures: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at(MYSELF)))
        .and(ValidSignature)
        .respond_with(failure)
        .up_to_n_times(failures)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(at(MYSELF)))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "admin"})))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn retries_get_with_fresh_nonce() {
    let server = failing_then_ok(ResponseTemplate::new(503), 1).await;

    let me = oauth_client(&server).myself().await.unwrap();

    assert_eq!(me.name.as_deref(), Some("admin"));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let (first, second) = (verified(&requests[0]), verified(&requests[1]));
    assert_ne!(first.nonce, second.nonce);
}

#[tokio::test]
async fn retries_get_on_429_honouring_retry_after() {
    let server = failing_then_ok(
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        2,
    )
    .await;
    oauth_client(&server).myself().await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn gives_up_after_the_last_attempt() {
    let server = failing_then_ok(ResponseTemplate::new(500), 10).await;
    let error = oauth_client(&server).myself().await.unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn does_not_wait_for_retry_after_beyond_the_cap() {
    let server = failing_then_ok(
        ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
        1,
    )
    .await;
    let error = oauth_client(&server).myself().await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn does_not_retry_client_errors() {
    let server = failing_then_ok(ResponseTemplate::new(404), 1).await;
    assert_eq!(
        oauth_client(&server).myself().await.unwrap_err().status(),
        Some(404)
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn retries_get_after_connection_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = BaseUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let policy =
        RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(1)).without_jitter();
    let client = JiraClient::new(
        &ClientOptions::new(base).retry(policy),
        common::oauth_credentials(),
    )
    .unwrap();

    let started = Instant::now();
    let error = client.myself().await.unwrap_err();

    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    // Two waits, 100 ms then 200 ms, show the two further attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn never_retries_post() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at("/rest/webhooks/1.0/webhook")))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let webhook = NewWebhook::issue_sync("n", "https://sync.example.com/hook/");

    let error = oauth_client(&server)
        .create_webhook(WebhookApi::Legacy, &webhook)
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(503));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn never_retries_delete() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let error = oauth_client(&server)
        .delete_webhook(WebhookApi::Legacy, &WebhookId::new("1"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
