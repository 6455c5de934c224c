//! Inbound status sync (reference §3.5).

use std::sync::Arc;
use std::time::Duration;

use jirasync_webhook::DeliveryKey;

use super::fixture::{CLOSED, DONE, Fixture, IN_PROGRESS, KEY, TO_DO, status_changed};
use crate::activity::ActivityKind;
use crate::integration::{LinkStatus, SyncConfig};
use crate::issue::ResolutionStatus;
use crate::jira_directory::{DirectoryError, ManualClock, StaticJiraDirectory};
use crate::rules::outcome::{HaltReason, SyncError};
use crate::rules::status::ResolveAction;
use crate::store::SyncKind;

use super::World;

/// Behaviour: resolves when status moves into done.
pub async fn resolves_when_status_moves_into_done<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let outcome = f
        .change_status(&status_changed(IN_PROGRESS, DONE, 1_000))
        .await;
    assert_eq!(outcome.action, Some(ResolveAction::Resolve));
    assert_eq!(outcome.changed, 1);
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
    let activities = f.store.activities(f.issue).await.unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0].kind, ActivityKind::SetResolved);
    assert_eq!(activities[0].data.provider, "Jira Server");
    assert_eq!(activities[0].data.sync_source, Some(f.integration));
}

/// Behaviour: unresolves when status leaves done.
pub async fn unresolves_when_status_leaves_done<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let issue = f
        .linked_issue_with(
            f.organization,
            f.project,
            KEY,
            ResolutionStatus::Resolved,
            None,
        )
        .await;
    let outcome = f
        .change_status(&status_changed(DONE, IN_PROGRESS, 1_000))
        .await;
    assert_eq!(outcome.action, Some(ResolveAction::Unresolve));
    assert_eq!(f.status_of(issue).await, ResolutionStatus::Unresolved);
    let activities = f.store.activities(issue).await.unwrap();
    assert_eq!(activities[0].kind, ActivityKind::SetUnresolved);
}

/// Behaviour: move within one category changes nothing.
pub async fn move_within_one_category_changes_nothing<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let outcome = f
        .change_status(&status_changed(TO_DO, IN_PROGRESS, 1_000))
        .await;
    assert_eq!(outcome.action, Some(ResolveAction::Noop));
    assert_eq!(outcome.halt, Some(HaltReason::NoResolutionChange));
    let outcome = f.change_status(&status_changed(DONE, CLOSED, 2_000)).await;
    assert_eq!(outcome.action, Some(ResolveAction::Noop));
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Unresolved);
    assert_eq!(f.activity_count(f.issue).await, 0);
}

/// Behaviour: issue already resolved gets no duplicate activity.
pub async fn issue_already_resolved_gets_no_duplicate_activity<S: World + 'static>(store: S) {
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
        .change_status(&status_changed(IN_PROGRESS, DONE, 1_000))
        .await;
    assert_eq!((outcome.changed, outcome.unchanged), (1, 1));
    assert_eq!(f.activity_count(resolved).await, 0);
    assert_eq!(f.activity_count(f.issue).await, 1);
}

/// Behaviour: status sync requires sync status reverse.
pub async fn status_sync_requires_sync_status_reverse<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let config = SyncConfig {
        sync_status_reverse: false,
        ..SyncConfig::all_on()
    };
    f.store
        .seed_organization_integration(f.organization, f.integration, LinkStatus::Active, config)
        .await
        .unwrap();
    let outcome = f
        .change_status(&status_changed(IN_PROGRESS, DONE, 1_000))
        .await;
    assert_eq!(outcome.halt, Some(HaltReason::SyncDisabled));
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Unresolved);
    assert_eq!(f.directory.status_lookups(), 0);
}

/// Behaviour: failing jira directory is a retryable status error.
pub async fn failing_jira_directory_is_a_retryable_status_error<S: World + 'static>(store: S) {
    let directory = StaticJiraDirectory::new().failing(DirectoryError::Unreachable {
        message: "timed out".into(),
    });
    let f = Fixture::with_directory(store, directory).await;
    let error = f
        .sync
        .sync_status(
            f.integration,
            &status_changed(IN_PROGRESS, DONE, 1_000),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::Directory(_)));
    assert!(error.is_retryable());
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Unresolved);
}

/// Behaviour: older status event is stale.
pub async fn older_status_event_is_stale<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.change_status(&status_changed(DONE, IN_PROGRESS, 2_000))
        .await;
    let outcome = f
        .change_status(&status_changed(IN_PROGRESS, DONE, 1_000))
        .await;
    assert_eq!(outcome.halt, Some(HaltReason::StaleEvent));
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Unresolved);
    let equal = f
        .change_status(&status_changed(IN_PROGRESS, DONE, 2_000))
        .await;
    assert_eq!(equal.changed, 1);
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
}

/// Behaviour: duplicate status delivery is applied once.
pub async fn duplicate_status_delivery_is_applied_once<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let key = DeliveryKey::new("10001", "30001", "jira:issue_updated");
    let event = status_changed(IN_PROGRESS, DONE, 1_000);
    f.sync
        .sync_status(f.integration, &event, Some(&key))
        .await
        .unwrap();
    f.change_status(&status_changed(DONE, IN_PROGRESS, 2_000))
        .await;
    let replay = f
        .sync
        .sync_status(f.integration, &event, Some(&key))
        .await
        .unwrap();
    assert_eq!(replay.halt, Some(HaltReason::DuplicateDelivery));
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Unresolved);
}

/// Behaviour: done statuses are cached for 240 seconds.
pub async fn done_statuses_are_cached_for_240_seconds<S: World + 'static>(store: S) {
    let clock = Arc::new(ManualClock::new());
    let directory = StaticJiraDirectory::new().with_done_statuses([DONE]);
    let f = Fixture::with_directory_and_clock(store, directory, clock.clone()).await;
    let mut at = 1_000;
    let mut flip = |from_done: bool| {
        at += 1_000;
        if from_done {
            status_changed(DONE, IN_PROGRESS, at)
        } else {
            status_changed(IN_PROGRESS, DONE, at)
        }
    };
    f.change_status(&flip(false)).await;
    clock.advance(Duration::from_secs(239));
    f.change_status(&flip(true)).await;
    assert_eq!(f.directory.status_lookups(), 1);
    clock.advance(Duration::from_secs(1));
    f.change_status(&flip(false)).await;
    assert_eq!(f.directory.status_lookups(), 2);
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
}

/// Behaviour: noop status change leaves the watermark.
pub async fn noop_status_change_leaves_the_watermark<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.change_status(&status_changed(TO_DO, IN_PROGRESS, 3_000))
        .await;
    assert_eq!(f.watermark(SyncKind::Status).await, None);
    // A reordered, older real transition still applies.
    let outcome = f
        .change_status(&status_changed(IN_PROGRESS, DONE, 2_000))
        .await;
    assert_eq!(outcome.changed, 1);
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
}

/// Behaviour: status is synced in every organization that syncs.
pub async fn status_is_synced_in_every_organization_that_syncs<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (other, other_project, _) = f.other_organization("someone@globex.example").await;
    let other_issue = f.linked_issue(other, other_project, KEY).await;
    let outcome = f
        .change_status(&status_changed(IN_PROGRESS, DONE, 1_000))
        .await;
    assert_eq!((outcome.organizations, outcome.changed), (2, 2));
    assert_eq!(f.status_of(other_issue).await, ResolutionStatus::Resolved);
}
