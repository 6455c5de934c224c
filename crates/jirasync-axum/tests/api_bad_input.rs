//! Bad input on every host API route: no or a wrong token, malformed JSON, wrong types, unknown
//! members, batches over the limit, rule breaks and unknown references. Each case names the
//! status and the message it must get, and checks that the store is unchanged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[allow(dead_code)]
mod api_support;

use axum::http::{Method, StatusCode};
use jirasync_axum::api_routes;
use serde_json::{Value, json};

use api_support::{ApiWorld, TOKEN};

/// A refused request: what is sent, and the status and part of the message it must get.
struct Case {
    method: Method,
    path: &'static str,
    body: Body,
    status: StatusCode,
    message: &'static str,
}

enum Body {
    Json(Value),
    Raw(&'static str),
    Bytes(Vec<u8>),
}

fn case(
    method: Method,
    path: &'static str,
    body: Body,
    status: StatusCode,
    message: &'static str,
) -> Case {
    Case {
        method,
        path,
        body,
        status,
        message,
    }
}

fn items(count: usize, item: impl Fn(usize) -> Value) -> Value {
    json!({ "items": (0..count).map(item).collect::<Vec<_>>() })
}

/// Sends each case and checks its answer and that nothing changed.
async fn refuse_each(world: &ApiWorld, cases: Vec<Case>) {
    let before = world.snapshot().await;
    for case in cases {
        let body = match case.body {
            Body::Json(value) => value.to_string().into_bytes(),
            Body::Raw(text) => text.as_bytes().to_vec(),
            Body::Bytes(bytes) => bytes,
        };
        let answer = world
            .send_raw(
                case.method.clone(),
                case.path,
                Some(TOKEN),
                Some("application/json"),
                Some(body),
            )
            .await;
        assert_eq!(
            answer.status, case.status,
            "{} {}: {answer:?}",
            case.method, case.path
        );
        assert!(
            answer.detail().contains(case.message),
            "{} {}: {:?} should contain {:?}",
            case.method,
            case.path,
            answer.detail(),
            case.message
        );
        assert_eq!(
            world.snapshot().await,
            before,
            "{} {} changed the store",
            case.method,
            case.path
        );
    }
}

#[tokio::test]
async fn every_route_refuses_a_missing_or_wrong_token_and_changes_nothing() {
    let world = ApiWorld::with_scene().await;
    let before = world.snapshot().await;
    for (method, path) in api_routes() {
        if path == jirasync_axum::OPENAPI_PATH {
            continue;
        }
        let concrete = path
            .replace("{org}", "acme")
            .replace("{user}", "alice")
            .replace("{team}", "web")
            .replace("{project}", "shop")
            .replace("{issue}", "I-1")
            .replace("{integration}", "1")
            .replace("{key}", "APP-1");
        for token in [None, Some("not-the-token")] {
            let answer = world
                .send_raw(
                    method.clone(),
                    &concrete,
                    token,
                    Some("application/json"),
                    Some(b"{\"items\": []}".to_vec()),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{method} {concrete}"
            );
            let expected = match token {
                None => "Authentication credentials were not provided.",
                Some(_) => "Invalid token.",
            };
            assert_eq!(answer.detail(), expected);
        }
    }
    assert_eq!(world.snapshot().await, before);
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_the_json_path() {
    let world = ApiWorld::with_scene().await;
    let batch_routes = [
        "/api/v1/organizations",
        "/api/v1/users",
        "/api/v1/organizations/acme/members",
        "/api/v1/organizations/acme/teams",
        "/api/v1/organizations/acme/projects",
        "/api/v1/organizations/acme/issues",
    ];
    let mut cases = Vec::new();
    for path in batch_routes {
        cases.push(case(
            Method::PUT,
            path,
            Body::Raw("{\"items\": ["),
            StatusCode::BAD_REQUEST,
            "The body is not valid",
        ));
        cases.push(case(
            Method::PUT,
            path,
            Body::Json(json!({"items": "nope"})),
            StatusCode::BAD_REQUEST,
            "items: invalid type: string \"nope\", expected a sequence",
        ));
        cases.push(case(
            Method::PUT,
            path,
            Body::Json(json!({"items": [], "extra": 1})),
            StatusCode::BAD_REQUEST,
            "unknown field `extra`",
        ));
        cases.push(case(
            Method::PUT,
            path,
            Body::Json(json!([])),
            StatusCode::BAD_REQUEST,
            "The body is not valid",
        ));
    }
    cases.extend([
        case(
            Method::PUT,
            "/api/v1/users",
            Body::Json(json!({"items": [{"id": "carol", "active": "yes"}]})),
            StatusCode::BAD_REQUEST,
            "items[0].active: invalid type: string \"yes\", expected a boolean",
        ),
        case(
            Method::PUT,
            "/api/v1/users",
            Body::Json(json!({"items": [{"id": "carol", "emails": [{"address": "c@x.org"}]}]})),
            StatusCode::BAD_REQUEST,
            "items[0].emails[0]: missing field `verified`",
        ),
        case(
            Method::PUT,
            "/api/v1/users",
            Body::Json(json!({"items": [{"id": "carol", "nickname": "c"}]})),
            StatusCode::BAD_REQUEST,
            "items[0].nickname: unknown field `nickname`",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues",
            Body::Json(json!({"items": [{"id": "I-2", "project": "shop", "status": "done"}]})),
            StatusCode::BAD_REQUEST,
            "items[0].status: unknown variant `done`",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues",
            Body::Json(json!({"items": [{"id": "I-2", "project": "shop",
                "assignee": {"user": "alice", "team": "web"}}]})),
            StatusCode::BAD_REQUEST,
            "items[0].assignee",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues",
            Body::Json(json!({"items": [{"id": 7, "project": "shop"}]})),
            StatusCode::BAD_REQUEST,
            "items[0].id: invalid type: integer `7`, expected a string",
        ),
        case(
            Method::PATCH,
            "/api/v1/organizations/acme/integrations/1/config",
            Body::Json(json!({"sync_everything": true})),
            StatusCode::BAD_REQUEST,
            "unknown field `sync_everything`",
        ),
    ]);
    refuse_each(&world, cases).await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_415() {
    let world = ApiWorld::with_scene().await;
    let answer = world
        .send_raw(
            Method::PUT,
            "/api/v1/users",
            Some(TOKEN),
            Some("text/plain"),
            Some(b"{\"items\": []}".to_vec()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        answer.detail(),
        "Send the body as JSON with Content-Type: application/json."
    );
}

#[tokio::test]
async fn batches_over_the_limit_are_refused_with_the_limit() {
    let world = ApiWorld::with_scene().await;
    let message = "the batch has 1001 items, more than the limit of 1000";
    let cases = vec![
        case(
            Method::PUT,
            "/api/v1/users",
            Body::Json(items(1001, |n| json!({"id": format!("u{n}")}))),
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
        ),
        case(
            Method::PUT,
            "/api/v1/organizations",
            Body::Json(items(1001, |n| json!({"id": format!("o{n}"), "name": "o"}))),
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/members",
            Body::Json(items(1001, |n| json!({"user": format!("u{n}")}))),
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/teams",
            Body::Json(items(1001, |n| json!({"id": format!("t{n}"), "name": "t"}))),
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/projects",
            Body::Json(items(1001, |n| json!({"id": format!("p{n}"), "name": "p"}))),
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues",
            Body::Json(items(
                1001,
                |n| json!({"id": format!("i{n}"), "project": "shop"}),
            )),
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
        ),
        case(
            Method::PUT,
            "/api/v1/users",
            Body::Bytes(vec![b' '; jirasync_axum::API_BODY_LIMIT + 1]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "The body is larger than the limit of 4194304 bytes.",
        ),
    ];
    refuse_each(&world, cases).await;
}

#[tokio::test]
async fn items_breaking_a_rule_are_refused_with_422_and_their_path() {
    let world = ApiWorld::with_scene().await;
    let cases = vec![
        case(
            Method::PUT,
            "/api/v1/users",
            Body::Json(json!({"items": [{"id": "carol"}, {"id": ""}]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[1].id: the id is empty",
        ),
        case(
            Method::PUT,
            "/api/v1/users",
            Body::Json(json!({"items": [{"id": "carol"}, {"id": "carol"}]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[1].id: the id \"carol\" appears twice (first at items[0].id)",
        ),
        case(
            Method::PUT,
            "/api/v1/users",
            Body::Json(json!({"items": [{"id": "carol",
                "emails": [{"address": "carol", "verified": true}]}]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].emails[0].address: \"carol\" is not an e-mail address",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations",
            Body::Json(json!({"items": [{"id": "globex", "name": "  "}]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].name: the name is empty",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/teams",
            Body::Json(json!({"items": [{"id": "ops", "name": "Ops",
                "members": [{"user": "bob"}, {"user": "bob"}]}]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].members[1].user: the user \"bob\" appears twice",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues",
            Body::Json(json!({"items": [{"id": "I-2", "project": "shop\u{0}"}]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].project: the id contains a control character",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues/I-1/jira-links/not%20a%20key",
            Body::Raw(""),
            StatusCode::CONFLICT,
            "organization \"acme\" has no Jira integration",
        ),
    ];
    refuse_each(&world, cases).await;
}

#[tokio::test]
async fn unknown_references_are_refused_naming_which() {
    let world = ApiWorld::with_scene().await;
    let cases = vec![
        case(
            Method::PUT,
            "/api/v1/organizations/globex/issues",
            Body::Json(json!({"items": []})),
            StatusCode::NOT_FOUND,
            "organization \"globex\"",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues",
            Body::Json(json!({"items": [
                {"id": "I-2", "project": "shop"},
                {"id": "I-3", "project": "warehouse"}
            ]})),
            StatusCode::CONFLICT,
            "items[1].project: there is no project \"warehouse\" in organization \"acme\"",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues",
            Body::Json(json!({"items": [{"id": "I-2", "project": "shop",
                "assignee": {"user": "carol"}}]})),
            StatusCode::CONFLICT,
            "items[0].assignee.user: there is no user \"carol\"",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/members",
            Body::Json(json!({"items": [{"user": "bob"}, {"user": "carol"}]})),
            StatusCode::CONFLICT,
            "items[1].user: there is no user \"carol\"",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/projects",
            Body::Json(json!({"items": [{"id": "shop", "name": "Shop", "teams": ["web", "ops"]}]})),
            StatusCode::CONFLICT,
            "items[0].teams[1]: there is no team \"ops\" in organization \"acme\"",
        ),
        case(
            Method::DELETE,
            "/api/v1/users/carol",
            Body::Raw(""),
            StatusCode::NOT_FOUND,
            "user \"carol\"",
        ),
        case(
            Method::DELETE,
            "/api/v1/organizations/acme/issues/I-9",
            Body::Raw(""),
            StatusCode::NOT_FOUND,
            "issue \"I-9\" in organization \"acme\"",
        ),
        case(
            Method::DELETE,
            "/api/v1/organizations/acme/members/carol",
            Body::Raw(""),
            StatusCode::NOT_FOUND,
            "member \"carol\" in organization \"acme\"",
        ),
        case(
            Method::PATCH,
            "/api/v1/organizations/acme/integrations/99/config",
            Body::Json(json!({"sync_status_reverse": true})),
            StatusCode::NOT_FOUND,
            "organization \"acme\" has no link to integration 99",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues/I-9/jira-links/APP-1",
            Body::Raw(""),
            StatusCode::NOT_FOUND,
            "issue \"I-9\" in organization \"acme\"",
        ),
    ];
    refuse_each(&world, cases).await;
}

#[tokio::test]
async fn outbound_flags_and_bad_links_are_refused_once_an_integration_exists() {
    let world = ApiWorld::with_scene().await;
    let (_, integration) = world.with_integration().await;
    let path: &'static str = Box::leak(
        format!("/api/v1/organizations/acme/integrations/{integration}/config").into_boxed_str(),
    );
    let cases = vec![
        case(
            Method::PUT,
            path,
            Body::Json(json!({"sync_reverse_assignment": true})),
            StatusCode::BAD_REQUEST,
            "missing field `sync_status_reverse`",
        ),
        case(
            Method::PATCH,
            path,
            Body::Json(json!({"sync_status_reverse": "yes"})),
            StatusCode::BAD_REQUEST,
            "sync_status_reverse: invalid type: string \"yes\", expected a boolean",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues/I-1/jira-links/not%20a%20key",
            Body::Raw(""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "\"not a key\" is not a Jira issue key",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues/I-1/jira-links/APP-1?integration=77",
            Body::Raw(""),
            StatusCode::NOT_FOUND,
            "has no link to integration 77",
        ),
        case(
            Method::PUT,
            "/api/v1/organizations/acme/issues/I-1/jira-links/APP-1?integration=x",
            Body::Raw(""),
            StatusCode::BAD_REQUEST,
            "integration: invalid digit",
        ),
        case(
            Method::DELETE,
            "/api/v1/organizations/acme/issues/I-1/jira-links/APP-1",
            Body::Raw(""),
            StatusCode::NOT_FOUND,
            "not found",
        ),
    ];
    refuse_each(&world, cases).await;
}
