//! Local issues through the admin API: linking a Jira key, unlinking it, and reading an issue
//! with its assignee, status and activities.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod admin_support;
mod support;

use admin_support::{AdminWorld, DOES_NOT_EXIST, TOKEN};
use axum::http::StatusCode;
use jirasync_axum::{AdminState, AdminToken, admin_router};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::{IssueLinkStore, Seed, StaticJiraDirectory};
use jirasync_webhook::IssueKey;
use serde_json::json;

fn links_path(world: &AdminWorld) -> String {
    format!(
        "/api/0/organizations/{}/issues/{}/external-issues/",
        world.org, world.world.issue
    )
}

fn issue_path(world: &AdminWorld) -> String {
    format!(
        "/api/0/organizations/{}/issues/{}/",
        world.org, world.world.issue
    )
}

async fn linked_to(world: &AdminWorld, key: &str) -> bool {
    world
        .world
        .store
        .linked_issues(
            world.world.integration_id,
            &IssueKey::new(key),
            &[world.org],
        )
        .await
        .unwrap()
        .iter()
        .any(|linked| linked.local_issue_id == world.world.issue)
}

#[tokio::test]
async fn links_a_key_with_201_then_200() {
    let world = AdminWorld::new().await;
    let body = json!({"integrationId": world.world.integration_id.get(), "key": "APP-7"});
    let created = world
        .call("POST", &links_path(&world), Some(body.clone()))
        .await;
    created.assert_status(StatusCode::CREATED);
    assert_eq!(created.json["key"], "APP-7");
    assert_eq!(
        created.json["integrationId"],
        world.world.integration_id.to_string()
    );
    assert_eq!(created.json["localIssueId"], world.world.issue.to_string());
    assert!(linked_to(&world, "APP-7").await);

    let again = world.call("POST", &links_path(&world), Some(body)).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.json, created.json);
}

#[tokio::test]
async fn a_text_that_is_not_a_key_is_400_with_the_rule_message() {
    let world = AdminWorld::new().await;
    world
        .assert_refused(
            "POST",
            &links_path(&world),
            Some(json!({"integrationId": world.world.integration_id.get(), "key": "APP 7"})),
            400,
            "\"APP 7\" is not a Jira issue key: a key is a project key, a hyphen and the issue's \
             number, e.g. SHOP-12",
        )
        .await;
}

#[tokio::test]
async fn a_link_body_with_an_unknown_member_is_400() {
    let world = AdminWorld::new().await;
    world
        .assert_refused(
            "POST",
            &links_path(&world),
            Some(json!({"integrationId": 1, "key": "APP-7", "keys": ["APP-8"]})),
            400,
            "The body is not valid: keys: unknown field `keys`, expected `integrationId` or `key` \
             at line 1 column 39.",
        )
        .await;
}

#[tokio::test]
async fn linking_an_issue_of_another_organization_or_without_a_link_is_404() {
    let world = AdminWorld::new().await;
    let integration = world.world.integration_id.get();
    // The issue belongs to acme; initech is linked to the integration but does not own it.
    let other_org = format!(
        "/api/0/organizations/{}/issues/{}/external-issues/",
        world.no_feature_org, world.world.issue
    );
    let unparsable = format!(
        "/api/0/organizations/{}/issues/x/external-issues/",
        world.org
    );
    for (path, integration) in [
        (other_org, integration),
        (links_path(&world), 77),
        (unparsable, integration),
    ] {
        let before = world.snapshot().await;
        let answer = world
            .call(
                "POST",
                &path,
                Some(json!({"integrationId": integration, "key": "APP-7"})),
            )
            .await;
        answer.assert_status(StatusCode::NOT_FOUND);
        assert!(answer.detail().starts_with("not found: ") || answer.detail() == DOES_NOT_EXIST);
        assert_eq!(world.snapshot().await, before, "{path}");
    }
}

#[tokio::test]
async fn unlinks_a_key_with_204() {
    let world = AdminWorld::new().await;
    let path = format!(
        "{}APP-123/?integrationId={}",
        links_path(&world),
        world.world.integration_id
    );
    let answer = world.call("DELETE", &path, None).await;
    answer.assert_status(StatusCode::NO_CONTENT);
    assert!(!linked_to(&world, "APP-123").await);
    let again = world.call("DELETE", &path, None).await;
    again.assert_status(StatusCode::NOT_FOUND);
    assert!(again.detail().starts_with("not found: "), "{}", again.text);
}

#[tokio::test]
async fn an_unlink_without_a_usable_integration_id_or_key_is_400() {
    let world = AdminWorld::new().await;
    let base = format!("{}APP-123/", links_path(&world));
    world
        .assert_refused(
            "DELETE",
            &base,
            None,
            400,
            "The query parameter integrationId is required, e.g. ?integrationId=1.",
        )
        .await;
    world
        .assert_refused(
            "DELETE",
            &format!("{base}?integrationId=one"),
            None,
            400,
            "The query parameter integrationId must be a number, found \"one\".",
        )
        .await;
    world
        .assert_refused(
            "DELETE",
            &format!(
                "{}APP/?integrationId={}",
                links_path(&world),
                world.world.integration_id
            ),
            None,
            400,
            "\"APP\" is not a Jira issue key: a key is a project key, a hyphen and the issue's \
             number, e.g. SHOP-12",
        )
        .await;
}

#[tokio::test]
async fn reads_an_issue_with_its_assignee_status_and_activities() {
    let world = AdminWorld::new().await;
    let fresh = world.call("GET", &issue_path(&world), None).await;
    fresh.assert_status(StatusCode::OK);
    let linked = world
        .world
        .store
        .external_issues_of(world.world.issue)
        .await
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(
        fresh.json,
        json!({
            "id": world.world.issue.to_string(),
            "projectId": world.world.local_issue().await.project_id.to_string(),
            "status": "unresolved",
            "assignee": null,
            "externalIssues": [{
                "id": linked[0].id.to_string(),
                "key": "APP-123",
                "integrationId": world.world.integration_id.to_string(),
                "localIssueId": world.world.issue.to_string(),
            }],
            "activities": [],
        })
    );

    let webhook = jirasync_axum::router(world.world.inline(StaticJiraDirectory::new()));
    support::post(
        &webhook,
        &world.world.path(),
        support::fixture("assignee_set.json"),
    )
    .await
    .assert_status(StatusCode::OK);
    let answer = world.call("GET", &issue_path(&world), None).await;
    answer.assert_status(StatusCode::OK);
    let jess = world.world.jess.to_string();
    assert_eq!(answer.json["assignee"], json!({"type": "user", "id": jess}));
    let activities = answer.json["activities"].as_array().unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0]["type"], "assigned");
    assert_eq!(activities[0]["occurredAt"], "2023-01-01T00:00:00Z");
    assert_eq!(
        activities[0]["data"],
        json!({
            "provider": "Jira Server",
            "providerKey": "jira_server",
            "integrationId": world.world.integration_id.to_string(),
            "assignee": {"type": "user", "id": jess},
            "syncSource": world.world.integration_id.to_string(),
        })
    );
}

#[tokio::test]
async fn reads_a_resolved_issue_assigned_to_a_team() {
    let world = AdminWorld::new().await;
    let project = world.world.local_issue().await.project_id;
    let issue = world
        .world
        .store
        .seed_local_issue(
            project,
            ResolutionStatus::Resolved,
            Some(Assignee::Team(world.team)),
        )
        .await
        .unwrap();
    let answer = world
        .call(
            "GET",
            &format!("/api/0/organizations/{}/issues/{issue}/", world.org),
            None,
        )
        .await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.json["status"], "resolved");
    assert_eq!(
        answer.json["assignee"],
        json!({"type": "team", "id": world.team.to_string()})
    );
}

#[tokio::test]
async fn an_issue_of_another_organization_or_unknown_is_404() {
    let world = AdminWorld::new().await;
    for path in [
        format!(
            "/api/0/organizations/{}/issues/{}/",
            world.other_org, world.world.issue
        ),
        format!("/api/0/organizations/{}/issues/4242/", world.org),
        format!("/api/0/organizations/{}/issues/first/", world.org),
    ] {
        world
            .assert_refused("GET", &path, None, 404, DOES_NOT_EXIST)
            .await;
    }
}

#[tokio::test]
async fn without_local_issues_an_issue_cannot_be_read_but_can_be_linked() {
    let mut world = AdminWorld::new().await;
    // An application that keeps its issues itself gives the admin API no local issues.
    let store = world.world.store.clone();
    let state = AdminState::new(store.clone(), store, AdminToken::new(TOKEN).unwrap());
    world.app = admin_router(state);

    world
        .assert_refused("GET", &issue_path(&world), None, 404, DOES_NOT_EXIST)
        .await;
    let body = json!({"integrationId": world.world.integration_id.to_string(), "key": "APP-9"});
    world
        .call("POST", &links_path(&world), Some(body))
        .await
        .assert_status(StatusCode::CREATED);
    assert!(linked_to(&world, "APP-9").await);
}
