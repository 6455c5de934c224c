//! The SQLite store's sessions: a lease row per Jira issue. A crashed holder's lease is taken
//! over once it ends, a commit after losing the lease fails, a wait beyond the limit is
//! `Unavailable`, and two stores on one file (two processes) wait for each other. A host change
//! or an inbox delivery's completion staged in a session is written by its commit, in the same
//! transaction, or not at all (a commit that lost its lease completes nothing).
#![cfg(feature = "sqlite")]
// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

#[allow(dead_code)]
#[path = "support/sessions.rs"]
mod sessions;
#[allow(dead_code)]
mod sqlite_support;

use std::time::{Duration, Instant};

use jirasync_domain::StoreError;
use jirasync_domain::activity::{ActivityData, ActivityKind};
use jirasync_domain::conformance::fixture::{Fixture, KEY};
use jirasync_domain::host::IssueChange;
use jirasync_store::sqlite::{SqliteOptions, SqliteStore};

use sessions::{assign_alice, assignee, request, started};

/// A store on a fresh file with these lease settings, and the conformance fixture on it.
async fn scene(wait: Duration, lease: Duration) -> (tempfile::TempDir, Fixture<SqliteStore>) {
    let (directory, url) = sqlite_support::fresh_file();
    let options = SqliteOptions::default()
        .issue_lock_wait(wait)
        .issue_lock_lease(lease);
    let store = SqliteStore::open_with(&url, options).await.unwrap();
    (directory, Fixture::new(store).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_left_by_a_crashed_session_is_taken_over_once_it_ends() {
    let lease = Duration::from_millis(300);
    let (_directory, f) = scene(Duration::from_secs(10), lease).await;
    let crashed = started(&*f.store, request(&f)).await;
    // The process stops: no commit, no drop, the lease stays in the file.
    std::mem::forget(crashed);

    let waited = Instant::now();
    let next = started(&*f.store, request(&f)).await;
    assert!(
        waited.elapsed() >= lease - Duration::from_millis(50),
        "taken over before the lease ended: {:?}",
        waited.elapsed()
    );
    next.commit(&[], Vec::new()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_after_the_lease_was_taken_over_fails_and_writes_nothing() {
    let (_directory, f) = scene(Duration::from_secs(10), Duration::from_millis(100)).await;
    let before = assignee(&f).await;
    let mut slow = started(&*f.store, request(&f)).await;
    assert!(slow.stage_host_change(&assign_alice(&f)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let next = started(&*f.store, request(&f)).await;

    let at = jirasync_webhook::EventTime::from_unix_millis(9_000);
    let error = slow
        .commit(&[(f.organization, at)], Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains(&format!("the lease on {KEY} expired")),
        "{error}"
    );
    assert_eq!(
        f.watermark(jirasync_domain::store::SyncKind::Assignee)
            .await,
        None
    );
    assert_eq!(
        assignee(&f).await,
        before,
        "the staged change went with the commit"
    );
    next.commit(&[], Vec::new()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_longer_than_the_limit_is_unavailable_naming_the_issue() {
    let (_directory, f) = scene(Duration::from_millis(200), Duration::from_secs(60)).await;
    sessions::waiting_too_long_is_unavailable_and_a_dropped_session_frees_the_issue(
        &*f.store, &*f.store, &f,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_of_another_process_is_waited_for_until_it_commits() {
    let (_directory, url) = sqlite_support::fresh_file();
    let first = SqliteStore::open(&url).await.unwrap();
    let second = SqliteStore::open(&url).await.unwrap();
    let f = Fixture::new(first).await;
    let held = started(&*f.store, request(&f)).await;
    let other = tokio::spawn({
        let request = request(&f);
        async move {
            let session = started(&second, request).await;
            (Instant::now(), session.watermarks().to_vec(), session)
        }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let at = jirasync_webhook::EventTime::from_unix_millis(4_000);
    let committed = Instant::now();
    held.commit(&[(f.organization, at)], Vec::new())
        .await
        .unwrap();
    let (started_at, watermarks, session) = other.await.unwrap();
    assert!(started_at >= committed, "the second process did not wait");
    assert_eq!(
        watermarks,
        [(f.organization, Some(at))],
        "it read the commit"
    );
    session.commit(&[], Vec::new()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_being_applied_is_waited_for_then_a_duplicate_or_free() {
    let (_directory, url) = sqlite_support::fresh_file();
    let first = SqliteStore::open(&url).await.unwrap();
    let second = SqliteStore::open(&url).await.unwrap();
    let f = Fixture::new(first.clone()).await;
    sessions::a_delivery_being_applied_is_waited_for_then_a_duplicate_or_free(&first, &second, &f)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_host_change_lands_with_the_commit_or_not_at_all() {
    let (_directory, f) = scene(Duration::from_secs(10), Duration::from_secs(60)).await;
    sessions::a_staged_host_change_lands_with_the_commit_or_not_at_all(&f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bookkeeping_store_leaves_the_host_change_to_the_host() {
    use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
    use jirasync_domain::store::{IssueSyncRequest, SyncKind};
    use jirasync_store::Layout;

    let (_directory, url) = sqlite_support::fresh_file();
    let options = SqliteOptions::default().layout(Layout::Bookkeeping);
    let store = SqliteStore::open_with(&url, options).await.unwrap();
    let request = IssueSyncRequest {
        integration_id: IntegrationId::new(1),
        issue_key: jirasync_webhook::IssueKey::new(KEY),
        kind: SyncKind::Assignee,
        organizations: vec![OrganizationId::new(1)],
        delivery_key: None,
    };
    let mut session = started(&store, request).await;
    let change = IssueChange {
        issue: LocalIssueId::new(1),
        kind: ActivityKind::Unassigned,
        data: ActivityData::inbound(IntegrationId::new(1), None, None),
    };
    assert!(
        !session.stage_host_change(&change),
        "the application's data is not here"
    );
    session.commit(&[], Vec::new()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_completion_lands_with_the_commit_or_not_at_all() {
    let (_directory, f) = scene(Duration::from_secs(10), Duration::from_secs(60)).await;
    sessions::an_inbox_completion_lands_with_the_commit_or_not_at_all(&f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_that_lost_its_lease_completes_no_delivery() {
    use jirasync_domain::Inbox;
    use jirasync_domain::inbox::conformance::{delivery, t0};
    use jirasync_domain::inbox::{DeliveryCompletion, DeliveryState};

    let (_directory, f) = scene(Duration::from_secs(10), Duration::from_millis(100)).await;
    let id = f.store.enqueue(delivery(Some(KEY), Some(1))).await.unwrap();
    let claimed = f
        .store
        .claim(t0(), Duration::from_secs(30), 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let completion = DeliveryCompletion::new(id, 1);
    let mut slow = started(&*f.store, request(&f)).await;
    assert!(slow.stage_completion(&completion));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let next = started(&*f.store, request(&f)).await;

    let error = slow.commit(&[], Vec::new()).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(completion.take_outcome().is_none(), "nothing recorded");
    let listed = f.store.list(None, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|d| (d.id, d.state)).collect::<Vec<_>>(),
        [(id, DeliveryState::Pending)],
        "the delivery is still its claim's"
    );
    next.commit(&[], Vec::new()).await.unwrap();
    f.store.complete(id, 1).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_last_change_of_a_delivery_completes_it() {
    let (_directory, url) = sqlite_support::fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    sessions::only_the_last_change_of_a_delivery_completes_it(store).await;
}
