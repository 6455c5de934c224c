//! The OpenAPI document against the router: every route registered is documented with its
//! method, every documented route is registered, and the document is served without the token.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[allow(dead_code)]
mod api_support;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use jirasync_axum::{OPENAPI_PATH, api_document, api_routes};

use api_support::ApiWorld;

/// (method, path) of every operation of the host API's document.
fn documented() -> BTreeSet<(String, String)> {
    operations(&api_document())
}

/// (method, path) of every operation of `document`.
fn operations(document: &utoipa::openapi::OpenApi) -> BTreeSet<(String, String)> {
    let document = serde_json::to_value(document).unwrap();
    let paths = document["paths"].as_object().unwrap();
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| ["get", "put", "patch", "post", "delete"].contains(&key.as_str()))
                .map(|method| (method.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn routed() -> BTreeSet<(String, String)> {
    api_routes()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_owned()))
        .collect()
}

#[test]
fn every_route_of_the_router_is_documented_and_every_documented_route_is_routed() {
    let routed = routed();
    let documented = documented();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented routes the router lacks: {unrouted:?}"
    );
    assert_eq!(routed.len(), api_routes().len(), "a route is listed twice");
}

/// The document `jirasync serve` serves documents the events routes too (which
/// `events_api.rs` compares with the events router): every operation of both, nothing else.
#[test]
fn the_served_document_has_the_host_api_and_the_events_api() {
    use utoipa::OpenApi as _;
    let events = operations(&jirasync_axum::EventsApiDoc::openapi());
    assert!(events.contains(&("GET".to_owned(), "/api/v1/events".to_owned())));
    let expected: BTreeSet<_> = routed().union(&events).cloned().collect();
    assert_eq!(operations(&jirasync_axum::v1_document()), expected);
}

/// The list the test above compares is the router's: each of its routes is answered by the
/// router (401 without the token, the document itself 200), never 404 or 405.
#[tokio::test]
async fn the_router_answers_every_listed_route() {
    let world = ApiWorld::empty();
    for (method, path) in api_routes() {
        let concrete = path
            .replace("{integration}", "1")
            .replace("{key}", "APP-1")
            .replace(['{', '}'], "");
        let answer = world
            .send_raw(method.clone(), &concrete, None, None, None)
            .await;
        let expected = if path == OPENAPI_PATH {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(answer.status, expected, "{method} {concrete}: {answer:?}");
    }
}

#[tokio::test]
async fn the_document_is_served_without_the_token_and_declares_the_bearer_scheme() {
    let world = ApiWorld::empty();
    let answer = world
        .send_raw(Method::GET, OPENAPI_PATH, None, None, None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.body["openapi"].as_str().unwrap().starts_with("3.1"),
        "{:?}",
        answer.body["openapi"]
    );
    assert_eq!(
        answer.body["components"]["securitySchemes"]["admin_token"]["scheme"],
        "bearer"
    );
    assert_eq!(
        answer.body["security"][0]["admin_token"],
        serde_json::json!([])
    );
    // Every operation but the document's own needs the token.
    assert_eq!(
        answer.body["paths"][OPENAPI_PATH]["get"]["security"],
        serde_json::json!([{}])
    );
}
