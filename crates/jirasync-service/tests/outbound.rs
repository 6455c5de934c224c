//! The outbox worker and the `Outbound` handle against an in-memory store and an in-memory Jira
//! (`FakeJiraWriter`): assignments reach Jira through the external actor or an exact e-mail
//! match, unassign clears, failures are retried or stopped with their reason, and each change is
//! accepted by Jira once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use jirasync_core::{Clock, ManualClock, RetryPolicy};
use jirasync_domain::InMemoryStore;
use jirasync_domain::conformance::Fixture;
use jirasync_domain::conformance::fixture::KEY;
use jirasync_domain::events::EventTimestamp;
use jirasync_domain::external_actor::{ActorTarget, ExternalProvider, NewExternalActor};
use jirasync_domain::integration::SyncConfig;
use jirasync_domain::outbound::{
    FakeJiraWriter, OutboundFilter, OutboundStatus, OutboundUser, OutboundWork, WriterCall,
};
use jirasync_domain::store::{ExternalActorStore, IntegrationStore, IssueLinkStore, OutboxStore};
use jirasync_service::{Metrics, Outbound, OutboundOptions, OutboundWorker, OutboxAttemptOutcome};
use jirasync_webhook::IssueKey;

struct Scene {
    f: Fixture<InMemoryStore>,
    jira: Arc<FakeJiraWriter>,
    clock: Arc<ManualClock>,
    worker: OutboundWorker,
    outbound: Outbound,
    metrics: Metrics,
}

fn options() -> OutboundOptions {
    OutboundOptions {
        lease: Duration::from_secs(30),
        idle_poll: Duration::from_millis(10),
        retry: RetryPolicy::new(u32::MAX, Duration::from_secs(1), Duration::from_secs(8))
            .with_jitter(jirasync_core::Jitter::None),
        retry_for: Duration::from_secs(60),
        batch: 8,
    }
}

async fn scene(jira: FakeJiraWriter) -> Scene {
    let f = Fixture::new(InMemoryStore::new()).await;
    let jira = Arc::new(jira.with_issue(KEY));
    let clock = Arc::new(ManualClock::at_unix_timestamp(1_800_000_000));
    let metrics = Metrics::new();
    let worker = OutboundWorker::new(
        Arc::clone(&f.store) as _,
        Arc::clone(&jira) as _,
        Arc::clone(&clock) as Arc<dyn Clock>,
        options(),
    )
    .with_metrics(metrics.clone());
    let outbound = worker.handle();
    Scene {
        f,
        jira,
        clock,
        worker,
        outbound,
        metrics,
    }
}

fn alice(s: &Scene) -> OutboundUser {
    OutboundUser {
        id: s.f.alice,
        emails: vec!["alice@example.com".into()],
    }
}

async fn only_work(s: &Scene) -> OutboundWork {
    let all =
        s.f.store
            .list_outbound(OutboundFilter::default())
            .await
            .unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.into_iter().next().unwrap()
}

#[tokio::test]
async fn assigns_the_jira_user_with_the_exact_active_email() {
    let s = scene(
        FakeJiraWriter::new()
            .with_user("alice.j", Some("alice@example.com"), true)
            .with_user("alice.old", Some("ALICE@example.com"), false)
            .with_user("malice", Some("malice@example.com"), true),
    )
    .await;
    let ids = s
        .outbound
        .assigned(s.f.organization, s.f.issue, Some(alice(&s)))
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(s.worker.run_once().await.unwrap(), 1);
    assert_eq!(s.jira.assignee(KEY), Some(Some("alice.j".into())));
    let work = only_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Done);
    assert_eq!(s.metrics.outbox_attempts(OutboxAttemptOutcome::Done), 1);
    // Nothing left.
    assert_eq!(s.worker.run_once().await.unwrap(), 0);
}

#[tokio::test]
async fn the_external_actor_wins_over_the_email_search() {
    let s = scene(FakeJiraWriter::new().with_user("ajones", None, true)).await;
    s.f.store
        .insert_external_actor(NewExternalActor {
            organization_id: s.f.organization,
            integration_id: s.f.integration,
            provider: ExternalProvider::JiraServer,
            external_name: "ajones".into(),
            external_id: None,
            target: ActorTarget::User(s.f.alice),
        })
        .await
        .unwrap();
    s.outbound
        .assigned(s.f.organization, s.f.issue, Some(alice(&s)))
        .await
        .unwrap();
    s.worker.run_once().await.unwrap();
    assert_eq!(s.jira.assignee(KEY), Some(Some("ajones".into())));
    assert!(
        !s.jira
            .calls()
            .iter()
            .any(|call| matches!(call, WriterCall::SearchUsers(_))),
        "no search when an actor names the user"
    );
}

#[tokio::test]
async fn reassign_then_unassign_reach_jira_in_order() {
    let s = scene(
        FakeJiraWriter::new()
            .with_user("alice.j", Some("alice@example.com"), true)
            .with_user("bob.j", Some("bob@example.com"), true),
    )
    .await;
    let bob = OutboundUser {
        id: jirasync_domain::ids::UserId::new(999),
        emails: vec!["bob@example.com".into()],
    };
    s.outbound
        .assigned(s.f.organization, s.f.issue, Some(alice(&s)))
        .await
        .unwrap();
    s.outbound
        .assigned(s.f.organization, s.f.issue, Some(bob))
        .await
        .unwrap();
    s.outbound
        .assigned(s.f.organization, s.f.issue, None)
        .await
        .unwrap();
    // One piece of the issue per pass, in order.
    assert_eq!(s.worker.run_once().await.unwrap(), 1);
    assert_eq!(s.jira.assignee(KEY), Some(Some("alice.j".into())));
    assert_eq!(s.worker.run_once().await.unwrap(), 1);
    assert_eq!(s.jira.assignee(KEY), Some(Some("bob.j".into())));
    assert_eq!(s.worker.run_once().await.unwrap(), 1);
    assert_eq!(s.jira.assignee(KEY), Some(None));
    let assigns: Vec<_> = s
        .jira
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            WriterCall::Assign(key, name) => Some((key, name)),
            _ => None,
        })
        .collect();
    assert_eq!(
        assigns,
        vec![
            (IssueKey::new(KEY), Some("alice.j".into())),
            (IssueKey::new(KEY), Some("bob.j".into())),
            (IssueKey::new(KEY), None),
        ]
    );
}

#[tokio::test]
async fn a_user_without_a_jira_match_fails_with_the_reason() {
    let s =
        scene(FakeJiraWriter::new().with_user("someone", Some("someone@example.com"), true)).await;
    s.outbound
        .assigned(s.f.organization, s.f.issue, Some(alice(&s)))
        .await
        .unwrap();
    s.worker.run_once().await.unwrap();
    let work = only_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Failed);
    let reason = work.last_error.unwrap();
    assert!(
        reason.contains("no Jira user found") && reason.contains("alice@example.com"),
        "{reason}"
    );
    assert_eq!(s.jira.assign_calls(), 0);
    assert_eq!(s.metrics.outbox_attempts(OutboxAttemptOutcome::Failed), 1);
}

#[tokio::test]
async fn several_matching_jira_users_fail_as_ambiguous() {
    let s = scene(
        FakeJiraWriter::new()
            .with_user("alice1", Some("alice@example.com"), true)
            .with_user("alice2", Some("Alice@Example.com"), true),
    )
    .await;
    s.outbound
        .assigned(s.f.organization, s.f.issue, Some(alice(&s)))
        .await
        .unwrap();
    s.worker.run_once().await.unwrap();
    let work = only_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Failed);
    let reason = work.last_error.unwrap();
    assert!(
        reason.contains("several Jira users") && reason.contains("alice1, alice2"),
        "{reason}"
    );
    assert_eq!(s.jira.assign_calls(), 0);
}

#[tokio::test]
async fn jira_down_then_up_is_retried_and_accepted_once() {
    let s =
        scene(FakeJiraWriter::new().with_user("alice.j", Some("alice@example.com"), true)).await;
    s.jira.set_down(true);
    s.outbound
        .assigned(s.f.organization, s.f.issue, Some(alice(&s)))
        .await
        .unwrap();
    assert_eq!(s.worker.run_once().await.unwrap(), 1);
    let work = only_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Pending);
    assert_eq!(work.attempts, 1);
    assert!(work.last_error.unwrap().contains("could not be reached"));
    // Not before the back-off (1 s).
    assert_eq!(s.worker.run_once().await.unwrap(), 0);
    s.clock.advance(Duration::from_secs(1));
    assert_eq!(s.worker.run_once().await.unwrap(), 1);
    assert_eq!(only_work(&s).await.attempts, 2);
    s.jira.set_down(false);
    // The second back-off is 2 s.
    s.clock.advance(Duration::from_secs(1));
    assert_eq!(s.worker.run_once().await.unwrap(), 0);
    s.clock.advance(Duration::from_secs(1));
    assert_eq!(s.worker.run_once().await.unwrap(), 1);
    assert_eq!(only_work(&s).await.status, OutboundStatus::Done);
    assert_eq!(s.jira.assignee(KEY), Some(Some("alice.j".into())));
    assert_eq!(s.metrics.outbox_attempts(OutboxAttemptOutcome::Retry), 2);
    assert_eq!(s.metrics.outbox_attempts(OutboxAttemptOutcome::Done), 1);
    s.clock.advance(Duration::from_secs(60));
    assert_eq!(s.worker.run_once().await.unwrap(), 0);
}

#[tokio::test]
async fn transient_failures_stop_when_the_retry_time_is_over() {
    let s =
        scene(FakeJiraWriter::new().with_user("alice.j", Some("alice@example.com"), true)).await;
    s.jira.set_down(true);
    s.outbound
        .assigned(s.f.organization, s.f.issue, Some(alice(&s)))
        .await
        .unwrap();
    for _ in 0..40 {
        s.worker.run_once().await.unwrap();
        s.clock.advance(Duration::from_secs(8));
    }
    let work = only_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Failed);
    assert!(
        work.last_error.unwrap().contains("still failing after 60s"),
        "the reason says the retry time ran out"
    );
}

#[tokio::test]
async fn a_permanent_refusal_stops_at_once_and_an_operator_retry_sends_it_again() {
    let s =
        scene(FakeJiraWriter::new().with_user("alice.j", Some("alice@example.com"), true)).await;
    s.outbound
        .assigned(s.f.organization, s.f.issue, None)
        .await
        .unwrap();
    s.jira
        .set_refusal(Some((403, "You do not have permission to assign issues.")));
    s.worker.run_once().await.unwrap();
    let work = only_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Failed);
    assert_eq!(work.attempts, 1);
    assert!(
        work.last_error
            .as_deref()
            .unwrap()
            .contains("(HTTP 403): You do not have permission"),
        "{work:?}"
    );
    s.jira.set_refusal(None);
    let now = EventTimestamp::from_system_time(s.clock.now());
    s.f.store.retry_outbound(work.id, now).await.unwrap();
    s.worker.run_once().await.unwrap();
    assert_eq!(only_work(&s).await.status, OutboundStatus::Done);
    assert_eq!(s.jira.assignee(KEY), Some(None));
}

#[tokio::test]
async fn an_issue_gone_from_jira_fails_with_jiras_message() {
    let s = scene(FakeJiraWriter::new()).await;
    // The local issue is linked to a second key Jira does not know.
    s.f.store
        .link_issue(
            s.f.organization,
            s.f.integration,
            &IssueKey::new("GONE-1"),
            s.f.issue,
        )
        .await
        .unwrap();
    let ids = s
        .outbound
        .assigned(s.f.organization, s.f.issue, None)
        .await
        .unwrap();
    assert_eq!(ids.len(), 2, "one piece per linked Jira issue");
    s.worker.run_once().await.unwrap();
    let failed =
        s.f.store
            .list_outbound(OutboundFilter {
                status: Some(OutboundStatus::Failed),
                limit: 0,
            })
            .await
            .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].issue_key, IssueKey::new("GONE-1"));
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("HTTP 404")
    );
    assert_eq!(s.jira.assignee(KEY), Some(None));
}

#[tokio::test]
async fn nothing_is_recorded_when_the_organization_does_not_sync_assignees_outbound() {
    let s = scene(FakeJiraWriter::new()).await;
    s.f.store
        .update_sync_config(
            s.f.organization,
            s.f.integration,
            SyncConfig {
                sync_forward_assignment: false,
                ..SyncConfig::all_on()
            },
        )
        .await
        .unwrap();
    let ids = s
        .outbound
        .assigned(s.f.organization, s.f.issue, None)
        .await
        .unwrap();
    assert!(ids.is_empty());
    assert!(
        s.f.store
            .list_outbound(OutboundFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn work_recorded_before_the_flag_was_turned_off_fails_saying_so() {
    let s = scene(FakeJiraWriter::new()).await;
    s.outbound
        .assigned(s.f.organization, s.f.issue, None)
        .await
        .unwrap();
    s.f.store
        .update_sync_config(
            s.f.organization,
            s.f.integration,
            SyncConfig {
                sync_forward_assignment: false,
                ..SyncConfig::all_on()
            },
        )
        .await
        .unwrap();
    s.worker.run_once().await.unwrap();
    let work = only_work(&s).await;
    assert_eq!(work.status, OutboundStatus::Failed);
    assert!(work.last_error.unwrap().contains("no longer syncs"));
    assert_eq!(s.jira.assign_calls(), 0);
}

#[tokio::test]
async fn a_spawned_worker_is_woken_by_the_handle() {
    let s =
        scene(FakeJiraWriter::new().with_user("alice.j", Some("alice@example.com"), true)).await;
    let (trigger, shutdown) = jirasync_service::shutdown_channel();
    let task = s.worker.spawn(&shutdown);
    s.outbound
        .assigned(s.f.organization, s.f.issue, Some(alice(&s)))
        .await
        .unwrap();
    for _ in 0..200 {
        if s.jira.assignee(KEY).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.jira.assignee(KEY), Some(Some("alice.j".into())));
    trigger.trigger();
    task.await.unwrap();
}
