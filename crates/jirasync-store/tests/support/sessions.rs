//! Shared by the session tests: the sync of the fixture's Jira issue started and held, and what
//! every back-end must do with it (a session dropped frees the issue at once; a wait beyond the
//! store's limit is `Unavailable`, naming the issue; a host change staged in a session lands
//! with its commit or not at all).

// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use jirasync_domain::activity::{ActivityData, ActivityKind};
use jirasync_domain::conformance::World;
use jirasync_domain::conformance::fixture::{Fixture, KEY};
use jirasync_domain::host::IssueChange;
use jirasync_domain::issue::Assignee;
use jirasync_domain::store::{IssueSyncRequest, IssueSyncSession, IssueSyncStart, SyncKind};
use jirasync_domain::{IssueSyncStore, StoreError};
use jirasync_webhook::{DeliveryKey, IssueKey};

/// An assignee sync of the fixture's issue, without a delivery key.
pub(crate) fn request<S: World + ?Sized>(f: &Fixture<S>) -> IssueSyncRequest {
    IssueSyncRequest {
        integration_id: f.integration,
        issue_key: IssueKey::new(KEY),
        kind: SyncKind::Assignee,
        organizations: vec![f.organization],
        delivery_key: None,
    }
}

/// The session `store` starts for `request` (never a duplicate: no delivery key).
pub(crate) async fn started<S: IssueSyncStore + ?Sized>(
    store: &S,
    request: IssueSyncRequest,
) -> Box<dyn IssueSyncSession> {
    match store.begin_issue_sync(request).await.unwrap() {
        IssueSyncStart::Started(session) => session,
        IssueSyncStart::Duplicate => {
            panic!("a request without a delivery key is never a duplicate")
        }
    }
}

/// While `holder` holds the issue, `waiter` (a store whose wait limit is short) fails with
/// `Unavailable` naming the Jira issue; once the session is dropped, the issue is free at once.
pub(crate) async fn waiting_too_long_is_unavailable_and_a_dropped_session_frees_the_issue<S>(
    holder: &S,
    waiter: &S,
    f: &Fixture<S>,
) where
    S: World + 'static,
{
    let session = started(holder, request(f)).await;
    let error = waiter.begin_issue_sync(request(f)).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(error.to_string().contains(KEY), "{error}");

    drop(session);
    let freed = Instant::now();
    let next = tokio::time::timeout(Duration::from_secs(5), started(waiter, request(f)))
        .await
        .expect("the dropped session freed the issue");
    assert!(
        freed.elapsed() < Duration::from_secs(2),
        "{:?}",
        freed.elapsed()
    );
    next.commit(&[], Vec::new()).await.unwrap();
}

/// The delivery key of an assignee change of the fixture's issue in Jira changelog `changelog`.
fn delivery_key(changelog: &str) -> DeliveryKey {
    DeliveryKey::new(KEY, changelog, "jira:issue_updated")
}

/// `request` with the delivery key of Jira changelog `changelog`.
fn keyed<S: World + ?Sized>(f: &Fixture<S>, changelog: &str) -> IssueSyncRequest {
    IssueSyncRequest {
        delivery_key: Some(delivery_key(changelog)),
        ..request(f)
    }
}

/// One delivery applied by two sessions at once (two instances, or a replay beside a worker):
/// the second waits for the first; once the first commits, the second is a duplicate and reads
/// nothing; had the first been dropped, the second starts, reads the watermark as it was, and
/// its commit records the delivery.
pub(crate) async fn a_delivery_being_applied_is_waited_for_then_a_duplicate_or_free<S>(
    first: &S,
    second: &S,
    f: &Fixture<S>,
) where
    S: World + Clone + 'static,
{
    let at = jirasync_webhook::EventTime::from_unix_millis(5_000);
    let wait_for_second = |key: &'static str| {
        let second = second.clone();
        let request = keyed(f, key);
        tokio::spawn(async move {
            let start = second.begin_issue_sync(request).await.unwrap();
            (Instant::now(), start)
        })
    };

    let held = started(first, keyed(f, "20001")).await;
    let duplicate = wait_for_second("20001");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let committed = Instant::now();
    held.commit(&[(f.organization, at)], Vec::new())
        .await
        .unwrap();
    let (answered, start) = duplicate.await.unwrap();
    assert!(answered >= committed, "the second session did not wait");
    assert!(matches!(start, IssueSyncStart::Duplicate), "{start:?}");

    let dropped = started(first, keyed(f, "20002")).await;
    let free = wait_for_second("20002");
    tokio::time::sleep(Duration::from_millis(150)).await;
    drop(dropped);
    let (_, start) = free.await.unwrap();
    let IssueSyncStart::Started(session) = start else {
        panic!("the dropped session's delivery was not recorded: {start:?}");
    };
    assert_eq!(session.watermarks(), [(f.organization, Some(at))]);
    session.commit(&[], Vec::new()).await.unwrap();
    assert!(
        first
            .delivery_seen(f.integration, SyncKind::Assignee, &delivery_key("20002"))
            .await
            .unwrap()
    );
}

/// Alice assigned to the fixture's issue, as the inbound assignee rule would change it.
pub(crate) fn assign_alice<S: World + ?Sized>(f: &Fixture<S>) -> IssueChange {
    IssueChange {
        issue: f.issue,
        kind: ActivityKind::Assigned,
        data: ActivityData::inbound(f.integration, Some(Assignee::User(f.alice)), None),
    }
}

/// The fixture's issue's assignee, as the host reads it.
pub(crate) async fn assignee<S: World + ?Sized>(f: &Fixture<S>) -> Option<Assignee> {
    f.store.issue(f.issue).await.unwrap().unwrap().assignee
}

/// A store that holds the standalone host's tables takes a host change into the session: it is
/// not written by a session dropped without commit, nor before the commit, and is written by
/// the commit.
pub(crate) async fn a_staged_host_change_lands_with_the_commit_or_not_at_all<S>(f: &Fixture<S>)
where
    S: World + ?Sized,
{
    let before = assignee(f).await;
    assert_ne!(before, Some(Assignee::User(f.alice)));
    let mut dropped = started(&*f.store, request(f)).await;
    assert!(
        dropped.stage_host_change(&assign_alice(f)),
        "the store holds the host's tables"
    );
    drop(dropped);
    assert_eq!(
        assignee(f).await,
        before,
        "a dropped session writes nothing"
    );

    let mut session = started(&*f.store, request(f)).await;
    assert!(session.stage_host_change(&assign_alice(f)));
    assert_eq!(
        assignee(f).await,
        before,
        "nothing written before the commit"
    );
    session.commit(&[], Vec::new()).await.unwrap();
    assert_eq!(assignee(f).await, Some(Assignee::User(f.alice)));
}
