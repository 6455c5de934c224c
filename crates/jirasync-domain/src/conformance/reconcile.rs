//! Reconciling with Jira: the [`ReconcileStore`] bookkeeping (linked keys in batches, the
//! reconcile point, the lease) and the reconcile rule over a store (a snapshot applied through the
//! inbound rules and the ordering guard).
//!
//! Run with [`reconcile_conformance_tests!`](crate::reconcile_conformance_tests) on a store that
//! is a [`World`] and a [`ReconcileStore`].

use std::time::{Duration, SystemTime};

use jirasync_webhook::{EventTime, IssueKey, StatusId};

use super::World;
use super::fixture::{DONE, Fixture, IN_PROGRESS, KEY, jira_user_with_email};
use crate::ids::IntegrationId;
use crate::integration::{ExternalId, IntegrationMetadata};
use crate::issue::{Assignee, ResolutionStatus};
use crate::rules::outcome::HaltReason;
use crate::rules::reconcile::IssueSnapshot;
use crate::store::{ReconcileStore, StoreError, SyncKind};

/// A store the reconcile suite runs on.
pub trait ReconcileWorld: World + ReconcileStore {}

impl<T: World + ReconcileStore + ?Sized> ReconcileWorld for T {}

/// Expands to one `#[tokio::test]` per reconcile behaviour, each on a fresh store made by
/// `$factory.await` (with `optional:`, an `Option` of a store; `None` skips), as
/// [`conformance_tests!`](crate::conformance_tests) does.
#[macro_export]
macro_rules! reconcile_conformance_tests {
    ($factory:expr) => {
        $crate::reconcile_conformance_tests!(optional: async { Some($factory.await) });
    };
    (optional: $factory:expr) => {
        $crate::__conformance_tests!(
            $factory;
            linked_issue_keys_come_in_batches_without_repeats,
            reconcile_point_only_moves_forward,
            reconcile_point_of_an_unknown_integration_is_not_found,
            reconcile_lease_admits_one_holder_until_it_expires,
            reconcile_applies_what_no_webhook_delivered,
            reconcile_after_the_webhook_writes_nothing,
            reconcile_never_overrides_a_newer_webhook,
            reconcile_unresolves_an_issue_jira_reopened,
            reconcile_without_a_category_uses_the_done_statuses,
        );
    };
}

const T1: i64 = 1_780_308_000_000;
const T2: i64 = T1 + 60_000;

/// Jira's view of [`KEY`] at `at`: `assignee` (by e-mail), status `status`.
fn snapshot(assignee: Option<&str>, status: &str, done: Option<bool>, at: i64) -> IssueSnapshot {
    IssueSnapshot {
        issue_key: IssueKey::new(KEY),
        issue_id: Some("10001".into()),
        assignee: assignee.map(jira_user_with_email),
        status_id: StatusId::new(status),
        status_done: done,
        updated: EventTime::from_unix_millis(at),
    }
}

async fn second_integration<S: ReconcileWorld + 'static>(f: &Fixture<S>) -> IntegrationId {
    f.store
        .seed_integration(
            ExternalId::for_jira("jira2.example.com", "jirasync"),
            "jirasync",
            IntegrationMetadata {
                base_url: "https://jira2.example.com".into(),
                domain_name: "jira2.example.com".into(),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        )
        .await
        .unwrap()
}

/// Behaviour: linked issue keys come in batches, ascending, each key once, only keys that
/// still link a local issue through the integration.
pub async fn linked_issue_keys_come_in_batches_without_repeats<S: ReconcileWorld + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    for key in ["APP-2", "APP-3", "OPS-7"] {
        f.linked_issue(f.organization, f.project, key).await;
    }
    // A second organization links APP-2 too: still one key.
    let (other, other_project, _) = f.other_organization("bob@example.com").await;
    f.linked_issue(other, other_project, "APP-2").await;
    // A key whose only link was removed, and a key of another integration, are not listed.
    let unlinked = f.linked_issue(f.organization, f.project, "APP-9").await;
    f.store
        .unlink_issue(
            f.organization,
            f.integration,
            &IssueKey::new("APP-9"),
            unlinked,
        )
        .await
        .unwrap();
    let elsewhere = second_integration(&f).await;
    assert!(
        f.store
            .linked_issue_keys(elsewhere, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let mut read = Vec::new();
    let mut after: Option<IssueKey> = None;
    loop {
        let batch = f
            .store
            .linked_issue_keys(f.integration, after.as_ref(), 2)
            .await
            .unwrap();
        assert!(batch.len() <= 2, "{batch:?}");
        let Some(last) = batch.last().cloned() else {
            break;
        };
        read.extend(batch);
        after = Some(last);
    }
    let mut expected: Vec<IssueKey> = ["APP-1", "APP-2", "APP-3", "OPS-7"]
        .into_iter()
        .map(IssueKey::new)
        .collect();
    let mut sorted = read.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), read.len(), "a key came twice: {read:?}");
    expected.sort();
    assert_eq!(sorted, expected);
}

/// Behaviour: the reconcile point starts empty and only moves forward.
pub async fn reconcile_point_only_moves_forward<S: ReconcileWorld + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let at = EventTime::from_unix_millis;
    assert_eq!(f.store.reconcile_point(f.integration).await.unwrap(), None);
    f.store
        .advance_reconcile_point(f.integration, at(T2))
        .await
        .unwrap();
    f.store
        .advance_reconcile_point(f.integration, at(T1))
        .await
        .unwrap();
    assert_eq!(
        f.store.reconcile_point(f.integration).await.unwrap(),
        Some(at(T2))
    );
    f.store
        .advance_reconcile_point(f.integration, at(T2 + 1))
        .await
        .unwrap();
    assert_eq!(
        f.store.reconcile_point(f.integration).await.unwrap(),
        Some(at(T2 + 1))
    );
    // Another integration's point is its own.
    let other = second_integration(&f).await;
    assert_eq!(f.store.reconcile_point(other).await.unwrap(), None);
}

/// Behaviour: an unknown integration has no point to move and no lease to take.
pub async fn reconcile_point_of_an_unknown_integration_is_not_found<S: ReconcileWorld + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    let unknown = IntegrationId::new(987_654);
    let error = f
        .store
        .advance_reconcile_point(unknown, EventTime::from_unix_millis(T1))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
    let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_000_000);
    let error = f
        .store
        .acquire_reconcile_lease(unknown, "a", now, now + Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
    assert_eq!(f.store.reconcile_point(unknown).await.unwrap(), None);
}

/// Behaviour: the reconcile lease has one holder until it expires or is released; its holder
/// may extend it.
pub async fn reconcile_lease_admits_one_holder_until_it_expires<S: ReconcileWorld + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    let store = &f.store;
    let id = f.integration;
    let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_780_308_000_000);
    let minute = Duration::from_secs(60);
    assert!(
        store
            .acquire_reconcile_lease(id, "a", now, now + minute)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_reconcile_lease(id, "b", now, now + minute)
            .await
            .unwrap()
    );
    // The holder extends it.
    assert!(
        store
            .acquire_reconcile_lease(id, "a", now + minute / 2, now + 2 * minute)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_reconcile_lease(id, "b", now + minute, now + 2 * minute)
            .await
            .unwrap()
    );
    // Expired: another holder takes it over.
    assert!(
        store
            .acquire_reconcile_lease(id, "b", now + 2 * minute, now + 3 * minute)
            .await
            .unwrap()
    );
    // Releasing someone else's lease changes nothing; the holder's release frees it.
    store.release_reconcile_lease(id, "a").await.unwrap();
    assert!(
        !store
            .acquire_reconcile_lease(id, "a", now + 2 * minute, now + 3 * minute)
            .await
            .unwrap()
    );
    store.release_reconcile_lease(id, "b").await.unwrap();
    assert!(
        store
            .acquire_reconcile_lease(id, "a", now + 2 * minute, now + 3 * minute)
            .await
            .unwrap()
    );
    // The lease and the point are independent.
    assert_eq!(store.reconcile_point(id).await.unwrap(), None);
}

/// Behaviour: a snapshot that differs from the host is applied (assignee, then status) with the
/// activities a webhook writes, and moves both watermarks to its `updated` time.
pub async fn reconcile_applies_what_no_webhook_delivered<S: ReconcileWorld + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let outcome = f
        .sync
        .reconcile_issue(
            f.integration,
            &snapshot(Some("alice@example.com"), DONE, Some(true), T1),
        )
        .await
        .unwrap();
    assert_eq!(outcome.assignee.changed, 1);
    assert_eq!(outcome.status.changed, 1);
    assert_eq!(outcome.changed(), 2);
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
    assert_eq!(f.activity_count(f.issue).await, 2);
    let at = Some(EventTime::from_unix_millis(T1));
    assert_eq!(f.watermark(SyncKind::Assignee).await, at);
    assert_eq!(f.watermark(SyncKind::Status).await, at);
}

/// Behaviour: a snapshot of what a webhook applied already (same `updated` time, same state)
/// writes nothing: no host change, no activity, watermarks as they were.
pub async fn reconcile_after_the_webhook_writes_nothing<S: ReconcileWorld + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.assign_email("alice@example.com", T1).await;
    let activities = f.activity_count(f.issue).await;
    let outcome = f
        .sync
        .reconcile_issue(
            f.integration,
            &snapshot(Some("alice@example.com"), IN_PROGRESS, Some(false), T1),
        )
        .await
        .unwrap();
    assert_eq!(outcome.changed(), 0);
    assert_eq!(outcome.assignee.unchanged, 1);
    assert_eq!(outcome.status.unchanged, 1);
    assert_eq!(f.activity_count(f.issue).await, activities);
    assert_eq!(
        f.watermark(SyncKind::Assignee).await,
        Some(EventTime::from_unix_millis(T1))
    );
}

/// Behaviour: a snapshot read before a newer webhook was applied is stale: the webhook's change
/// stays.
pub async fn reconcile_never_overrides_a_newer_webhook<S: ReconcileWorld + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.assign_email("alice@example.com", T2).await;
    let outcome = f
        .sync
        .reconcile_issue(f.integration, &snapshot(None, DONE, Some(true), T1))
        .await
        .unwrap();
    assert_eq!(outcome.assignee.halt, Some(HaltReason::StaleEvent));
    assert_eq!(outcome.assignee.changed, 0);
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_eq!(
        f.watermark(SyncKind::Assignee).await,
        Some(EventTime::from_unix_millis(T2))
    );
    // The status had no newer event: Jira's `done` is applied.
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
}

/// Behaviour: an issue Jira moved out of `done` is unresolved.
pub async fn reconcile_unresolves_an_issue_jira_reopened<S: ReconcileWorld + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let resolved = f
        .linked_issue_with(
            f.organization,
            f.project,
            KEY,
            ResolutionStatus::Resolved,
            None,
        )
        .await;
    let outcome = f
        .sync
        .reconcile_issue(f.integration, &snapshot(None, IN_PROGRESS, Some(false), T1))
        .await
        .unwrap();
    assert_eq!(outcome.status.changed, 1);
    assert_eq!(f.status_of(resolved).await, ResolutionStatus::Unresolved);
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Unresolved);
}

/// Behaviour: without a status category in the snapshot, the integration's `done` statuses
/// decide, as for a webhook.
pub async fn reconcile_without_a_category_uses_the_done_statuses<S: ReconcileWorld + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    f.sync
        .reconcile_issue(f.integration, &snapshot(None, DONE, None, T1))
        .await
        .unwrap();
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
    assert_eq!(f.directory.status_lookups(), 1);
}
