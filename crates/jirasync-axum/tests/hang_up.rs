//! A request whose caller stops waiting half-way (an HTTP client hanging up) still runs to its
//! end: the delivery is applied, nothing is left half-done.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use jirasync_axum::{AppState, router};
use jirasync_domain::DirectoryError;
use jirasync_domain::integration::Integration;
use jirasync_domain::issue::Assignee;
use jirasync_domain::{JiraDirectory, StaticJiraDirectory};
use jirasync_service::{SyncService, WebhookMode};
use jirasync_webhook::{JiraUser, StatusId};
use support::{World, fixture};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// A directory that tells when a look-up starts and holds it until released.
struct HeldDirectory {
    inner: StaticJiraDirectory,
    entered: Semaphore,
    release: Semaphore,
}

#[async_trait]
impl JiraDirectory for HeldDirectory {
    async fn find_user(
        &self,
        integration: &Integration,
        user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError> {
        self.entered.add_permits(1);
        self.release.acquire().await.unwrap().forget();
        self.inner.find_user(integration, user).await
    }

    async fn done_status_ids(
        &self,
        integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError> {
        self.inner.done_status_ids(integration).await
    }
}

#[tokio::test]
async fn a_delivery_whose_caller_hangs_up_mid_request_is_still_applied() {
    let world = World::new().await;
    let directory = Arc::new(HeldDirectory {
        inner: StaticJiraDirectory::new().with_user(JiraUser {
            name: Some("jess".into()),
            key: Some("JIRAUSER10100".into()),
            email_address: Some("jess@example.com".into()),
            ..JiraUser::default()
        }),
        entered: Semaphore::new(0),
        release: Semaphore::new(0),
    });
    let service = SyncService::builder(world.store.clone(), world.store.clone(), directory.clone())
        .mode(WebhookMode::Inline)
        .build()
        .unwrap();
    let state = AppState::new(service);
    let request = Request::post(world.path())
        .header("content-type", "application/json")
        .body(Body::from(fixture("assignee_hidden_email.json")))
        .unwrap();

    // The request runs until it waits on Jira; then its caller gives up on it.
    let answer = tokio::spawn(router(state).oneshot(request));
    directory.entered.acquire().await.unwrap().forget();
    answer.abort();
    assert!(answer.await.unwrap_err().is_cancelled());
    assert_eq!(world.local_issue().await.assignee, None);

    // Jira answers: the request goes on without anyone waiting for it.
    directory.release.add_permits(1);
    for _ in 0..200 {
        if world.local_issue().await.assignee.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.jess))
    );
}

#[tokio::test]
async fn a_handler_that_panics_answers_500_with_a_json_body() {
    #[allow(clippy::panic, reason = "the behaviour under test")]
    async fn boom() -> &'static str {
        panic!("boom")
    }
    let app: axum::Router = axum::Router::new()
        .route("/boom", axum::routing::get(boom))
        .layer(axum::middleware::from_fn(jirasync_axum::detached));
    let answer = support::send(&app, "GET", "/boom", Vec::new()).await;
    answer.assert_status(StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        answer.detail(),
        "internal error: the request failed; see the service log"
    );
}
