//! Outbound status through the `Outbound` handle and the worker, against an in-memory Jira
//! (`FakeJiraWriter`, Jira's classic workflow): resolve and unresolve reach the statuses of the
//! project's mapping through the transition that leads there; an issue already there is left
//! alone; no mapping, or no transition, fails with the reason; Jira's webhook for the transition
//! is not applied back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use jirasync_core::{Clock, ManualClock, RetryPolicy};
use jirasync_domain::InMemoryStore;
use jirasync_domain::conformance::Fixture;
use jirasync_domain::conformance::fixture::{KEY, status_changed};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::outbound::{
    FakeJiraWriter, OutboundFilter, OutboundStatus, OutboundWork, StatusMapping, WriterCall,
};
use jirasync_domain::store::{OutboxStore, StatusMappingStore};
use jirasync_service::{Outbound, OutboundOptions, OutboundWorker};
use jirasync_webhook::IssueKey;

/// The fixture's Jira project (`APP`) and its id in the fake (its first project).
const PROJECT_ID: &str = "10000";

struct Scene {
    f: Fixture<InMemoryStore>,
    jira: Arc<FakeJiraWriter>,
    worker: OutboundWorker,
    outbound: Outbound,
}

async fn scene() -> Scene {
    let f = Fixture::new(InMemoryStore::new()).await;
    let jira = Arc::new(
        FakeJiraWriter::new()
            .with_issue(KEY)
            .with_project("APP", &[]),
    );
    let clock = Arc::new(ManualClock::at_unix_timestamp(1_800_000_000));
    let worker = OutboundWorker::new(
        Arc::clone(&f.store) as _,
        Arc::clone(&jira) as _,
        Arc::clone(&clock) as Arc<dyn Clock>,
        OutboundOptions {
            retry: RetryPolicy::new(u32::MAX, Duration::from_secs(1), Duration::from_secs(8)),
            ..OutboundOptions::default()
        },
    );
    let outbound = worker.handle();
    Scene {
        f,
        jira,
        worker,
        outbound,
    }
}

/// Another worker over the scene's store, calling `jira`, its clock at `unix_seconds` (the
/// scene's worker's clock is manual: this one finds due what that one would later).
fn worker_at(s: &Scene, jira: &Arc<FakeJiraWriter>, unix_seconds: u64) -> OutboundWorker {
    OutboundWorker::new(
        Arc::clone(&s.f.store) as _,
        Arc::clone(jira) as _,
        Arc::new(ManualClock::at_unix_timestamp(unix_seconds)) as Arc<dyn Clock>,
        OutboundOptions::default(),
    )
}

async fn map(s: &Scene, on_resolve: &str, on_unresolve: &str) {
    s.f.store
        .put_status_mapping(&StatusMapping {
            organization_id: s.f.organization,
            integration_id: s.f.integration,
            project_id: PROJECT_ID.into(),
            project_key: "APP".into(),
            on_resolve: on_resolve.into(),
            on_unresolve: on_unresolve.into(),
        })
        .await
        .unwrap();
}

async fn change(s: &Scene, status: ResolutionStatus) {
    let ids = s
        .outbound
        .status_changed(s.f.organization, s.f.issue, status)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(s.worker.run_once().await.unwrap(), 1);
}

async fn newest_work(s: &Scene) -> OutboundWork {
    s.f.store
        .list_outbound(OutboundFilter::default())
        .await
        .unwrap()
        .remove(0)
}

fn transitions(s: &Scene) -> Vec<String> {
    s.jira
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            WriterCall::Transition(key, id) => {
                assert_eq!(key, IssueKey::new(KEY));
                Some(id)
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn resolve_and_unresolve_reach_the_mapped_statuses_through_their_transitions() {
    let s = scene().await;
    map(&s, "5", "4").await;
    change(&s, ResolutionStatus::Resolved).await;
    assert_eq!(s.jira.status(KEY), "5");
    assert_eq!(newest_work(&s).await.status, OutboundStatus::Done);
    change(&s, ResolutionStatus::Unresolved).await;
    assert_eq!(s.jira.status(KEY), "4");
    assert_eq!(newest_work(&s).await.status, OutboundStatus::Done);
    // Resolve Issue (Open → Resolved), then Reopen Issue (Resolved → Reopened).
    assert_eq!(transitions(&s), ["31", "51"]);
}

#[tokio::test]
async fn an_issue_already_in_the_mapped_status_is_left_alone() {
    let s = scene().await;
    map(&s, "5", "1").await;
    change(&s, ResolutionStatus::Unresolved).await;
    assert_eq!(newest_work(&s).await.status, OutboundStatus::Done);
    assert!(transitions(&s).is_empty());
    assert!(
        !s.jira
            .calls()
            .iter()
            .any(|call| matches!(call, WriterCall::Transitions(_)))
    );
}

#[tokio::test]
async fn a_project_without_a_mapping_fails_saying_which() {
    let s = scene().await;
    change(&s, ResolutionStatus::Resolved).await;
    let work = newest_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Failed);
    let error = work.last_error.unwrap();
    assert!(
        error.starts_with(&format!(
            "no status mapping for Jira project APP ({PROJECT_ID}) in organization {}",
            s.f.organization
        )),
        "{error}"
    );
    assert_eq!(s.jira.status(KEY), "1");
}

#[tokio::test]
async fn no_transition_to_the_mapped_status_fails_naming_the_ones_available() {
    let s = scene().await;
    // Closed issues can only be reopened (to Reopened), never moved straight to Open.
    s.jira.set_status(KEY, "6");
    map(&s, "6", "1").await;
    change(&s, ResolutionStatus::Unresolved).await;
    let work = newest_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Failed);
    assert_eq!(
        work.last_error.as_deref(),
        Some(
            "no transition of APP-1 leads from Closed (6) to status 1 (on_unresolve of project \
             APP's mapping); available: 51 Reopen Issue → Reopened (4)"
        )
    );
    assert_eq!(s.jira.status(KEY), "6");
    assert!(transitions(&s).is_empty());
}

#[tokio::test]
async fn an_issue_gone_from_jira_fails_for_good() {
    let s = scene().await;
    map(&s, "5", "4").await;
    let ids = s
        .outbound
        .status_changed(s.f.organization, s.f.issue, ResolutionStatus::Resolved)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    // The work names a Jira issue the fake does not have.
    let fresh = Arc::new(FakeJiraWriter::new().with_project("APP", &[]));
    let worker = worker_at(&s, &fresh, 1_800_000_000);
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let work = newest_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Failed);
    assert!(
        work.last_error
            .unwrap()
            .starts_with("Jira has no issue APP-1"),
        "the reason names the issue"
    );
}

#[tokio::test]
async fn jira_down_is_retried_and_the_transition_happens_once() {
    let s = scene().await;
    map(&s, "5", "4").await;
    s.jira.set_down(true);
    change(&s, ResolutionStatus::Resolved).await;
    let work = newest_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Pending);
    assert_eq!(work.attempts, 1);
    s.jira.set_down(false);
    // Due after the back-off: the worker's clock is manual, so make it due by retrying at once.
    let worker = worker_at(&s, &s.jira, 1_800_000_100);
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(s.jira.status(KEY), "5");
    assert_eq!(s.jira.transition_calls(), 1);
    assert_eq!(worker.run_once().await.unwrap(), 0);
}

#[tokio::test]
async fn the_webhook_of_our_own_transition_is_not_applied_back() {
    let s = scene().await;
    // Closed is in the fixture's done set: Jira's webhook for it would resolve the issue.
    map(&s, "6", "4").await;
    change(&s, ResolutionStatus::Resolved).await;
    assert_eq!(s.jira.status(KEY), "6");
    // The application has not changed its own issue in this scene: applying the webhook would.
    let outcome = s.f.change_status(&status_changed("1", "6", 1_000)).await;
    assert_eq!(outcome.changed, 0);
    assert_eq!(s.f.status_of(s.f.issue).await, ResolutionStatus::Unresolved);
    // The echo is taken once: the same change from Jira later is applied.
    let outcome = s.f.change_status(&status_changed("4", "6", 2_000)).await;
    assert_eq!(outcome.changed, 1);
    assert_eq!(s.f.status_of(s.f.issue).await, ResolutionStatus::Resolved);
}

#[tokio::test]
async fn nothing_is_recorded_when_the_organization_does_not_sync_statuses_outbound() {
    let s = scene().await;
    let mut config = jirasync_domain::integration::SyncConfig::all_on();
    config.sync_status_forward = false;
    jirasync_domain::IntegrationStore::update_sync_config(
        s.f.store.as_ref(),
        s.f.organization,
        s.f.integration,
        config,
    )
    .await
    .unwrap();
    let ids = s
        .outbound
        .status_changed(s.f.organization, s.f.issue, ResolutionStatus::Resolved)
        .await
        .unwrap();
    assert!(ids.is_empty());
}
