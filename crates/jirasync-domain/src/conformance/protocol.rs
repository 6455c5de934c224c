//! The protocol between jirasync's store and the application's host
//! ([`crate::store::IssueSyncSession`]): a host that fails or a process that stops between the
//! host's write and the store's commit loses nothing and writes nothing twice once the delivery
//! comes again, and two syncs of one Jira issue never change the host at the same time.

use std::sync::Arc;
use std::time::Duration;

use jirasync_webhook::{AssigneeChanged, DeliveryKey, EventTime, StatusChanged};

use super::World;
use super::fixture::{
    DONE, Fixture, IN_PROGRESS, KEY, assigned_to_email, status_changed, unassigned,
};
use super::test_host::{HostFault, TestHost};
use crate::activity::ActivityKind;
use crate::ids::IntegrationId;
use crate::issue::{Assignee, ResolutionStatus};
use crate::jira_directory::StaticJiraDirectory;
use crate::rules::inbound::InboundSync;
use crate::rules::outcome::{HaltReason, SyncError};
use crate::store::SyncKind;

/// How long a redelivery may wait for the Jira issue before the test calls it stuck: generous,
/// since a session left behind by the failed attempt would hold it for ever.
const REDELIVERY_BOUND: Duration = Duration::from_secs(30);

type Sync<S> = InboundSync<S, TestHost<S>, StaticJiraDirectory>;

/// Inbound sync on the fixture's store, through a [`TestHost`] with `fault`.
fn faulty_sync<S: World + 'static>(f: &Fixture<S>, fault: HostFault) -> Sync<S> {
    InboundSync::new(
        Arc::clone(&f.store),
        Arc::new(TestHost::with_fault(Arc::clone(&f.store), fault)),
        Arc::clone(&f.directory),
    )
}

fn delivery_key(id: &str) -> DeliveryKey {
    DeliveryKey::new("10001", id, "jira:issue_updated")
}

/// Delivers `event` once through `sync` with `key`; the error it fails with.
async fn fails<S: World + 'static>(
    sync: &Sync<S>,
    integration: IntegrationId,
    event: &AssigneeChanged,
    key: &DeliveryKey,
) -> SyncError {
    let error = sync
        .sync_assignee(integration, event, Some(key))
        .await
        .expect_err("the faulty host makes the sync fail");
    assert!(error.is_retryable(), "{error}");
    error
}

/// The watermark and the delivery log of [`KEY`] are as if the delivery never came.
async fn assert_nothing_committed<S: World + 'static>(
    f: &Fixture<S>,
    kind: SyncKind,
    key: &DeliveryKey,
) {
    assert_eq!(f.watermark(kind).await, None, "the watermark moved");
    let seen = f
        .store
        .delivery_seen(f.integration, kind, key)
        .await
        .unwrap();
    assert!(!seen, "the delivery was recorded");
}

/// Behaviour: a host that fails before writing fails the sync (retryable), moves no watermark
/// and records no delivery; the delivery sent again is applied once.
pub async fn host_failure_commits_nothing_and_the_redelivery_applies_once<S: World + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    let key = delivery_key("30001");
    let event = assigned_to_email("alice@example.com", 1_000);
    fails(
        &faulty_sync(&f, HostFault::FailBeforeWrite { call: 1 }),
        f.integration,
        &event,
        &key,
    )
    .await;
    assert_eq!(f.assignee_of(f.issue).await, None);
    assert_nothing_committed(&f, SyncKind::Assignee, &key).await;

    let again = tokio::time::timeout(
        REDELIVERY_BOUND,
        f.sync.sync_assignee(f.integration, &event, Some(&key)),
    )
    .await
    .expect("the failed sync left the Jira issue free")
    .unwrap();
    assert_eq!((again.changed, again.halt), (1, None));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_eq!(f.activity_count(f.issue).await, 1);
    assert_eq!(
        f.watermark(SyncKind::Assignee).await,
        Some(EventTime::from_unix_millis(1_000))
    );
}

/// Behaviour: the process stops after the host wrote but before jirasync committed; the
/// redelivery passes the guard again, finds the issue already assigned, writes nothing to the
/// host (one activity in all) and commits the watermark and the delivery.
pub async fn crash_after_the_host_write_is_repaired_by_the_redelivery<S: World + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    let key = delivery_key("30002");
    let event = assigned_to_email("alice@example.com", 1_000);
    fails(
        &faulty_sync(&f, HostFault::CrashAfterWrite { call: 1 }),
        f.integration,
        &event,
        &key,
    )
    .await;
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_nothing_committed(&f, SyncKind::Assignee, &key).await;

    let again = tokio::time::timeout(
        REDELIVERY_BOUND,
        f.sync.sync_assignee(f.integration, &event, Some(&key)),
    )
    .await
    .expect("the crashed sync left the Jira issue free")
    .unwrap();
    assert_eq!((again.changed, again.unchanged, again.halt), (0, 1, None));
    assert_eq!(f.activity_count(f.issue).await, 1);
    assert_eq!(
        f.watermark(SyncKind::Assignee).await,
        Some(EventTime::from_unix_millis(1_000))
    );
    let replay = f
        .sync
        .sync_assignee(f.integration, &event, Some(&key))
        .await
        .unwrap();
    assert_eq!(replay.halt, Some(HaltReason::DuplicateDelivery));
}

/// Behaviour: with two linked issues, a crash after the first write leaves the second for the
/// redelivery, which changes only that one: each issue ends changed once.
pub async fn crash_between_two_issues_is_completed_by_the_redelivery<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (globex, globex_project, globex_alice) = f.other_organization("alice@example.com").await;
    let second = f.linked_issue(globex, globex_project, KEY).await;
    let key = delivery_key("30003");
    let event = assigned_to_email("alice@example.com", 1_000);
    fails(
        &faulty_sync(&f, HostFault::CrashAfterWrite { call: 1 }),
        f.integration,
        &event,
        &key,
    )
    .await;
    let first_written = f.assignee_of(f.issue).await.is_some();
    let second_written = f.assignee_of(second).await.is_some();
    assert!(
        first_written != second_written,
        "exactly one issue was written before the crash"
    );

    let again = f
        .sync
        .sync_assignee(f.integration, &event, Some(&key))
        .await
        .unwrap();
    assert_eq!((again.changed, again.unchanged), (1, 1));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_eq!(
        f.assignee_of(second).await,
        Some(Assignee::User(globex_alice))
    );
    assert_eq!(f.activity_count(f.issue).await, 1);
    assert_eq!(f.activity_count(second).await, 1);
}

/// Behaviour: the same for a status change: the crash after resolving is repaired without a
/// second activity.
pub async fn crash_after_a_status_write_is_repaired_by_the_redelivery<S: World + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    let key = delivery_key("30004");
    let event: StatusChanged = status_changed(IN_PROGRESS, DONE, 2_000);
    let crashing = faulty_sync(&f, HostFault::CrashAfterWrite { call: 1 });
    let error = crashing
        .sync_status(f.integration, &event, Some(&key))
        .await
        .expect_err("the faulty host makes the sync fail");
    assert!(error.is_retryable(), "{error}");
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
    assert_nothing_committed(&f, SyncKind::Status, &key).await;

    let again = f
        .sync
        .sync_status(f.integration, &event, Some(&key))
        .await
        .unwrap();
    assert_eq!((again.changed, again.unchanged, again.halt), (0, 1, None));
    let activities = f.store.activities(f.issue).await.unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0].kind, ActivityKind::SetResolved);
    assert_eq!(
        f.watermark(SyncKind::Status).await,
        Some(EventTime::from_unix_millis(2_000))
    );
}

/// Behaviour: an older event delivered after a crash of a newer one's sync is still refused
/// once the newer one is delivered again: the guard holds across the repair.
pub async fn older_event_after_a_repaired_crash_is_stale<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let newer = unassigned(5_000);
    let key = delivery_key("30005");
    f.assign_email("alice@example.com", 1_000).await;
    fails(
        &faulty_sync(&f, HostFault::CrashAfterWrite { call: 1 }),
        f.integration,
        &newer,
        &key,
    )
    .await;
    f.sync
        .sync_assignee(f.integration, &newer, Some(&key))
        .await
        .unwrap();
    let older = f.assign_email("alice@example.com", 3_000).await;
    assert_eq!(older.halt, Some(HaltReason::StaleEvent));
    assert_eq!(f.assignee_of(f.issue).await, None);
}

/// Behaviour: syncs of one Jira issue wait for each other: however many run at once, no two
/// write to the host at the same time, and the newest event wins.
pub async fn syncs_of_one_issue_never_write_at_the_same_time<S: World + 'static>(store: S) {
    const EVENTS: i64 = 24;
    let f = Fixture::new(store).await;
    // Bob holds the issue, older than every event: whichever event runs first differs from it
    // and writes, so the storm writes in any order (the newest one first included).
    f.member(&["bob@example.com"]).await;
    f.assign_email("bob@example.com", 999).await;
    let host = Arc::new(TestHost::holding_writes(
        Arc::clone(&f.store),
        Duration::from_millis(2),
    ));
    let sync = Arc::new(InboundSync::new(
        Arc::clone(&f.store),
        Arc::clone(&host),
        Arc::clone(&f.directory),
    ));
    let integration = f.integration;
    let tasks: Vec<_> = (0..EVENTS)
        .map(|n| (n * 7 + 3) % EVENTS)
        .map(|i| {
            let sync = Arc::clone(&sync);
            tokio::spawn(async move {
                // Alternate: every event changes the assignee of an issue at its previous one.
                let event = if i % 2 == 0 {
                    assigned_to_email("alice@example.com", 1_000 + i)
                } else {
                    unassigned(1_000 + i)
                };
                sync.sync_assignee(integration, &event, None).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(host.max_overlap(), 1, "two writes to one issue overlapped");
    // The newest event (odd) unassigned.
    assert_eq!(f.assignee_of(f.issue).await, None);
    assert_eq!(
        f.watermark(SyncKind::Assignee).await,
        Some(EventTime::from_unix_millis(1_000 + EVENTS - 1))
    );
}
