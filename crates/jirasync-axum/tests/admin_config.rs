//! Organizations, their integrations and the sync configuration of a link; the body checks
//! every admin route shares (content type, size, malformed JSON) and path ids.
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
use jirasync_axum::ADMIN_BODY_LIMIT;
use serde_json::json;

fn config_path(world: &AdminWorld) -> String {
    format!(
        "/api/0/organizations/{}/integrations/{}/config/",
        world.org, world.world.integration_id
    )
}

#[tokio::test]
async fn lists_organizations_with_their_features() {
    let world = AdminWorld::new().await;
    let answer = world.call("GET", "/api/0/organizations/", None).await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(
        answer.json[0],
        json!({"id": world.org.to_string(), "name": "acme",
               "features": {"issueSync": true, "externalActors": true}})
    );
    assert_eq!(answer.json[2]["name"], "initech");
    assert_eq!(answer.json[2]["features"]["externalActors"], false);
    assert_eq!(answer.json.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn lists_the_links_of_an_organization_with_their_config() {
    let world = AdminWorld::new().await;
    let answer = world
        .call(
            "GET",
            &format!("/api/0/organizations/{}/integrations/", world.org),
            None,
        )
        .await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(
        answer.json,
        json!([{
            "integrationId": world.world.integration_id.to_string(),
            "provider": "jira_server",
            "name": "jirasync",
            "externalId": "jira.example.com:jirasync",
            "baseUrl": "https://jira.example.com",
            "status": "active",
            "config": {
                "sync_reverse_assignment": true, "sync_status_reverse": true,
                "sync_forward_assignment": true, "sync_status_forward": true,
                "sync_comments": true, "resolution_strategy": "resolve"
            }
        }])
    );
    assert!(!answer.text.contains("webhook-secret-for-tests"));

    let unlinked = world
        .call(
            "GET",
            &format!("/api/0/organizations/{}/integrations/", world.other_org),
            None,
        )
        .await;
    unlinked.assert_status(StatusCode::OK);
    assert_eq!(unlinked.json, json!([]));
}

#[tokio::test]
async fn an_unknown_or_unparsable_organization_is_404() {
    let world = AdminWorld::new().await;
    for org in ["999", "acme", "-1"] {
        let answer = world
            .call(
                "GET",
                &format!("/api/0/organizations/{org}/integrations/"),
                None,
            )
            .await;
        answer.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(answer.detail(), DOES_NOT_EXIST);
    }
}

#[tokio::test]
async fn reads_the_config_of_a_link() {
    let world = AdminWorld::new().await;
    let answer = world.call("GET", &config_path(&world), None).await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.json["sync_reverse_assignment"], true);
    assert_eq!(answer.json["resolution_strategy"], "resolve");
}

#[tokio::test]
async fn a_partial_put_changes_only_the_keys_given() {
    let world = AdminWorld::new().await;
    let answer = world
        .call(
            "PUT",
            &config_path(&world),
            Some(json!({"sync_comments": false, "resolution_strategy": "resolve_next_release"})),
        )
        .await;
    answer.assert_status(StatusCode::OK);
    let expected = json!({
        "sync_reverse_assignment": true, "sync_status_reverse": true,
        "sync_forward_assignment": true, "sync_status_forward": true,
        "sync_comments": false, "resolution_strategy": "resolve_next_release"
    });
    assert_eq!(answer.json, expected);
    let read = world.call("GET", &config_path(&world), None).await;
    assert_eq!(read.json, expected);

    let empty = world
        .call("PUT", &config_path(&world), Some(json!({})))
        .await;
    empty.assert_status(StatusCode::OK);
    assert_eq!(empty.json, expected);
}

#[tokio::test]
async fn turning_inbound_assignee_sync_off_stops_it() {
    let world = AdminWorld::new().await;
    world
        .call(
            "PUT",
            &config_path(&world),
            Some(json!({"sync_reverse_assignment": false})),
        )
        .await
        .assert_status(StatusCode::OK);
    let webhook = jirasync_axum::router(
        world
            .world
            .inline(jirasync_domain::StaticJiraDirectory::new()),
    );
    support::post(
        &webhook,
        &world.world.path(),
        support::fixture("assignee_set.json"),
    )
    .await
    .assert_status(StatusCode::OK);
    assert_eq!(world.world.local_issue().await.assignee, None);
}

#[tokio::test]
async fn an_unknown_key_is_400_naming_it() {
    let world = AdminWorld::new().await;
    world
        .assert_refused(
            "PUT",
            &config_path(&world),
            Some(json!({"sync_comments": false, "sync_everything": true})),
            400,
            "Unknown config key \"sync_everything\": the keys are resolution_strategy, \
             sync_comments, sync_forward_assignment, sync_reverse_assignment, \
             sync_status_forward, sync_status_reverse.",
        )
        .await;
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_400_naming_the_key() {
    let world = AdminWorld::new().await;
    let path = config_path(&world);
    world
        .assert_refused(
            "PUT",
            &path,
            Some(json!({"sync_comments": "yes"})),
            400,
            "sync_comments: invalid type: string \"yes\", expected a boolean.",
        )
        .await;
    world
        .assert_refused(
            "PUT",
            &path,
            Some(json!({"sync_status_reverse": null})),
            400,
            "sync_status_reverse: invalid type: null, expected a boolean.",
        )
        .await;
    world
        .assert_refused(
            "PUT",
            &path,
            Some(json!({"resolution_strategy": "close"})),
            400,
            "resolution_strategy: unknown variant `close`, expected one of `resolve`, \
             `resolve_current_release`, `resolve_next_release`.",
        )
        .await;
}

#[tokio::test]
async fn a_config_without_a_link_is_404() {
    let world = AdminWorld::new().await;
    let integration = world.world.integration_id;
    for path in [
        format!(
            "/api/0/organizations/{}/integrations/{integration}/config/",
            world.other_org
        ),
        format!("/api/0/organizations/{}/integrations/77/config/", world.org),
        format!(
            "/api/0/organizations/{}/integrations/jira/config/",
            world.org
        ),
    ] {
        world
            .assert_refused("GET", &path, None, 404, DOES_NOT_EXIST)
            .await;
        world
            .assert_refused(
                "PUT",
                &path,
                Some(json!({"sync_comments": false})),
                404,
                DOES_NOT_EXIST,
            )
            .await;
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400_with_the_parser_message() {
    let world = AdminWorld::new().await;
    for (body, detail) in [
        (
            &b"{\"sync_comments\": fals}"[..],
            "The body is not valid: sync_comments: expected ident at line 1 column 23.",
        ),
        (
            b"[]",
            "The body is not valid: invalid type: sequence, expected a map at line 1 column 0.",
        ),
        (
            b"{} {}",
            "The body is not valid: trailing characters at line 1 column 4.",
        ),
    ] {
        let json = Some("application/json");
        world
            .assert_refused_raw(
                "PUT",
                &config_path(&world),
                json,
                body.to_vec(),
                400,
                detail,
            )
            .await;
    }
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_415() {
    let world = AdminWorld::new().await;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        world
            .assert_refused_raw(
                "PUT",
                &config_path(&world),
                content_type,
                b"{\"sync_comments\": false}".to_vec(),
                415,
                "Send the body as JSON with Content-Type: application/json.",
            )
            .await;
    }
    let with_charset = world
        .call_raw(
            "PUT",
            &config_path(&world),
            Some(TOKEN),
            Some("application/json; charset=utf-8"),
            b"{}".to_vec(),
        )
        .await;
    with_charset.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let world = AdminWorld::new().await;
    let padding = " ".repeat(ADMIN_BODY_LIMIT);
    world
        .assert_refused_raw(
            "PUT",
            &config_path(&world),
            Some("application/json"),
            format!("{{\"sync_comments\": false{padding}}}").into_bytes(),
            413,
            &format!("The body is larger than the limit of {ADMIN_BODY_LIMIT} bytes."),
        )
        .await;
}
