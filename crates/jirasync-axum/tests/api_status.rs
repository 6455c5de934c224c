//! Outbound status in the host API: `POST …/issues/{issue}/status` writes the status and its
//! outbound work together; `…/integrations/{integration}/status-mappings` keeps, per Jira
//! project, the statuses resolve and unresolve reach, checked with Jira first. Every bad input is
//! refused with a precise message and writes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test fails by panicking"
)]

#[allow(dead_code)]
mod api_support;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use jirasync_axum::{AdminToken, ApiState, api_router};
use jirasync_domain::ids::{IntegrationId, OrganizationId};
use jirasync_domain::integration::SyncConfig;
use jirasync_domain::outbound::{FakeJiraWriter, OutboundAction, OutboundWork, StatusMapping};
use jirasync_domain::store::StatusMappingStore;
use jirasync_webhook::IssueKey;
use serde_json::{Value, json};

use api_support::{ApiWorld, TOKEN};

const STATUS: &str = "/api/v1/organizations/acme/issues/I-1/status";

struct Scene {
    world: ApiWorld,
    jira: Arc<FakeJiraWriter>,
    organization: OrganizationId,
    integration: IntegrationId,
}

/// The scene, with `I-1` linked to `APP-1` through an integration whose `sync_status_forward`
/// is `forward`, and a Jira (in memory) that has project `APP` (id 10000).
async fn scene(forward: bool) -> Scene {
    let config = SyncConfig {
        sync_status_forward: forward,
        ..SyncConfig::all_on()
    };
    let (base, organization, integration) = ApiWorld::with_linked_issue(config, &["APP-1"]).await;
    let jira = Arc::new(
        FakeJiraWriter::new()
            .with_issue("APP-1")
            .with_project("APP", &[]),
    );
    let state = ApiState::new(
        base.store.clone(),
        base.store.clone(),
        base.store.clone(),
        AdminToken::new(TOKEN).unwrap(),
    )
    .with_jira_check(jira.clone());
    Scene {
        world: ApiWorld {
            store: base.store,
            app: api_router(state),
        },
        jira,
        organization,
        integration,
    }
}

impl Scene {
    fn mappings_path(&self) -> String {
        format!(
            "/api/v1/organizations/acme/integrations/{}/status-mappings",
            self.integration
        )
    }

    fn mapping_path(&self, project: &str) -> String {
        format!("{}/{project}", self.mappings_path())
    }

    async fn outbox(&self) -> Vec<OutboundWork> {
        self.world.outbox().await
    }

    async fn stored_mappings(&self) -> Vec<StatusMapping> {
        self.world
            .store
            .status_mappings(self.organization, self.integration)
            .await
            .unwrap()
    }

    async fn status(&self) -> Value {
        self.world
            .send(Method::GET, "/api/v1/organizations/acme/issues/I-1", None)
            .await
            .body["status"]
            .clone()
    }
}

#[tokio::test]
async fn resolving_records_the_status_and_its_outbound_work() {
    let s = scene(true).await;
    let answer = s
        .world
        .send(Method::POST, STATUS, Some(json!({"status": "resolved"})))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, json!({"changed": true, "outbound": 1}));
    assert_eq!(s.status().await, json!("resolved"));
    let work = s.outbox().await;
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].action, OutboundAction::Resolve);
    assert_eq!(work[0].issue_key, IssueKey::new("APP-1"));

    // The same status again: nothing changes, nothing is sent.
    let again = s
        .world
        .send(Method::POST, STATUS, Some(json!({"status": "resolved"})))
        .await;
    assert_eq!(again.body, json!({"changed": false, "outbound": 0}));
    let back = s
        .world
        .send(Method::POST, STATUS, Some(json!({"status": "unresolved"})))
        .await;
    assert_eq!(back.body, json!({"changed": true, "outbound": 1}));
    assert_eq!(s.outbox().await[0].action, OutboundAction::Unresolve);
}

#[tokio::test]
async fn nothing_is_sent_when_the_organization_does_not_sync_statuses_outbound() {
    let s = scene(false).await;
    let answer = s
        .world
        .send(Method::POST, STATUS, Some(json!({"status": "resolved"})))
        .await;
    assert_eq!(answer.body, json!({"changed": true, "outbound": 0}));
    assert!(s.outbox().await.is_empty());
}

#[tokio::test]
async fn bad_status_changes_are_refused_precisely_and_write_nothing() {
    let s = scene(true).await;
    let cases: Vec<(&str, &str, StatusCode, &str)> = vec![
        (STATUS, "{}", StatusCode::BAD_REQUEST, "status"),
        (STATUS, "not json", StatusCode::BAD_REQUEST, ""),
        (
            STATUS,
            r#"{"status": "closed"}"#,
            StatusCode::BAD_REQUEST,
            "unknown variant `closed`",
        ),
        (
            STATUS,
            r#"{"status": "resolved", "extra": 1}"#,
            StatusCode::BAD_REQUEST,
            "extra",
        ),
        (
            "/api/v1/organizations/acme/issues/I-404/status",
            r#"{"status": "resolved"}"#,
            StatusCode::NOT_FOUND,
            "I-404",
        ),
        (
            "/api/v1/organizations/nope/issues/I-1/status",
            r#"{"status": "resolved"}"#,
            StatusCode::NOT_FOUND,
            "nope",
        ),
    ];
    let before = s.world.snapshot().await;
    for (path, body, status, message) in cases {
        let answer = s
            .world
            .send_raw(
                Method::POST,
                path,
                Some(TOKEN),
                Some("application/json"),
                Some(body.as_bytes().to_vec()),
            )
            .await;
        assert_eq!(answer.status, status, "{path} {body}: {answer:?}");
        assert!(
            answer.detail().contains(message),
            "{path} {body}: {:?} should contain {message:?}",
            answer.detail()
        );
        assert_eq!(s.world.snapshot().await, before, "{body} changed the store");
        assert!(s.outbox().await.is_empty(), "{body} recorded work");
    }
}

#[tokio::test]
async fn a_mapping_is_checked_with_jira_stored_by_project_id_listed_and_deleted() {
    let s = scene(true).await;
    let put = s
        .world
        .send(
            Method::PUT,
            &s.mapping_path("APP"),
            Some(json!({"on_resolve": "resolved", "on_unresolve": "4"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:?}");
    assert_eq!(
        put.body,
        json!({
            "project_key": "APP", "project_id": "10000",
            "on_resolve": {"id": "5", "name": "Resolved"},
            "on_unresolve": {"id": "4", "name": "Reopened"},
        })
    );
    let listed = s.world.send(Method::GET, &s.mappings_path(), None).await;
    assert_eq!(
        listed.body,
        json!([{
            "project_key": "APP", "project_id": "10000",
            "on_resolve": {"id": "5"}, "on_unresolve": {"id": "4"},
        }])
    );
    // By id, replacing it.
    let replaced = s
        .world
        .send(
            Method::PUT,
            &s.mapping_path("10000"),
            Some(json!({"on_resolve": "Closed", "on_unresolve": "Open"})),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{replaced:?}");
    let stored = s.stored_mappings().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (
            stored[0].on_resolve.as_str(),
            stored[0].on_unresolve.as_str()
        ),
        ("6", "1")
    );

    let deleted = s
        .world
        .send(Method::DELETE, &s.mapping_path("APP"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{deleted:?}");
    assert!(s.stored_mappings().await.is_empty());
    let again = s
        .world
        .send(Method::DELETE, &s.mapping_path("APP"), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{again:?}");
    assert!(
        again
            .detail()
            .contains("status mapping for project \"APP\""),
        "{again:?}"
    );
}

#[tokio::test]
async fn bad_mappings_are_refused_precisely_and_store_nothing() {
    let s = scene(true).await;
    let good = json!({"on_resolve": "5", "on_unresolve": "1"});
    let app = s.mapping_path("APP");
    let cases: Vec<(String, Value, StatusCode, String)> = vec![
        (
            app.clone(),
            json!({"on_resolve": "5"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Resolve and unresolve status are required.".into(),
        ),
        (
            app.clone(),
            json!({"on_resolve": " ", "on_unresolve": "1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Resolve and unresolve status are required.".into(),
        ),
        (
            app.clone(),
            json!({"on_resolve": "5", "on_unresolve": "1", "other": 1}),
            StatusCode::BAD_REQUEST,
            "other".into(),
        ),
        (
            app.clone(),
            json!({"on_resolve": 5, "on_unresolve": "1"}),
            StatusCode::BAD_REQUEST,
            "on_resolve".into(),
        ),
        (
            app.clone(),
            json!({"on_resolve": "Done", "on_unresolve": "1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "on_resolve: project APP's workflows have no status \"Done\"; its statuses are Open \
             (1), In Progress (3), Reopened (4), Resolved (5), Closed (6)"
                .into(),
        ),
        (
            app.clone(),
            json!({"on_resolve": "5", "on_unresolve": "10102"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "on_unresolve: project APP's workflows have no status \"10102\"".into(),
        ),
        (
            s.mapping_path("NOPE"),
            good.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Jira has no project NOPE (integration {})", s.integration),
        ),
        (
            s.mapping_path("app-1"),
            good.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "project: \"app-1\" is not a Jira project key (such as SHOP) or id".into(),
        ),
        (
            "/api/v1/organizations/acme/integrations/999/status-mappings/APP".into(),
            good.clone(),
            StatusCode::NOT_FOUND,
            "999".into(),
        ),
        (
            format!(
                "/api/v1/organizations/nope/integrations/{}/status-mappings/APP",
                s.integration
            ),
            good.clone(),
            StatusCode::NOT_FOUND,
            "nope".into(),
        ),
    ];
    for (path, body, status, message) in cases {
        let answer = s.world.send(Method::PUT, &path, Some(body.clone())).await;
        assert_eq!(answer.status, status, "{path} {body}: {answer:?}");
        assert!(
            answer.detail().contains(&message),
            "{path} {body}: {:?} should contain {message:?}",
            answer.detail()
        );
        assert!(
            s.stored_mappings().await.is_empty(),
            "{body} stored a mapping"
        );
    }
    // Jira down: 503, nothing stored.
    s.jira.set_down(true);
    let down = s.world.send(Method::PUT, &app, Some(good)).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{down:?}");
    assert!(
        down.detail()
            .starts_with("cannot read the statuses of project APP from Jira:"),
        "{down:?}"
    );
    assert!(s.stored_mappings().await.is_empty());
}
