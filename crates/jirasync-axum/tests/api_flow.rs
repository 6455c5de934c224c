//! The host API's happy paths: what an application writes is what it reads back, links and
//! configuration included.
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
use jirasync_domain::Host;
use jirasync_domain::issue::Assignee;
use serde_json::json;

use api_support::ApiWorld;

#[tokio::test]
async fn written_records_are_read_back_and_upserts_are_idempotent() {
    let world = ApiWorld::with_scene().await;
    let again = world
        .send(
            Method::PUT,
            "/api/v1/organizations/acme/issues",
            Some(json!({"items": [
                {"id": "I-1", "project": "shop", "status": "resolved", "assignee": {"team": "web"}},
                {"id": "I-2", "project": "shop"}
            ]})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, json!({"created": 1, "updated": 1}));

    let issue = world
        .send(Method::GET, "/api/v1/organizations/acme/issues/I-1", None)
        .await;
    assert_eq!(
        issue.body,
        json!({"id": "I-1", "project": "shop", "status": "resolved",
               "assignee": {"team": "web"}, "jira_links": []})
    );
    let user = world.send(Method::GET, "/api/v1/users/alice", None).await;
    assert_eq!(
        user.body,
        json!({"id": "alice", "active": true,
               "emails": [{"address": "alice@example.com", "verified": true}]})
    );
    let team = world
        .send(Method::GET, "/api/v1/organizations/acme/teams/web", None)
        .await;
    assert_eq!(
        team.body,
        json!({"id": "web", "name": "Web", "members": [{"user": "alice", "active": true}]})
    );
    let project = world
        .send(
            Method::GET,
            "/api/v1/organizations/acme/projects/shop",
            None,
        )
        .await;
    assert_eq!(
        project.body,
        json!({"id": "shop", "name": "Shop", "teams": ["web"]})
    );
    let members = world
        .send(Method::GET, "/api/v1/organizations/acme/members", None)
        .await;
    assert_eq!(members.body, json!({"users": ["alice", "bob"]}));
    let organization = world
        .send(Method::GET, "/api/v1/organizations/acme", None)
        .await;
    assert_eq!(
        organization.body,
        json!({"id": "acme", "name": "Acme",
               "features": {"issue_sync": true, "external_actors": true}})
    );
}

#[tokio::test]
async fn links_a_jira_issue_once_and_unlinks_it() {
    let world = ApiWorld::with_scene().await;
    let (_, integration) = world.with_integration().await;
    let path = "/api/v1/organizations/acme/issues/I-1/jira-links/APP-1";
    let first = world.send(Method::PUT, path, None).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    assert_eq!(
        first.body,
        json!({"integration": integration.get(), "key": "APP-1", "created": true})
    );
    let second = world
        .send(
            Method::PUT,
            &format!("{path}?integration={integration}"),
            None,
        )
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["created"], false);
    let issue = world
        .send(Method::GET, "/api/v1/organizations/acme/issues/I-1", None)
        .await;
    assert_eq!(
        issue.body["jira_links"],
        json!([{"integration": integration.get(), "key": "APP-1"}])
    );
    let gone = world.send(Method::DELETE, path, None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let issue = world
        .send(Method::GET, "/api/v1/organizations/acme/issues/I-1", None)
        .await;
    assert_eq!(issue.body["jira_links"], json!([]));
}

#[tokio::test]
async fn sync_flags_are_turned_on_through_patch_and_put() {
    let world = ApiWorld::with_scene().await;
    let (_, integration) = world.with_integration().await;
    let path = format!("/api/v1/organizations/acme/integrations/{integration}/config");
    let patched = world
        .send(
            Method::PATCH,
            &path,
            Some(json!({"sync_reverse_assignment": true, "sync_comments": false})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
    assert_eq!(patched.body["sync_reverse_assignment"], true);
    assert_eq!(patched.body["sync_status_reverse"], false);
    let put = world
        .send(
            Method::PUT,
            &path,
            Some(
                json!({"sync_reverse_assignment": false, "sync_status_reverse": true,
                "sync_forward_assignment": false, "sync_status_forward": false,
                "sync_comments": false, "resolution_strategy": "resolve_next_release"}),
            ),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:?}");
    let read = world.send(Method::GET, &path, None).await;
    assert_eq!(read.body, put.body);
    assert_eq!(read.body["resolution_strategy"], "resolve_next_release");
    let listed = world
        .send(Method::GET, "/api/v1/organizations/acme/integrations", None)
        .await;
    assert_eq!(listed.body[0]["integration"], integration.get());
    assert_eq!(listed.body[0]["config"], read.body);
}

#[tokio::test]
async fn deletes_cascade_to_what_refers_to_the_record() {
    let world = ApiWorld::with_scene().await;
    let (issue, _) = jirasync_domain::ApplicationData::app_issue(
        world.store.as_ref(),
        &"acme".into(),
        &"I-1".into(),
    )
    .await
    .unwrap()
    .unwrap();
    let before = world.store.issue(issue).await.unwrap().unwrap();
    assert!(matches!(before.assignee, Some(Assignee::User(_))));
    let deleted = world
        .send(Method::DELETE, "/api/v1/users/alice", None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        world.store.issue(issue).await.unwrap().unwrap().assignee,
        None
    );
    let deleted = world
        .send(
            Method::DELETE,
            "/api/v1/organizations/acme/projects/shop",
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(world.store.issue(issue).await.unwrap(), None);
    let deleted = world
        .send(Method::DELETE, "/api/v1/organizations/acme", None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let read = world
        .send(Method::GET, "/api/v1/organizations/acme", None)
        .await;
    assert_eq!(read.status, StatusCode::NOT_FOUND);
    assert_eq!(read.detail(), "not found: organization \"acme\"");
}
