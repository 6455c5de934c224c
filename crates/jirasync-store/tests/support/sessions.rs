//! Shared by the session tests: the sync of the fixture's Jira issue started and held, and what
//! every back-end must do with it (a session dropped frees the issue at once; a wait beyond the
//! store's limit is `Unavailable`, naming the issue; a host change or an inbox delivery's
//! completion staged in a session lands with its commit or not at all).

// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jirasync_domain::activity::{ActivityData, ActivityKind};
use jirasync_domain::conformance::World;
use jirasync_domain::conformance::fixture::{
    DONE, Fixture, KEY, TO_DO, assigned_to_email, status_changed,
};
use jirasync_domain::host::IssueChange;
use jirasync_domain::inbox::conformance::{delivery as inbox_delivery, t0};
use jirasync_domain::inbox::{DeliveryCompletion, DeliveryId, DeliveryState};
use jirasync_domain::integration::Integration;
use jirasync_domain::issue::Assignee;
use jirasync_domain::rules::outcome::HaltReason;
use jirasync_domain::store::{IssueSyncRequest, IssueSyncSession, IssueSyncStart, SyncKind};
use jirasync_domain::{DirectoryError, Inbox, IssueSyncStore, JiraDirectory, StoreError};
use jirasync_webhook::{ChangeSet, DeliveryKey, IssueKey, JiraUser, StatusId};

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

/// A delivery of the fixture's issue, claimed as attempt 1: its id.
async fn claimed_delivery<S: Inbox + ?Sized>(store: &S, changed_ms: i64) -> DeliveryId {
    let id = store
        .enqueue(inbox_delivery(Some(KEY), Some(changed_ms)))
        .await
        .unwrap();
    let claimed = store.claim(t0(), COMPLETION_LEASE, 1).await.unwrap();
    assert_eq!(
        claimed
            .iter()
            .map(|c| (c.id, c.attempt))
            .collect::<Vec<_>>(),
        [(id, 1)]
    );
    id
}

/// How long the claims of the completion test last.
const COMPLETION_LEASE: Duration = Duration::from_secs(30);

/// The stored state and attempts of delivery `id`.
async fn delivery_state<S: Inbox + ?Sized>(store: &S, id: DeliveryId) -> (DeliveryState, u32) {
    let listed = store.list(None, 100).await.unwrap();
    let summary = listed
        .iter()
        .find(|summary| summary.id == id)
        .expect("the delivery is stored");
    (summary.state, summary.attempts)
}

/// A store whose inbox holds the deliveries takes a delivery's completion into the session of
/// its sync: a session dropped completes nothing and records nothing; a commit marks the
/// delivery done with the sync's writes, records `Ok`, and hands the key on to the delivery
/// behind it; a commit whose attempt no longer holds its delivery lands the sync's writes and
/// records why the completion was refused, leaving the delivery to the attempt holding it.
pub(crate) async fn an_inbox_completion_lands_with_the_commit_or_not_at_all<S>(f: &Fixture<S>)
where
    S: World + Inbox + 'static,
{
    let store = &*f.store;
    let first = claimed_delivery(store, 1).await;
    let second = store
        .enqueue(inbox_delivery(Some(KEY), Some(2)))
        .await
        .unwrap();
    let completion = DeliveryCompletion::new(first, 1);

    let mut dropped = started(store, request(f)).await;
    assert!(
        dropped.stage_completion(&completion),
        "the store's inbox holds the delivery"
    );
    drop(dropped);
    assert!(completion.take_outcome().is_none(), "nothing was committed");
    assert_eq!(
        delivery_state(store, first).await,
        (DeliveryState::Pending, 1)
    );

    let mut session = started(store, request(f)).await;
    assert!(session.stage_completion(&completion));
    assert_eq!(
        delivery_state(store, first).await,
        (DeliveryState::Pending, 1),
        "nothing is completed before the commit"
    );
    let at = jirasync_webhook::EventTime::from_unix_millis(6_000);
    session
        .commit(&[(f.organization, at)], Vec::new())
        .await
        .unwrap();
    assert!(matches!(completion.take_outcome(), Some(Ok(()))));
    assert_eq!(delivery_state(store, first).await, (DeliveryState::Done, 1));
    assert_eq!(f.watermark(SyncKind::Assignee).await, Some(at));
    let next = store.claim(t0(), COMPLETION_LEASE, 10).await.unwrap();
    assert_eq!(
        next.iter().map(|c| c.id).collect::<Vec<_>>(),
        [second],
        "the key's next delivery is claimable once the first is done"
    );

    // Attempt 1 of `second` holds it; a completion naming attempt 2 does not.
    let stale = DeliveryCompletion::new(second, 2);
    let mut session = started(store, request(f)).await;
    assert!(session.stage_completion(&stale));
    let later = jirasync_webhook::EventTime::from_unix_millis(7_000);
    session
        .commit(&[(f.organization, later)], Vec::new())
        .await
        .unwrap();
    let refused = stale.take_outcome();
    assert!(
        matches!(refused, Some(Err(StoreError::Conflict { .. }))),
        "{refused:?}"
    );
    assert_eq!(
        f.watermark(SyncKind::Assignee).await,
        Some(later),
        "the sync's writes landed"
    );
    assert_eq!(
        delivery_state(store, second).await,
        (DeliveryState::Pending, 1),
        "left to the attempt holding it"
    );
    store.complete(second, 1).await.unwrap();
}

/// A delivery that assigns the fixture's issue to Alice and moves its status, with a delivery
/// key of Jira changelog `changelog`.
fn assignee_and_status(changelog: &str, at: i64) -> ChangeSet {
    ChangeSet {
        delivery_key: Some(delivery_key(changelog)),
        assignee: Some(assigned_to_email("alice@example.com", at)),
        status: Some(status_changed(TO_DO, DONE, at)),
        comment: None,
    }
}

/// Only the commit of a delivery's last change completes it: with the status look-up failing
/// after the assignee was applied and committed, the delivery stays its claim's (to be failed
/// and retried) and nothing is recorded; once every change applies, the last commit completes
/// it; a delivery whose last change needs no session (a duplicate) records nothing, and is the
/// caller's to complete.
pub(crate) async fn only_the_last_change_of_a_delivery_completes_it<S>(store: S)
where
    S: World + Inbox + 'static,
{
    let directory = Switchable::default();
    let jira_down = Arc::clone(&directory.down);
    let f = Fixture::with_directory(store, directory).await;
    let first = claimed_delivery(&*f.store, 1).await;
    let completion = DeliveryCompletion::new(first, 1);
    let changes = assignee_and_status("30001", 5_000);
    jira_down.store(true, Ordering::SeqCst);
    let error = f
        .sync
        .apply_delivery(f.integration, &changes, Some(&completion))
        .await
        .unwrap_err();
    jira_down.store(false, Ordering::SeqCst);
    assert!(error.is_retryable(), "{error}");
    assert_eq!(
        f.assignee_of(f.issue).await,
        Some(Assignee::User(f.alice)),
        "the assignee change was applied and committed"
    );
    assert!(
        completion.take_outcome().is_none(),
        "no commit completed it"
    );
    assert_eq!(
        delivery_state(&*f.store, first).await,
        (DeliveryState::Pending, 1)
    );
    f.store.complete(first, 1).await.unwrap();

    let second = claimed_delivery(&*f.store, 2).await;
    let completion = DeliveryCompletion::new(second, 1);
    f.sync
        .apply_delivery(f.integration, &changes, Some(&completion))
        .await
        .unwrap();
    assert!(matches!(completion.take_outcome(), Some(Ok(()))));
    assert_eq!(
        delivery_state(&*f.store, second).await,
        (DeliveryState::Done, 1)
    );

    let third = claimed_delivery(&*f.store, 3).await;
    let again = DeliveryCompletion::new(third, 1);
    let outcome = f
        .sync
        .apply_delivery(f.integration, &changes, Some(&again))
        .await
        .unwrap();
    assert_eq!(
        outcome.status.and_then(|status| status.halt),
        Some(HaltReason::DuplicateDelivery)
    );
    assert!(again.take_outcome().is_none(), "a duplicate has no commit");
    assert_eq!(
        delivery_state(&*f.store, third).await,
        (DeliveryState::Pending, 1)
    );
    f.store.complete(third, 1).await.unwrap();
}

/// A Jira directory that knows [`DONE`] as `done`, and fails as unreachable while `down`.
#[derive(Debug, Default)]
struct Switchable {
    down: Arc<AtomicBool>,
}

impl Switchable {
    fn up(&self) -> Result<(), DirectoryError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(DirectoryError::Unreachable {
                message: "Jira is down".to_owned(),
            });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl JiraDirectory for Switchable {
    async fn find_user(
        &self,
        _integration: &Integration,
        _user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError> {
        self.up().map(|()| None)
    }

    async fn done_status_ids(
        &self,
        _integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError> {
        self.up().map(|()| BTreeSet::from([StatusId::new(DONE)]))
    }
}
