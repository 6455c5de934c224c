//! Webhook registration on both endpoint generations, and idempotent `ensure_webhook`.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};

use common::{ValidSignature, at, oauth_client, verified};
use jirasync_client::{Error, NewWebhook, WebhookAction, WebhookApi, WebhookId};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const LEGACY: &str = "/rest/webhooks/1.0/webhook";
const JIRA10: &str = "/rest/jira-webhook/1.0/webhooks";
const HOOK_URL: &str = "https://sync.example.com/extensions/jira-server/issue-updated/abc.def.ghi/";

fn new_webhook() -> NewWebhook {
    NewWebhook::issue_sync("jirasync Issue Sync", HOOK_URL)
}

async fn jira_version(server: &MockServer, version: &str) {
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/serverInfo")))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": version})))
        .mount(server)
        .await;
}

async fn listing(server: &MockServer, endpoint: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(at(endpoint)))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

fn legacy_hook(id: u32, url: &str) -> Value {
    json!({
        "name": "jirasync Issue Sync", "url": url, "events": ["jira:issue_created", "jira:issue_updated"],
        "filters": {"issue-related-events-section": ""}, "excludeBody": false,
        "self": format!("http://jira/rest/webhooks/1.0/webhook/{id}"), "lastUpdatedUser": "admin", "enabled": true
    })
}

#[tokio::test]
async fn creates_on_legacy_endpoint_up_to_jira_9() {
    let server = MockServer::start().await;
    jira_version(&server, "9.12.2").await;
    listing(&server, LEGACY, json!([])).await;
    Mock::given(method("POST"))
        .and(path(at(LEGACY)))
        .and(ValidSignature)
        .and(body_json(json!({
            "name": "jirasync Issue Sync", "url": HOOK_URL,
            "events": ["jira:issue_created", "jira:issue_updated"]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(legacy_hook(5, HOOK_URL)))
        .expect(1)
        .mount(&server)
        .await;

    let outcome = oauth_client(&server)
        .ensure_webhook(&new_webhook())
        .await
        .unwrap();

    assert_eq!(outcome.api, WebhookApi::Legacy);
    assert_eq!(outcome.action, WebhookAction::Created);
    assert_eq!(outcome.webhook.unwrap().id, Some(WebhookId::new("5")));
    let requests = server.received_requests().await.unwrap();
    let post = requests
        .iter()
        .find(|request| request.method.as_str() == "POST")
        .unwrap();
    assert_eq!(
        post.headers.get("content-type").unwrap(),
        "application/json"
    );
    // The JSON body is not part of the signature, and the signature still verifies.
    assert!(!verified(post).base_string.contains("events"));
}

#[tokio::test]
async fn creates_on_jira10_endpoint_and_accepts_204() {
    let server = MockServer::start().await;
    jira_version(&server, "10.0.1").await;
    listing(&server, JIRA10, json!([])).await;
    Mock::given(method("POST"))
        .and(path(at(JIRA10)))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let outcome = oauth_client(&server)
        .ensure_webhook(&new_webhook())
        .await
        .unwrap();

    assert_eq!(outcome.api, WebhookApi::Jira10);
    assert_eq!(outcome.action, WebhookAction::Created);
    assert_eq!(outcome.webhook, None);
}

#[tokio::test]
async fn refusal_reports_jiras_first_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at(LEGACY)))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "messages": [{"key": "You do not have permission to create WebHook 'jirasync Issue Sync'."}]
        })))
        .mount(&server)
        .await;

    let error = oauth_client(&server)
        .create_webhook(WebhookApi::Legacy, &new_webhook())
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "Could not create issue webhook in Jira. You do not have permission to create WebHook 'jirasync Issue Sync'."
    );
    assert_eq!(error.status(), Some(403));
}

#[tokio::test]
async fn refusal_without_json_still_explains() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at(JIRA10)))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad things"))
        .mount(&server)
        .await;

    let error = oauth_client(&server)
        .create_webhook(WebhookApi::Jira10, &new_webhook())
        .await
        .unwrap_err();

    let message = error.to_string();
    assert!(
        message.starts_with("Could not create issue webhook in Jira. "),
        "{message}"
    );
    assert!(message.contains("HTTP 502"), "{message}");
}

#[tokio::test]
async fn reuses_existing_webhook_and_creates_nothing() {
    let server = MockServer::start().await;
    jira_version(&server, "9.4.0").await;
    listing(
        &server,
        LEGACY,
        json!([
            legacy_hook(1, "https://other.example.com/"),
            legacy_hook(2, HOOK_URL)
        ]),
    )
    .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;

    let outcome = oauth_client(&server)
        .ensure_webhook(&new_webhook())
        .await
        .unwrap();

    assert_eq!(outcome.action, WebhookAction::Reused);
    assert_eq!(outcome.webhook.unwrap().id, Some(WebhookId::new("2")));
    assert!(outcome.duplicates_removed.is_empty());
}

#[tokio::test]
async fn removes_duplicates_of_the_same_url() {
    let server = MockServer::start().await;
    jira_version(&server, "9.4.0").await;
    listing(
        &server,
        LEGACY,
        json!([
            legacy_hook(3, HOOK_URL),
            legacy_hook(4, "https://other.example.com/"),
            legacy_hook(7, HOOK_URL),
            legacy_hook(9, HOOK_URL)
        ]),
    )
    .await;
    for id in [7, 9] {
        Mock::given(method("DELETE"))
            .and(path(at(&format!("{LEGACY}/{id}"))))
            .and(ValidSignature)
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }

    let outcome = oauth_client(&server)
        .ensure_webhook(&new_webhook())
        .await
        .unwrap();

    assert_eq!(outcome.action, WebhookAction::Reused);
    assert_eq!(outcome.webhook.unwrap().id, Some(WebhookId::new("3")));
    assert_eq!(
        outcome.duplicates_removed,
        vec![WebhookId::new("7"), WebhookId::new("9")]
    );
}

/// A Jira 10 webhook resource that remembers what was created.
#[derive(Clone, Default)]
struct RememberingWebhooks(Arc<Mutex<Vec<Value>>>);

impl Respond for RememberingWebhooks {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut hooks = self.0.lock().unwrap();
        match request.method.as_str() {
            "POST" => {
                let mut created: Value = request.body_json().unwrap();
                created["id"] = json!(hooks.len() + 1);
                hooks.push(created.clone());
                ResponseTemplate::new(201).set_body_json(created)
            }
            _ => ResponseTemplate::new(200).set_body_json(json!({ "values": *hooks })),
        }
    }
}

#[tokio::test]
async fn ensuring_twice_makes_one_webhook() {
    let server = MockServer::start().await;
    jira_version(&server, "10.3.0").await;
    let store = RememberingWebhooks::default();
    Mock::given(path(at(JIRA10)))
        .and(ValidSignature)
        .respond_with(store.clone())
        .mount(&server)
        .await;
    let client = oauth_client(&server);

    let first = client.ensure_webhook(&new_webhook()).await.unwrap();
    let second = client.ensure_webhook(&new_webhook()).await.unwrap();

    assert_eq!(first.action, WebhookAction::Created);
    assert_eq!(second.action, WebhookAction::Reused);
    assert_eq!(second.webhook.unwrap().id, Some(WebhookId::new("1")));
    assert_eq!(store.0.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn lists_and_deletes_on_jira10_endpoint() {
    let server = MockServer::start().await;
    listing(
        &server,
        JIRA10,
        json!([{"id": "12", "name": "n", "url": HOOK_URL, "events": [], "active": false}]),
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path(at(&format!("{JIRA10}/12"))))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let client = oauth_client(&server);

    let hooks = client.list_webhooks(WebhookApi::Jira10).await.unwrap();
    assert_eq!(hooks[0].enabled, Some(false));
    client
        .delete_webhook(WebhookApi::Jira10, hooks[0].id.as_ref().unwrap())
        .await
        .unwrap();
}

#[tokio::test]
async fn unreadable_server_version_stops_registration() {
    let server = MockServer::start().await;
    jira_version(&server, "unknown").await;
    let error = oauth_client(&server)
        .ensure_webhook(&new_webhook())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Could not create issue webhook in Jira."),
        "{error}"
    );
    let Error::WebhookNotCreated { source, .. } = error else {
        panic!()
    };
    assert!(matches!(*source, Error::UnknownServerVersion { .. }));
}
