//! Many deliveries for one Jira issue at once (DESIGN: "the same result as handling them one
//! after the other in `timestamp` order").

use std::sync::Arc;

use super::fixture::{DONE, Fixture, IN_PROGRESS, assigned_to_email, status_changed, unassigned};
use crate::activity::Activity;
use crate::issue::{Assignee, ResolutionStatus};

use super::World;

/// How many events the concurrency test sends.
const EVENTS: i64 = 64;

/// Runs `deliver(i)` for every event index at once, each on its own task, in a fixed shuffled
/// order (multiplication by a unit modulo `EVENTS`, so a failure reproduces).
async fn deliver_shuffled<F, Fut>(deliver: F)
where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<_> = (0..EVENTS)
        .map(|i| tokio::spawn(deliver((i * 37 + 11) % EVENTS)))
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Activities are written in id order and never go back in Jira time.
fn assert_log_moves_forward(activities: &[Activity]) {
    for pair in activities.windows(2) {
        assert!(pair[0].id < pair[1].id);
        assert!(
            pair[0].data.occurred_at <= pair[1].data.occurred_at,
            "the activity log went backwards: {pair:?}"
        );
    }
}

/// Behaviour: concurrent shuffled assignee events converge on the newest.
pub async fn concurrent_shuffled_assignee_events_converge_on_the_newest<S: World + 'static>(
    store: S,
) {
    let f = Arc::new(Fixture::new(store).await);
    let bob = f.member(&["bob@example.com"]).await;
    // Event i assigns alice, bob or nobody; the newest (i = EVENTS - 1) decides the end state.
    let event = |i: i64| match i % 3 {
        0 => assigned_to_email("alice@example.com", 1_000 + i),
        1 => assigned_to_email("bob@example.com", 1_000 + i),
        _ => unassigned(1_000 + i),
    };
    let expected = match (EVENTS - 1) % 3 {
        0 => Some(Assignee::User(f.alice)),
        1 => Some(Assignee::User(bob)),
        _ => None,
    };
    deliver_shuffled(|i| {
        let f = Arc::clone(&f);
        let event = event(i);
        async move {
            f.assign(&event).await;
        }
    })
    .await;
    assert_eq!(f.assignee_of(f.issue).await, expected);
    let activities = f.store.activities(f.issue).await.unwrap();
    assert!(!activities.is_empty());
    assert_log_moves_forward(&activities);
}

/// Behaviour: concurrent shuffled status events converge on the newest.
pub async fn concurrent_shuffled_status_events_converge_on_the_newest<S: World + 'static>(
    store: S,
) {
    let f = Arc::new(Fixture::new(store).await);
    // Even events resolve, odd ones reopen; the newest (odd) leaves the issue unresolved.
    let event = |i: i64| {
        if i % 2 == 0 {
            status_changed(IN_PROGRESS, DONE, 1_000 + i)
        } else {
            status_changed(DONE, IN_PROGRESS, 1_000 + i)
        }
    };
    deliver_shuffled(|i| {
        let f = Arc::clone(&f);
        let event = event(i);
        async move {
            f.change_status(&event).await;
        }
    })
    .await;
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Unresolved);
    let activities = f.store.activities(f.issue).await.unwrap();
    assert_log_moves_forward(&activities);
    // Resolve and reopen alternate: no duplicate activity.
    for pair in activities.windows(2) {
        assert_ne!(pair[0].kind, pair[1].kind);
    }
}
