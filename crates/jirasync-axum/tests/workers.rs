//! Inbox workers behind the webhook route: deliveries posted in inbox mode get applied, failures
//! are retried then dead-lettered, one issue's deliveries are applied in order, and shutdown
//! drains. (What workers do with stored rows on their own is `jirasync-service`'s
//! `tests/workers.rs`.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use jirasync_axum::{AppState, router};
use jirasync_domain::DirectoryError;
use jirasync_domain::inbox::{DeliveryState, Inbox, MemoryInbox, RetryPolicy};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::{LocalIssueStore, StaticJiraDirectory};
use jirasync_service::{
    SyncService, WorkerOptions, process_available, shutdown_channel, spawn_workers,
};
use serde_json::Value;
use support::{World, fixture, fixture_json, post};

fn options(max_attempts: u32) -> WorkerOptions {
    WorkerOptions {
        lease: Duration::from_secs(30),
        idle_poll: Duration::from_millis(5),
        retry: RetryPolicy::new(max_attempts, Duration::ZERO, Duration::ZERO).without_jitter(),
        ..WorkerOptions::default()
    }
}

fn inbox_state(
    world: &World,
    directory: StaticJiraDirectory,
    max_attempts: u32,
) -> (AppState, Arc<MemoryInbox>) {
    let inbox = Arc::new(MemoryInbox::new());
    let service = SyncService::builder(
        world.store.clone(),
        world.store.clone(),
        Arc::new(directory),
    )
    .inbox(inbox.clone())
    .worker_options(options(max_attempts))
    .build()
    .unwrap();
    (AppState::new(service), inbox)
}

/// Polls `done` until it holds; the bound only keeps a broken build from hanging.
async fn eventually<F, Fut>(mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..2000 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the workers did not get there");
}

async fn count(inbox: &MemoryInbox, state: DeliveryState) -> usize {
    inbox.list(Some(state), 100).await.unwrap().len()
}

/// `assignee_set.json` assigned to `email` at `updated`, with its own changelog id.
fn assignment(name: &str, email: &str, updated: &str, changelog_id: &str) -> Vec<u8> {
    let mut body: Value = fixture_json("assignee_set.json");
    let fields = &mut body["issue"]["fields"];
    fields["assignee"]["name"] = name.into();
    fields["assignee"]["emailAddress"] = email.into();
    fields["updated"] = updated.into();
    body["changelog"]["id"] = changelog_id.into();
    serde_json::to_vec(&body).unwrap()
}

#[tokio::test]
async fn a_delivery_posted_in_inbox_mode_is_applied_by_a_worker() {
    let world = World::new().await;
    let (state, inbox) = inbox_state(&world, StaticJiraDirectory::new(), 3);
    let answer = post(
        &router(state.clone()),
        &world.path(),
        fixture("assignee_set.json"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    let (trigger, shutdown) = shutdown_channel();

    let workers = spawn_workers(state.service(), 2, &shutdown);
    eventually(|| async { count(&inbox, DeliveryState::Done).await == 1 }).await;
    trigger.trigger();
    for worker in workers {
        worker.await.unwrap();
    }

    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.jess))
    );
    let metrics = state.service().metrics().render(None);
    assert!(
        metrics.contains("jirasync_delivery_processing_seconds_count{path=\"worker\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_retryable_failure_is_retried_then_dead_lettered_with_its_error() {
    let world = World::new().await;
    let jira_down = StaticJiraDirectory::new().failing(DirectoryError::Unreachable {
        message: "connect timed out".into(),
    });
    let (state, inbox) = inbox_state(&world, jira_down, 3);
    post(
        &router(state.clone()),
        &world.path(),
        fixture("status_changed.json"),
    )
    .await;

    let handled = process_available(state.service()).await.unwrap();

    assert_eq!(handled, 3, "three attempts");
    let dead = inbox.list(Some(DeliveryState::Dead), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("a Jira look-up failed: Jira could not be reached: connect timed out")
    );
    assert_eq!(
        world.local_issue().await.status,
        ResolutionStatus::Unresolved
    );
    assert!(
        state
            .service()
            .metrics()
            .render(None)
            .contains("jirasync_sync_failures_total{retryable=\"true\"} 3\n")
    );
}

#[tokio::test]
async fn a_retried_delivery_is_applied_once_it_succeeds() {
    let world = World::new().await;
    let jira_down = StaticJiraDirectory::new().failing(DirectoryError::Unreachable {
        message: "connect timed out".into(),
    });
    let (failing, inbox) = inbox_state(&world, jira_down, 5);
    post(
        &router(failing.clone()),
        &world.path(),
        fixture("status_changed.json"),
    )
    .await;
    let claimed = inbox
        .claim(SystemTime::now(), Duration::from_secs(30), 1)
        .await
        .unwrap();
    inbox
        .fail(
            claimed[0].id,
            claimed[0].attempt,
            "Jira was down",
            Some(SystemTime::now()),
        )
        .await
        .unwrap();

    // Jira is back: the same inbox, a working directory.
    let working = SyncService::builder(
        world.store.clone(),
        world.store.clone(),
        Arc::new(StaticJiraDirectory::new().with_done_statuses(["10102"])),
    )
    .inbox(inbox.clone())
    .worker_options(options(5))
    .build()
    .unwrap();
    process_available(&working).await.unwrap();

    assert_eq!(count(&inbox, DeliveryState::Done).await, 1);
    assert_eq!(world.local_issue().await.status, ResolutionStatus::Resolved);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_apply_one_issues_deliveries_oldest_first() {
    let world = World::new().await;
    let (state, inbox) = inbox_state(&world, StaticJiraDirectory::new(), 3);
    let app = router(state.clone());
    // Jira 10 may deliver out of order: the newer change arrives first.
    let newer = assignment(
        "bob",
        "bob@example.com",
        "2023-01-01T00:05:00.000+0000",
        "20002",
    );
    let older = assignment(
        "jess",
        "jess@example.com",
        "2023-01-01T00:00:00.000+0000",
        "20001",
    );
    assert_eq!(
        post(&app, &world.path(), newer).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        post(&app, &world.path(), older).await.status,
        StatusCode::ACCEPTED
    );
    let (trigger, shutdown) = shutdown_channel();

    let workers = spawn_workers(state.service(), 2, &shutdown);
    eventually(|| async { count(&inbox, DeliveryState::Done).await == 2 }).await;
    trigger.trigger();
    for worker in workers {
        worker.await.unwrap();
    }

    // Both applied, in Jira's order: had the newer gone first, the older would have been stale.
    let assignees: Vec<Option<Assignee>> = world
        .store
        .activities(world.issue)
        .await
        .unwrap()
        .into_iter()
        .map(|activity| activity.data.assignee)
        .collect();
    assert_eq!(
        assignees,
        [
            Some(Assignee::User(world.jess)),
            Some(Assignee::User(world.bob))
        ]
    );
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.bob))
    );
}

#[tokio::test]
async fn workers_stop_claiming_after_shutdown() {
    let world = World::new().await;
    let (state, inbox) = inbox_state(&world, StaticJiraDirectory::new(), 3);
    let (trigger, shutdown) = shutdown_channel();
    trigger.trigger();

    let workers = spawn_workers(state.service(), 2, &shutdown);
    for worker in workers {
        worker.await.unwrap();
    }
    post(
        &router(state.clone()),
        &world.path(),
        fixture("assignee_set.json"),
    )
    .await;

    assert_eq!(count(&inbox, DeliveryState::Pending).await, 1);
    assert_eq!(world.local_issue().await.assignee, None);
}
