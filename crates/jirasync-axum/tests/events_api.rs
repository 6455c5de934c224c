//! The events API over HTTP: subscribers created, listed, rotated and removed; bad input on
//! every route refused with a precise 4xx and nothing stored; the long-poll feed; the OpenAPI
//! document covering every route.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode};
use jirasync_axum::{AdminToken, EVENTS_OPENAPI_PATH, EventsApiDoc, EventsState, events_router};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::{EventStore, InMemoryStore, IssueLinkStore, Seed};
use jirasync_service::SystemClock;
use jirasync_service::events::EventFeed;
use jirasync_webhook::IssueKey;
use serde_json::{Value, json};
use tower::ServiceExt;
use utoipa::OpenApi;

const TOKEN: &str = "admin-token-for-tests";

fn app(store: &Arc<InMemoryStore>) -> Router {
    let feed = EventFeed::new(store.clone()).with_poll(Duration::from_millis(20));
    events_router(
        EventsState::new(feed, Arc::new(SystemClock), AdminToken::new(TOKEN).unwrap())
            .with_max_wait(Duration::from_secs(30)),
    )
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(body.map_or_else(Body::empty, |body| Body::from(body.to_owned())))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, value)
}

async fn admin(app: &Router, method: Method, uri: &str, body: Option<&str>) -> (StatusCode, Value) {
    call(app, method, uri, body, Some(TOKEN)).await
}

/// One organization, an integration it is linked to, and one local issue.
async fn scene(store: &InMemoryStore) -> (OrganizationId, IntegrationId, LocalIssueId) {
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let integration = store
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
    store
        .seed_organization_integration(
            organization,
            integration,
            LinkStatus::Active,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    let project = store.seed_project(organization, "web").await.unwrap();
    let issue = store
        .seed_local_issue(project, ResolutionStatus::Unresolved, None)
        .await
        .unwrap();
    (organization, integration, issue)
}

#[tokio::test]
async fn creates_lists_rotates_and_deletes_a_subscription() {
    let store = Arc::new(InMemoryStore::new());
    let app = app(&store);
    let (status, created) = admin(
        &app,
        Method::POST,
        "/api/v1/subscriptions",
        Some(r#"{"url": "https://app.example.com/hooks", "description": "the app"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_u64().unwrap();
    let first = created["secret"].as_str().unwrap().to_owned();
    assert!(first.starts_with("whsec_"));
    assert_eq!(created["url"], "https://app.example.com/hooks");
    assert_eq!(created["previous_secret_active"], false);

    let (status, listed) = admin(&app, Method::GET, "/api/v1/subscriptions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["subscriptions"].as_array().unwrap().len(), 1);
    assert!(
        listed["subscriptions"][0].get("secret").is_none(),
        "secrets are not listed"
    );

    let given = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let (status, rotated) = admin(
        &app,
        Method::POST,
        &format!("/api/v1/subscriptions/{id}/rotate"),
        Some(&json!({ "secret": given }).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(rotated["secret"], given);
    assert_eq!(rotated["previous_secret_active"], true);
    let stored = store
        .subscriber(jirasync_domain::events::SubscriberId::new(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.previous_secret.unwrap().expose_secret(), first);

    let (status, _) = admin(
        &app,
        Method::DELETE,
        &format!("/api/v1/subscriptions/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = admin(
        &app,
        Method::DELETE,
        &format!("/api/v1/subscriptions/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["detail"], format!("not found: subscriber {id}"));
}

/// A request (method, path, body, token) and the status and detail it gets.
type Case<'a> = (
    Method,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    StatusCode,
    &'a str,
);

#[tokio::test]
async fn bad_input_on_every_route_is_refused_and_nothing_is_stored() {
    let store = Arc::new(InMemoryStore::new());
    let app = app(&store);
    let subscriptions = "/api/v1/subscriptions";
    let cases: &[Case<'_>] = &[
        // Missing or wrong token, on every route.
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url":"https://a.example"}"#),
            None,
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        ),
        (
            Method::GET,
            subscriptions,
            None,
            None,
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        ),
        (
            Method::DELETE,
            "/api/v1/subscriptions/1",
            None,
            Some("wrong"),
            StatusCode::UNAUTHORIZED,
            "Invalid token.",
        ),
        (
            Method::POST,
            "/api/v1/subscriptions/1/rotate",
            Some("{}"),
            Some("wrong"),
            StatusCode::UNAUTHORIZED,
            "Invalid token.",
        ),
        (
            Method::GET,
            "/api/v1/events",
            None,
            None,
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        ),
        // Malformed JSON, wrong types, unknown or missing members.
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "#),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "The body is not valid: url: EOF while parsing a value at line 1 column 8.",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": 5}"#),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "The body is not valid: url: invalid type: integer `5`, expected a string at line 1 column 9.",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "https://a.example", "events": []}"#),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "The body is not valid: events: unknown field `events`, expected one of `url`, `description`, `secret` at line 1 column 37.",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"description": "x"}"#),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "The body is not valid: missing field `url` at line 1 column 20.",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "https://a.example", "secret": 7}"#),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "The body is not valid: secret: invalid type: integer `7`, expected a string at line 1 column 40.",
        ),
        // Bad URLs and secrets.
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "ftp://a.example/x"}"#),
            Some(TOKEN),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url: a subscriber URL must use http or https, not \"ftp\"",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "file:///etc/passwd"}"#),
            Some(TOKEN),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url: a subscriber URL must use http or https, not \"file\"",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "javascript:alert(1)"}"#),
            Some(TOKEN),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url: a subscriber URL must use http or https, not \"javascript\"",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "https://u:p@a.example/"}"#),
            Some(TOKEN),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url: a subscriber URL must not hold a user name or password",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "a.example/hook"}"#),
            Some(TOKEN),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url: \"a.example/hook\" is not an absolute URL (relative URL without a base)",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "https://a.example", "secret": "s3cret"}"#),
            Some(TOKEN),
            StatusCode::UNPROCESSABLE_ENTITY,
            "secret: a signing secret starts with \"whsec_\" followed by base64",
        ),
        (
            Method::POST,
            subscriptions,
            Some(r#"{"url": "https://a.example", "secret": "whsec_c2hvcnQ="}"#),
            Some(TOKEN),
            StatusCode::UNPROCESSABLE_ENTITY,
            "secret: a signing secret holds 24 to 64 bytes of key; this one holds 5",
        ),
        // Unknown or malformed subscriber ids.
        (
            Method::DELETE,
            "/api/v1/subscriptions/abc",
            None,
            Some(TOKEN),
            StatusCode::NOT_FOUND,
            "no subscriber \"abc\": ids are positive numbers",
        ),
        (
            Method::DELETE,
            "/api/v1/subscriptions/0",
            None,
            Some(TOKEN),
            StatusCode::NOT_FOUND,
            "no subscriber \"0\": ids are positive numbers",
        ),
        (
            Method::POST,
            "/api/v1/subscriptions/9/rotate",
            Some("{}"),
            Some(TOKEN),
            StatusCode::NOT_FOUND,
            "not found: subscriber 9",
        ),
        (
            Method::POST,
            "/api/v1/subscriptions/9/rotate",
            Some(r#"{"secrets": []}"#),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "The body is not valid: secrets: unknown field `secrets`, expected `secret` at line 1 column 10.",
        ),
        // The feed's query.
        (
            Method::GET,
            "/api/v1/events?after=-3",
            None,
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "after: \"-3\" is not a cursor (a whole number from 0)",
        ),
        (
            Method::GET,
            "/api/v1/events?wait=31",
            None,
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "wait: 31 is out of range: from 0 to 30 seconds",
        ),
        (
            Method::GET,
            "/api/v1/events?limit=5000",
            None,
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "limit: 5000 is out of range: from 1 to 1000",
        ),
        (
            Method::GET,
            "/api/v1/events?since=1",
            None,
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "unknown query parameter \"since\": use after, limit and wait",
        ),
    ];
    let mut wrong = Vec::new();
    for (method, uri, body, token, status, detail) in cases {
        let (got, answer) = call(&app, method.clone(), uri, *body, *token).await;
        if got != *status || answer["detail"] != *detail {
            wrong.push(format!("{method} {uri} {body:?}: {got} {answer}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Not JSON at all.
    let request = Request::post(subscriptions)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "text/plain")
        .body(Body::from("url=https://a.example"))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        store.subscribers().await.unwrap().is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn the_feed_returns_events_after_a_cursor_and_waits_for_new_ones() {
    let store = Arc::new(InMemoryStore::new());
    let (organization, integration, issue) = scene(&store).await;
    let app = app(&store);
    store
        .link_issue(organization, integration, &IssueKey::new("APP-1"), issue)
        .await
        .unwrap();
    let (status, page) = admin(&app, Method::GET, "/api/v1/events", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    let event = &page["events"][0];
    assert_eq!(event["type"], "issue.linked");
    assert_eq!(event["organization_id"], organization.get());
    assert_eq!(event["data"]["jira_key"], "APP-1");
    assert_eq!(event["data"]["issue_id"], issue.get());
    assert_eq!(event["data"]["source"], "operator");
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    let cursor = page["cursor"].as_u64().unwrap();

    // Long poll: nothing after the cursor yet; the unlink arrives while it waits.
    let waiting = {
        let app = app.clone();
        tokio::spawn(async move {
            admin(
                &app,
                Method::GET,
                &format!("/api/v1/events?after={cursor}&wait=20"),
                None,
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    store
        .unlink_issue(organization, integration, &IssueKey::new("APP-1"), issue)
        .await
        .unwrap();
    let (status, page) = tokio::time::timeout(Duration::from_secs(15), waiting)
        .await
        .expect("the long poll was not woken")
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["events"][0]["type"], "issue.unlinked");
    assert_eq!(page["cursor"].as_u64().unwrap(), cursor + 1);
    // A poll that times out answers empty with the same cursor.
    let after = cursor + 1;
    let (status, page) = admin(
        &app,
        Method::GET,
        &format!("/api/v1/events?after={after}&wait=0"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page, json!({"events": [], "cursor": after}));
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_and_event_type() {
    let document = serde_json::to_value(EventsApiDoc::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/subscriptions", &["get", "post"][..]),
        ("/api/v1/subscriptions/{id}", &["delete"][..]),
        ("/api/v1/subscriptions/{id}/rotate", &["post"][..]),
        ("/api/v1/events", &["get"][..]),
    ] {
        for method in methods {
            assert!(
                paths[path].get(*method).is_some(),
                "{method} {path} is not documented"
            );
        }
    }
    assert_eq!(
        paths.len(),
        4,
        "a documented route the router lacks, or the reverse"
    );
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let payload = serde_json::to_string(&schemas["EventPayload"]).unwrap();
    for event_type in jirasync_domain::events::EventType::ALL {
        assert!(
            payload.contains(event_type.as_str()),
            "{event_type} is not in the schema"
        );
    }
    // The router serves the same document, without a token.
    let store = Arc::new(InMemoryStore::new());
    let (status, served) = call(&app(&store), Method::GET, EVENTS_OPENAPI_PATH, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, document);
}
