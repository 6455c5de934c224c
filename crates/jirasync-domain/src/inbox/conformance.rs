//! The inbox conformance suite: one async test per behaviour of the [`Inbox`] contract, run
//! against any implementation.
//!
//! Enabled by the `testing` feature. An implementation's crate runs the whole suite with one
//! macro call in an integration test; each behaviour becomes its own `#[tokio::test]`:
//!
//! ```ignore
//! // A fresh, empty inbox per test:
//! jirasync_domain::inbox_conformance_tests!(async { my_inbox().await });
//! // Or, when the back-end may be missing (a database URL not set), an `Option`:
//! // `None` skips the test, after the factory printed why.
//! jirasync_domain::inbox_conformance_tests!(optional: async { maybe_inbox().await });
//! ```
//!
//! Every function here panics when the inbox breaks the contract: that is how a test fails.

// Assertions are how a conformance test reports a broken contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jirasync_webhook::{DeliveryKey, EventTime, WebhookToken};

use super::{
    ClaimedDelivery, DeliveryHeader, DeliveryId, DeliverySource, DeliveryState, Enqueued,
    FailOutcome, Inbox, InboxDepth, Lease, NewDelivery,
};
use crate::ids::IntegrationId;
use crate::store::StoreError;

/// Expands to one `#[tokio::test]` per inbox behaviour. `$factory` is an `async` block giving a
/// fresh inbox; with `optional:` it gives an `Option` of one, and `None` skips the test.
#[macro_export]
macro_rules! inbox_conformance_tests {
    (optional: $factory:expr) => {
        $crate::__inbox_conformance_tests!(
            $factory;
            enqueued_delivery_is_claimed_as_it_was_stored,
            legacy_token_delivery_is_claimed_with_its_token,
            claim_counts_an_attempt_and_sets_the_lease,
            leased_delivery_is_not_claimed_before_its_lease_ends,
            expired_lease_is_claimed_again_as_the_next_attempt,
            completed_delivery_is_never_claimed_again,
            stale_attempt_cannot_complete_or_fail,
            complete_all_marks_the_held_and_refuses_the_rest_in_place,
            unknown_delivery_is_not_found,
            failed_delivery_waits_for_its_retry_time,
            failure_without_retry_dead_letters_with_the_error,
            dead_delivery_does_not_hold_its_key_back,
            one_key_is_claimed_one_delivery_at_a_time_oldest_change_first,
            retry_wait_holds_later_deliveries_of_its_key_back,
            different_keys_and_keyless_deliveries_are_claimed_together,
            claim_respects_the_limit,
            claim_orders_by_change_time_then_enqueue_order,
            replay_puts_a_dead_delivery_back_with_no_attempts,
            only_a_dead_delivery_can_be_replayed,
            list_filters_by_state_and_stops_at_the_limit,
            depth_counts_ready_leased_and_dead,
            purge_removes_only_old_done_deliveries,
            concurrent_workers_process_each_delivery_once_in_key_order,
            renew_moves_the_lease_end_of_the_holding_attempt,
            only_the_holding_attempt_can_renew,
            expired_leases_are_claimed_again_oldest_change_first,
            older_delivery_arriving_while_its_key_is_held_goes_next,
            replayed_head_goes_before_the_later_deliveries_of_its_key,
            many_keys_with_long_backlogs_drain_in_key_order,
            enqueue_leased_holds_a_claimable_delivery_as_its_first_attempt,
            enqueue_leased_leaves_a_delivery_behind_its_key_pending,
            delivery_leased_at_enqueue_holds_its_key,
            delivery_leased_at_enqueue_goes_before_a_later_unheld_head,
            lease_taken_at_enqueue_expires_like_a_claim,
            receivers_leasing_at_enqueue_and_workers_claiming_share_each_key_in_order,
            lease_ending_past_the_last_time_is_refused_and_changes_nothing,
        );
    };
    ($factory:expr) => {
        $crate::inbox_conformance_tests!(optional: async { Some($factory.await) });
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __inbox_conformance_tests {
    ($factory:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(inbox) = $factory.await {
                    $crate::inbox::conformance::$name(::std::sync::Arc::new(inbox)).await;
                }
            }
        )+
    };
}

/// The time the suite's clock starts at.
pub fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn at(seconds: u64) -> SystemTime {
    t0() + Duration::from_secs(seconds)
}

const LEASE: Duration = Duration::from_secs(30);

/// A delivery for the Jira issue `key` (the ordering key), changed at `changed_ms` milliseconds
/// after the suite's start.
pub fn delivery(key: Option<&str>, changed_ms: Option<i64>) -> NewDelivery {
    let base_ms = 1_700_000_000_000_i64;
    NewDelivery {
        source: DeliverySource::Integration(IntegrationId::new(13)),
        body: br#"{"webhookEvent":"jira:issue_updated"}"#.to_vec(),
        headers: vec![DeliveryHeader {
            name: "content-type".to_owned(),
            value: "application/json".to_owned(),
        }],
        received_at: t0(),
        ordering_key: key.map(str::to_owned),
        occurred_at: changed_ms.map(|ms| EventTime::from_unix_millis(base_ms + ms)),
        delivery_key: None,
    }
}

async fn enqueue<I: Inbox + ?Sized>(inbox: &I, delivery: NewDelivery) -> DeliveryId {
    inbox.enqueue(delivery).await.expect("enqueue")
}

async fn claim<I: Inbox + ?Sized>(
    inbox: &I,
    now: SystemTime,
    limit: usize,
) -> Vec<ClaimedDelivery> {
    inbox.claim(now, LEASE, limit).await.expect("claim")
}

async fn claimed_ids<I: Inbox + ?Sized>(
    inbox: &I,
    now: SystemTime,
    limit: usize,
) -> Vec<DeliveryId> {
    claim(inbox, now, limit)
        .await
        .iter()
        .map(|c| c.id)
        .collect()
}

/// A worker of the concurrency tests: claims up to 3 deliveries at a time, each of which has an
/// ordering key, and completes them, until `idle_rounds` claims in a row found nothing. Calls
/// `on_claimed` with each one's key and id before completing it: only the completion lets the
/// key's next delivery be handed out, so the calls come in processing order.
async fn work_until_idle<I: Inbox + ?Sized>(
    inbox: &I,
    idle_rounds: usize,
    on_claimed: impl Fn(String, DeliveryId),
) {
    let mut idle = 0;
    while idle < idle_rounds {
        let claimed = claim(inbox, at(0), 3).await;
        if claimed.is_empty() {
            idle += 1;
            tokio::task::yield_now().await;
            continue;
        }
        idle = 0;
        for delivery in claimed {
            let key = delivery
                .delivery
                .ordering_key
                .clone()
                .expect("a keyed delivery");
            on_claimed(key, delivery.id);
            inbox
                .complete(delivery.id, delivery.attempt)
                .await
                .expect("complete");
        }
    }
}

/// A delivery comes back from `claim` byte for byte: source, body (any bytes), headers, times
/// and keys.
pub async fn enqueued_delivery_is_claimed_as_it_was_stored<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let mut sent = delivery(Some("jira:1/PROJ-1"), Some(5));
    sent.body = vec![0x7b, 0x00, 0xff, 0xfe, b'"', b'\n', 0x7d];
    sent.headers.push(DeliveryHeader {
        name: "x-atlassian-webhook-identifier".to_owned(),
        value: "1234-abcd".to_owned(),
    });
    sent.delivery_key = Some(DeliveryKey::new("10001", "20002", "jira:issue_updated"));
    sent.received_at = t0() + Duration::from_millis(1_234);
    let id = enqueue(&*inbox, sent.clone()).await;

    let claimed = claim(&*inbox, at(1), 10).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, id);
    assert_eq!(claimed[0].delivery, sent);
}

/// A delivery stored by an older version, with its URL token instead of its integration, comes
/// back with the token.
pub async fn legacy_token_delivery_is_claimed_with_its_token<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let mut sent = delivery(Some("jira:1/PROJ-2"), Some(1));
    sent.source = DeliverySource::LegacyToken(WebhookToken::new("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"));
    let id = enqueue(&*inbox, sent.clone()).await;
    let claimed = claim(&*inbox, at(1), 10).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, id);
    assert_eq!(claimed[0].delivery, sent);
}

/// Each claim is one attempt, under a lease ending `lease` after `now`.
pub async fn claim_counts_an_attempt_and_sets_the_lease<I: Inbox + ?Sized>(inbox: Arc<I>) {
    enqueue(&*inbox, delivery(None, None)).await;
    let claimed = claim(&*inbox, at(10), 1).await;
    assert_eq!(claimed[0].attempt, 1);
    assert_eq!(claimed[0].leased_until, at(10) + LEASE);
    let listed = inbox.list(None, 10).await.unwrap();
    assert_eq!(listed[0].attempts, 1);
    assert_eq!(listed[0].leased_until, Some(at(10) + LEASE));
    assert_eq!(listed[0].state, DeliveryState::Pending);
}

/// A worker's lease keeps the delivery from other workers until it ends.
pub async fn leased_delivery_is_not_claimed_before_its_lease_ends<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    enqueue(&*inbox, delivery(None, None)).await;
    assert_eq!(claim(&*inbox, at(0), 10).await.len(), 1);
    assert!(claim(&*inbox, at(29), 10).await.is_empty());
}

/// A crashed worker's delivery is claimed again once its lease has ended, as the next attempt.
pub async fn expired_lease_is_claimed_again_as_the_next_attempt<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let id = enqueue(&*inbox, delivery(None, None)).await;
    claim(&*inbox, at(0), 10).await;
    let again = claim(&*inbox, at(30), 10).await;
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempt), (id, 2));
}

/// Done is final.
pub async fn completed_delivery_is_never_claimed_again<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let id = enqueue(&*inbox, delivery(Some("k"), Some(1))).await;
    let claimed = claim(&*inbox, at(0), 10).await;
    inbox.complete(id, claimed[0].attempt).await.unwrap();
    assert!(claim(&*inbox, at(1), 10).await.is_empty());
    assert!(claim(&*inbox, at(3_600), 10).await.is_empty());
    let listed = inbox.list(Some(DeliveryState::Done), 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].leased_until, None);
}

/// A worker whose lease expired and whose delivery was claimed again can neither complete nor
/// fail it: the new holder owns it.
pub async fn stale_attempt_cannot_complete_or_fail<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let id = enqueue(&*inbox, delivery(None, None)).await;
    claim(&*inbox, at(0), 10).await;
    claim(&*inbox, at(31), 10).await;

    let complete = inbox.complete(id, 1).await;
    assert!(
        matches!(complete, Err(StoreError::Conflict { .. })),
        "{complete:?}"
    );
    let fail = inbox.fail(id, 1, "late", None).await;
    assert!(matches!(fail, Err(StoreError::Conflict { .. })), "{fail:?}");

    // The current holder is unaffected.
    inbox.complete(id, 2).await.unwrap();
    // And a done delivery cannot be completed twice.
    let twice = inbox.complete(id, 2).await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );
}

/// Completing several claims at once: each held one is done and hands its key on, a stale
/// attempt, a done delivery and an unknown one are refused in their place (as `complete` would
/// refuse them) without holding the others back, and nothing at all asks for no write.
pub async fn complete_all_marks_the_held_and_refuses_the_rest_in_place<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    assert!(inbox.complete_all(&[]).await.unwrap().is_empty());
    let first = enqueue(&*inbox, delivery(Some("a"), Some(1))).await;
    let next_of_a = enqueue(&*inbox, delivery(Some("a"), Some(2))).await;
    let taken_over = enqueue(&*inbox, delivery(None, None)).await;
    let second = enqueue(&*inbox, delivery(Some("b"), Some(1))).await;
    let already_done = enqueue(&*inbox, delivery(None, None)).await;
    let claimed: BTreeSet<DeliveryId> = claimed_ids(&*inbox, at(0), 10).await.into_iter().collect();
    assert_eq!(
        claimed,
        BTreeSet::from([first, taken_over, second, already_done])
    );
    inbox.complete(already_done, 1).await.unwrap();
    // `taken_over`'s lease ends and another worker claims it: attempt 1 no longer holds it.
    inbox.renew(first, 1, at(100)).await.unwrap();
    inbox.renew(second, 1, at(100)).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(31), 10).await, vec![taken_over]);
    let missing = DeliveryId::new(987_654);

    let outcomes = inbox
        .complete_all(&[
            (first, 1),
            (taken_over, 1),
            (already_done, 1),
            (missing, 1),
            (second, 1),
        ])
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    assert!(outcomes[0].is_ok(), "{outcomes:?}");
    assert!(
        matches!(outcomes[1], Err(StoreError::Conflict { .. })),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[2], Err(StoreError::Conflict { .. })),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[3], Err(StoreError::NotFound { .. })),
        "{outcomes:?}"
    );
    assert!(outcomes[4].is_ok(), "{outcomes:?}");

    let done: BTreeSet<DeliveryId> = inbox
        .list(Some(DeliveryState::Done), 10)
        .await
        .unwrap()
        .iter()
        .map(|summary| summary.id)
        .collect();
    assert_eq!(done, BTreeSet::from([first, second, already_done]));
    let pending = inbox.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|summary| (summary.id, summary.attempts))
            .collect::<Vec<_>>(),
        vec![(next_of_a, 0), (taken_over, 2)],
        "the new holder keeps its claim"
    );
    // `first`'s key is free again: its next delivery is claimable.
    assert_eq!(claimed_ids(&*inbox, at(32), 10).await, vec![next_of_a]);
}

/// Acting on a delivery that does not exist says so.
pub async fn unknown_delivery_is_not_found<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let missing = DeliveryId::new(987_654);
    assert!(matches!(
        inbox.complete(missing, 1).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        inbox.fail(missing, 1, "x", None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        inbox.replay(missing).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A failure with a retry time frees the delivery, which waits until then.
pub async fn failed_delivery_waits_for_its_retry_time<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let id = enqueue(&*inbox, delivery(None, None)).await;
    claim(&*inbox, at(0), 10).await;
    let outcome = inbox
        .fail(id, 1, "store unavailable", Some(at(60)))
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::RetryAt(at(60)));
    assert!(claim(&*inbox, at(59), 10).await.is_empty());
    let retried = claim(&*inbox, at(60), 10).await;
    assert_eq!((retried[0].id, retried[0].attempt), (id, 2));

    let listed = inbox.list(None, 10).await.unwrap();
    assert_eq!(listed[0].last_error.as_deref(), Some("store unavailable"));
}

/// A failure without a retry time makes the delivery dead, with its error.
pub async fn failure_without_retry_dead_letters_with_the_error<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let id = enqueue(&*inbox, delivery(None, None)).await;
    claim(&*inbox, at(0), 10).await;
    let outcome = inbox
        .fail(id, 1, "payload: missing issue", None)
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::DeadLettered);
    assert!(claim(&*inbox, at(10_000), 10).await.is_empty());
    let dead = inbox.list(Some(DeliveryState::Dead), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].attempts, 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("payload: missing issue")
    );
}

/// A dead delivery does not block the later deliveries of its issue forever.
pub async fn dead_delivery_does_not_hold_its_key_back<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let first = enqueue(&*inbox, delivery(Some("k"), Some(1))).await;
    let second = enqueue(&*inbox, delivery(Some("k"), Some(2))).await;
    assert_eq!(claimed_ids(&*inbox, at(0), 10).await, vec![first]);
    inbox.fail(first, 1, "poison", None).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(1), 10).await, vec![second]);
}

/// Deliveries of one issue go out one at a time, the oldest change first, whatever the order
/// they arrived in.
pub async fn one_key_is_claimed_one_delivery_at_a_time_oldest_change_first<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let newer = enqueue(&*inbox, delivery(Some("k"), Some(200))).await;
    let older = enqueue(&*inbox, delivery(Some("k"), Some(100))).await;

    let first = claim(&*inbox, at(0), 10).await;
    assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), vec![older]);
    assert!(
        claim(&*inbox, at(1), 10).await.is_empty(),
        "the key is busy"
    );
    inbox.complete(older, first[0].attempt).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(2), 10).await, vec![newer]);
}

/// While the oldest delivery of an issue waits for its retry, the later ones wait too.
pub async fn retry_wait_holds_later_deliveries_of_its_key_back<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let first = enqueue(&*inbox, delivery(Some("k"), Some(1))).await;
    let second = enqueue(&*inbox, delivery(Some("k"), Some(2))).await;
    claim(&*inbox, at(0), 10).await;
    inbox.fail(first, 1, "busy", Some(at(100))).await.unwrap();
    assert!(claim(&*inbox, at(50), 10).await.is_empty());
    assert_eq!(claimed_ids(&*inbox, at(100), 10).await, vec![first]);
    inbox.complete(first, 2).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(101), 10).await, vec![second]);
}

/// Different issues, and deliveries without an ordering key, do not wait for each other.
pub async fn different_keys_and_keyless_deliveries_are_claimed_together<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let a = enqueue(&*inbox, delivery(Some("a"), Some(1))).await;
    let b = enqueue(&*inbox, delivery(Some("b"), Some(2))).await;
    let free1 = enqueue(&*inbox, delivery(None, Some(3))).await;
    let free2 = enqueue(&*inbox, delivery(None, Some(4))).await;
    let claimed: BTreeSet<_> = claimed_ids(&*inbox, at(0), 10).await.into_iter().collect();
    assert_eq!(claimed, BTreeSet::from([a, b, free1, free2]));
}

/// No more than `limit` deliveries per claim; a limit of zero claims nothing.
pub async fn claim_respects_the_limit<I: Inbox + ?Sized>(inbox: Arc<I>) {
    for _ in 0..5 {
        enqueue(&*inbox, delivery(None, None)).await;
    }
    assert!(claim(&*inbox, at(0), 0).await.is_empty());
    assert_eq!(claim(&*inbox, at(0), 2).await.len(), 2);
    assert_eq!(claim(&*inbox, at(0), 10).await.len(), 3);
}

/// Across issues the oldest change goes first; deliveries without a change time first of all;
/// equal times in enqueue order.
pub async fn claim_orders_by_change_time_then_enqueue_order<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let late = enqueue(&*inbox, delivery(Some("a"), Some(300))).await;
    let tie1 = enqueue(&*inbox, delivery(Some("b"), Some(100))).await;
    let untimed = enqueue(&*inbox, delivery(Some("c"), None)).await;
    let tie2 = enqueue(&*inbox, delivery(Some("d"), Some(100))).await;
    assert_eq!(
        claimed_ids(&*inbox, at(0), 10).await,
        vec![untimed, tie1, tie2, late]
    );
}

/// Replay gives a dead delivery a fresh start.
pub async fn replay_puts_a_dead_delivery_back_with_no_attempts<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let id = enqueue(&*inbox, delivery(Some("k"), Some(1))).await;
    claim(&*inbox, at(0), 10).await;
    inbox.fail(id, 1, "boom", None).await.unwrap();
    inbox.replay(id).await.unwrap();

    let listed = inbox.list(None, 10).await.unwrap();
    assert_eq!(listed[0].state, DeliveryState::Pending);
    assert_eq!(listed[0].attempts, 0);
    assert_eq!(listed[0].last_error, None);
    let claimed = claim(&*inbox, at(1), 10).await;
    assert_eq!((claimed[0].id, claimed[0].attempt), (id, 1));
}

/// Replaying a pending or done delivery is refused and changes nothing.
pub async fn only_a_dead_delivery_can_be_replayed<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let pending = enqueue(&*inbox, delivery(None, None)).await;
    let result = inbox.replay(pending).await;
    assert!(
        matches!(result, Err(StoreError::Conflict { .. })),
        "{result:?}"
    );

    claim(&*inbox, at(0), 10).await;
    inbox.complete(pending, 1).await.unwrap();
    let result = inbox.replay(pending).await;
    assert!(
        matches!(result, Err(StoreError::Conflict { .. })),
        "{result:?}"
    );
    let listed = inbox.list(None, 10).await.unwrap();
    assert_eq!(listed[0].state, DeliveryState::Done);
    assert_eq!(listed[0].attempts, 1);
}

/// `list` shows deliveries by id, in one state or all, up to the limit.
pub async fn list_filters_by_state_and_stops_at_the_limit<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let ids = [
        enqueue(&*inbox, delivery(None, None)).await,
        enqueue(&*inbox, delivery(None, None)).await,
        enqueue(&*inbox, delivery(None, None)).await,
    ];
    claim(&*inbox, at(0), 1).await;
    inbox.fail(ids[0], 1, "bad", None).await.unwrap();

    let all: Vec<_> = inbox
        .list(None, 10)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(all, ids.to_vec());
    let pending: Vec<_> = inbox
        .list(Some(DeliveryState::Pending), 10)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(pending, ids[1..].to_vec());
    assert_eq!(inbox.list(None, 2).await.unwrap().len(), 2);
}

/// `depth` tells ready, leased and dead deliveries apart, at the given time.
pub async fn depth_counts_ready_leased_and_dead<I: Inbox + ?Sized>(inbox: Arc<I>) {
    assert_eq!(inbox.depth(at(0)).await.unwrap(), InboxDepth::default());
    let ids = [
        enqueue(&*inbox, delivery(None, None)).await,
        enqueue(&*inbox, delivery(None, None)).await,
        enqueue(&*inbox, delivery(None, None)).await,
        enqueue(&*inbox, delivery(None, None)).await,
    ];
    claim(&*inbox, at(0), 3).await;
    inbox.fail(ids[0], 1, "bad", None).await.unwrap();
    inbox.complete(ids[1], 1).await.unwrap();

    let depth = inbox.depth(at(1)).await.unwrap();
    assert_eq!(
        depth,
        InboxDepth {
            ready: 1,
            leased: 1,
            dead: 1
        }
    );
    // Once the lease has ended, the leased delivery counts as ready.
    let later = inbox.depth(at(31)).await.unwrap();
    assert_eq!(
        later,
        InboxDepth {
            ready: 2,
            leased: 0,
            dead: 1
        }
    );
}

/// `purge_done` removes done deliveries received before the cut-off, and nothing else.
pub async fn purge_removes_only_old_done_deliveries<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let mut old = delivery(None, None);
    old.received_at = at(0);
    let mut recent = delivery(None, None);
    recent.received_at = at(100);
    let old_done = enqueue(&*inbox, old.clone()).await;
    let recent_done = enqueue(&*inbox, recent).await;
    let old_pending = enqueue(&*inbox, old).await;
    claim(&*inbox, at(200), 2).await;
    inbox.complete(old_done, 1).await.unwrap();
    inbox.complete(recent_done, 1).await.unwrap();

    assert_eq!(inbox.purge_done(at(50)).await.unwrap(), 1);
    let left: Vec<_> = inbox
        .list(None, 10)
        .await
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, vec![recent_done, old_pending]);
}

/// Several workers polling one inbox at once: every delivery is completed exactly once, and the
/// deliveries of each issue complete in change-time order.
pub async fn concurrent_workers_process_each_delivery_once_in_key_order<I>(inbox: Arc<I>)
where
    I: Inbox + ?Sized + 'static,
{
    const KEYS: i64 = 5;
    const PER_KEY: i64 = 8;
    let mut expected: BTreeMap<String, Vec<DeliveryId>> = BTreeMap::new();
    // Enqueue newest first so enqueue order and change order disagree.
    for step in (0..PER_KEY).rev() {
        for key in 0..KEYS {
            let name = format!("PROJ-{key}");
            let id = enqueue(&*inbox, delivery(Some(&name), Some(step * 10 + key))).await;
            expected.entry(name).or_default().insert(0, id);
        }
    }

    let completed = Arc::new(std::sync::Mutex::new(Vec::<(String, DeliveryId)>::new()));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let inbox = Arc::clone(&inbox);
        let completed = Arc::clone(&completed);
        workers.push(tokio::spawn(async move {
            work_until_idle(&*inbox, 50, |key, id| {
                completed.lock().unwrap().push((key, id));
            })
            .await;
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }

    let completed = std::mem::take(&mut *completed.lock().unwrap());
    let total = usize::try_from(KEYS * PER_KEY).unwrap();
    assert_eq!(completed.len(), total, "every delivery exactly once");
    let distinct: BTreeSet<_> = completed.iter().map(|(_, id)| *id).collect();
    assert_eq!(distinct.len(), total, "no delivery twice");
    let mut per_key: BTreeMap<String, Vec<DeliveryId>> = BTreeMap::new();
    for (key, id) in &completed {
        per_key.entry(key.clone()).or_default().push(*id);
    }
    assert_eq!(per_key, expected, "each issue in change-time order");
}

/// A worker still applying a delivery renews its lease: the delivery stays its own until the
/// new end, and is claimable again from then.
pub async fn renew_moves_the_lease_end_of_the_holding_attempt<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let id = enqueue(&*inbox, delivery(Some("k"), Some(1))).await;
    let later = enqueue(&*inbox, delivery(Some("k"), Some(2))).await;
    claim(&*inbox, at(0), 10).await;
    inbox.renew(id, 1, at(50)).await.unwrap();

    let listed = inbox.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert_eq!(listed[0].leased_until, Some(at(50)));
    assert!(
        claim(&*inbox, at(40), 10).await.is_empty(),
        "renewed past the first lease's end, and its key held"
    );
    let again = claim(&*inbox, at(50), 10).await;
    assert_eq!((again.len(), again[0].id, again[0].attempt), (1, id, 2));
    inbox.complete(id, 2).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(51), 10).await, vec![later]);
}

/// A worker whose delivery was claimed again, completed, or never existed cannot renew it.
pub async fn only_the_holding_attempt_can_renew<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let id = enqueue(&*inbox, delivery(None, None)).await;
    claim(&*inbox, at(0), 10).await;
    claim(&*inbox, at(31), 10).await;

    let stale = inbox.renew(id, 1, at(100)).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    let listed = inbox.list(None, 10).await.unwrap();
    assert_eq!(listed[0].leased_until, Some(at(31) + LEASE), "unchanged");

    inbox.complete(id, 2).await.unwrap();
    let done = inbox.renew(id, 2, at(100)).await;
    assert!(matches!(done, Err(StoreError::Conflict { .. })), "{done:?}");
    let missing = inbox.renew(DeliveryId::new(987_654), 1, at(100)).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

/// Leases that ended together are handed out again in processing order, across keys.
pub async fn expired_leases_are_claimed_again_oldest_change_first<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let a = enqueue(&*inbox, delivery(Some("a"), Some(3))).await;
    let b = enqueue(&*inbox, delivery(Some("b"), Some(1))).await;
    let c = enqueue(&*inbox, delivery(Some("c"), Some(2))).await;
    assert_eq!(claim(&*inbox, at(0), 10).await.len(), 3);
    assert_eq!(claimed_ids(&*inbox, at(30), 1).await, vec![b]);
    assert_eq!(claimed_ids(&*inbox, at(30), 1).await, vec![c]);
    assert_eq!(claimed_ids(&*inbox, at(30), 1).await, vec![a]);
    assert!(claim(&*inbox, at(30), 10).await.is_empty());
}

/// A delivery older than the one of its key a worker holds does not overtake it: the key stays
/// busy, and the older delivery goes next, before the later ones.
pub async fn older_delivery_arriving_while_its_key_is_held_goes_next<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let held = enqueue(&*inbox, delivery(Some("k"), Some(200))).await;
    assert_eq!(claimed_ids(&*inbox, at(0), 10).await, vec![held]);
    let older = enqueue(&*inbox, delivery(Some("k"), Some(100))).await;
    let newer = enqueue(&*inbox, delivery(Some("k"), Some(300))).await;
    assert!(
        claim(&*inbox, at(1), 10).await.is_empty(),
        "the key is busy"
    );
    inbox.complete(held, 1).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(2), 10).await, vec![older]);
    inbox.complete(older, 1).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(3), 10).await, vec![newer]);
}

/// A dead delivery replayed takes its place again before the later deliveries of its key (after
/// the one a worker holds, if any).
pub async fn replayed_head_goes_before_the_later_deliveries_of_its_key<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let first = enqueue(&*inbox, delivery(Some("k"), Some(1))).await;
    let second = enqueue(&*inbox, delivery(Some("k"), Some(2))).await;
    let third = enqueue(&*inbox, delivery(Some("k"), Some(3))).await;
    claim(&*inbox, at(0), 10).await;
    inbox.fail(first, 1, "poison", None).await.unwrap();
    // Nobody holds the key: the replayed delivery is its head again at once.
    inbox.replay(first).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(1), 10).await, vec![first]);
    inbox.fail(first, 1, "poison again", None).await.unwrap();

    // `second` is held now: the replayed delivery waits for it, then goes before `third`.
    assert_eq!(claimed_ids(&*inbox, at(2), 10).await, vec![second]);
    inbox.replay(first).await.unwrap();
    assert!(claim(&*inbox, at(3), 10).await.is_empty());
    inbox.complete(second, 1).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(4), 10).await, vec![first]);
    inbox.complete(first, 1).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(5), 10).await, vec![third]);
}

/// Many keys, each with a long backlog enqueued out of change order, with some retries: every
/// delivery is handed out once per attempt, never two of one key in a claim or at once, and each
/// key's deliveries complete in change order.
pub async fn many_keys_with_long_backlogs_drain_in_key_order<I: Inbox + ?Sized>(inbox: Arc<I>) {
    const KEYS: i64 = 12;
    const PER_KEY: i64 = 20;
    let mut expected: BTreeMap<String, Vec<(i64, DeliveryId)>> = BTreeMap::new();
    for step in 0..PER_KEY {
        // Change times that disagree with enqueue order: 0, 19, 1, 18, …
        let change = if step % 2 == 0 {
            step / 2
        } else {
            PER_KEY - 1 - step / 2
        };
        for key in 0..KEYS {
            let name = format!("ISSUE-{key}");
            let id = enqueue(&*inbox, delivery(Some(&name), Some(change * 100 + key))).await;
            expected.entry(name).or_default().push((change, id));
        }
    }

    let mut completed: BTreeMap<String, Vec<DeliveryId>> = BTreeMap::new();
    let mut retried = BTreeSet::new();
    let mut now = 0;
    let total = usize::try_from(KEYS * PER_KEY).unwrap();
    while completed.values().map(Vec::len).sum::<usize>() < total {
        now += 1;
        assert!(now < 10_000, "the backlog drains");
        let claimed = claim(&*inbox, at(now), 7).await;
        let keys: BTreeSet<_> = claimed
            .iter()
            .map(|c| c.delivery.ordering_key.clone())
            .collect();
        assert_eq!(keys.len(), claimed.len(), "one delivery per key at once");
        for delivery in claimed {
            let key = delivery.delivery.ordering_key.clone().unwrap();
            // Every fifth delivery fails once and comes back a second later.
            if delivery.id.get() % 5 == 0 && retried.insert(delivery.id) {
                inbox
                    .fail(delivery.id, delivery.attempt, "busy", Some(at(now + 1)))
                    .await
                    .unwrap();
                continue;
            }
            inbox.complete(delivery.id, delivery.attempt).await.unwrap();
            completed.entry(key).or_default().push(delivery.id);
        }
    }
    assert!(claim(&*inbox, at(now + 100), 10).await.is_empty());
    for (key, mut ids) in expected {
        ids.sort();
        let in_order: Vec<DeliveryId> = ids.into_iter().map(|(_, id)| id).collect();
        assert_eq!(completed[&key], in_order, "key {key} in change order");
    }
    let depth = inbox.depth(at(now + 100)).await.unwrap();
    assert_eq!(depth, InboxDepth::default());
}

async fn enqueue_leased<I: Inbox + ?Sized>(
    inbox: &I,
    delivery: NewDelivery,
    now: SystemTime,
) -> Enqueued {
    inbox
        .enqueue_leased(delivery, now, LEASE)
        .await
        .expect("enqueue_leased")
}

/// A delivery a claim could hand out at once is stored already leased, as its first attempt:
/// no claim hands it out while the lease lasts, and the lease is completed, renewed and failed
/// as a claim's is.
pub async fn enqueue_leased_holds_a_claimable_delivery_as_its_first_attempt<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let sent = delivery(None, Some(1));
    let keyless = enqueue_leased(&*inbox, sent, at(10)).await;
    let expected = Lease {
        attempt: 1,
        leased_until: at(10) + LEASE,
    };
    assert_eq!(keyless.lease, Some(expected));
    let keyed = enqueue_leased(&*inbox, delivery(Some("k"), Some(2)), at(10)).await;
    assert_eq!(keyed.lease, Some(expected), "the key's first delivery");
    assert!(claim(&*inbox, at(11), 10).await.is_empty(), "both are held");
    let listed = inbox.list(None, 10).await.unwrap();
    assert_eq!(listed.len(), 2);
    for summary in &listed {
        assert_eq!(summary.state, DeliveryState::Pending);
        assert_eq!(summary.attempts, 1);
        assert_eq!(summary.leased_until, Some(at(10) + LEASE));
    }
    let depth = inbox.depth(at(11)).await.unwrap();
    assert_eq!(depth.leased, 2);

    inbox.renew(keyed.id, 1, at(100)).await.unwrap();
    inbox.complete(keyless.id, 1).await.unwrap();
    let twice = inbox.complete(keyless.id, 1).await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );
    let outcome = inbox.fail(keyed.id, 1, "boom", Some(at(200))).await;
    assert_eq!(outcome.unwrap(), FailOutcome::RetryAt(at(200)));
    let retried = claim(&*inbox, at(200), 10).await;
    assert_eq!(retried.len(), 1);
    assert_eq!((retried[0].id, retried[0].attempt), (keyed.id, 2));
}

/// A delivery whose key has an older pending delivery, or one a claim holds, is stored pending
/// with no lease and no attempt, and handed out by a claim in its turn.
pub async fn enqueue_leased_leaves_a_delivery_behind_its_key_pending<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let waiting = enqueue(&*inbox, delivery(Some("k"), Some(1))).await;
    let behind = enqueue_leased(&*inbox, delivery(Some("k"), Some(2)), at(0)).await;
    assert_eq!(behind.lease, None, "an older delivery of its key waits");
    let listed = inbox.list(None, 10).await.unwrap();
    assert_eq!(listed[1].attempts, 0);
    assert_eq!(listed[1].leased_until, None);

    assert_eq!(claimed_ids(&*inbox, at(1), 10).await, vec![waiting]);
    let behind_held = enqueue_leased(&*inbox, delivery(Some("k"), Some(3)), at(1)).await;
    assert_eq!(behind_held.lease, None, "a claim holds its key");
    inbox.complete(waiting, 1).await.unwrap();
    let next = claim(&*inbox, at(2), 10).await;
    assert_eq!(next.len(), 1);
    assert_eq!((next[0].id, next[0].attempt), (behind.id, 1));
    inbox.complete(behind.id, 1).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(3), 10).await, vec![behind_held.id]);
}

/// A delivery leased as it was stored holds its key as a claim does: the key's later
/// deliveries, and older ones arriving meanwhile, wait for it, then go in change order.
pub async fn delivery_leased_at_enqueue_holds_its_key<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let held = enqueue_leased(&*inbox, delivery(Some("k"), Some(200)), at(0)).await;
    assert!(held.lease.is_some());
    let newer = enqueue(&*inbox, delivery(Some("k"), Some(300))).await;
    let older = enqueue_leased(&*inbox, delivery(Some("k"), Some(100)), at(0)).await;
    assert_eq!(older.lease, None, "the key is held");
    let other = enqueue(&*inbox, delivery(Some("other"), Some(1))).await;
    assert_eq!(
        claimed_ids(&*inbox, at(1), 10).await,
        vec![other],
        "only the other key"
    );
    inbox.complete(held.id, 1).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(2), 10).await, vec![older.id]);
    inbox.complete(older.id, 1).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(3), 10).await, vec![newer]);
}

/// A delivery that comes before its key's pending head in change order, while no claim holds
/// the key, is what a claim would hand out first: it is leased at once, and the later one
/// waits for it.
pub async fn delivery_leased_at_enqueue_goes_before_a_later_unheld_head<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let later = enqueue(&*inbox, delivery(Some("k"), Some(500))).await;
    let earlier = enqueue_leased(&*inbox, delivery(Some("k"), Some(100)), at(0)).await;
    assert!(earlier.lease.is_some(), "it comes first in change order");
    assert!(
        claim(&*inbox, at(1), 10).await.is_empty(),
        "the key is held"
    );
    inbox.complete(earlier.id, 1).await.unwrap();
    assert_eq!(claimed_ids(&*inbox, at(2), 10).await, vec![later]);
}

/// A lease taken at enqueue whose holder never finishes ends like a claim's: the delivery is
/// claimed again as its second attempt, and the first attempt can no longer complete it.
pub async fn lease_taken_at_enqueue_expires_like_a_claim<I: Inbox + ?Sized>(inbox: Arc<I>) {
    let stored = enqueue_leased(&*inbox, delivery(Some("k"), Some(1)), at(0)).await;
    assert!(claim(&*inbox, at(29), 10).await.is_empty());
    let again = claim(&*inbox, at(30), 10).await;
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempt), (stored.id, 2));
    let stale = inbox.complete(stored.id, 1).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    inbox.complete(stored.id, 2).await.unwrap();
}

/// Receivers storing deliveries with `enqueue_leased` and completing those leased, beside
/// workers claiming the rest: every delivery is completed exactly once, no key is held twice at
/// once, and each key's deliveries complete in change order.
pub async fn receivers_leasing_at_enqueue_and_workers_claiming_share_each_key_in_order<I>(
    inbox: Arc<I>,
) where
    I: Inbox + ?Sized + 'static,
{
    const RECEIVERS: i64 = 3;
    const KEYS_PER_RECEIVER: i64 = 3;
    const PER_KEY: i64 = 10;
    type Log = Arc<std::sync::Mutex<(BTreeSet<String>, Vec<(String, DeliveryId)>)>>;
    let log: Log = Arc::default();

    // Takes the key for a holder (it must be free), and records the delivery.
    fn hold(log: &Log, key: &str, id: DeliveryId) {
        let mut log = log.lock().unwrap();
        assert!(log.0.insert(key.to_owned()), "key {key} held twice at once");
        log.1.push((key.to_owned(), id));
    }
    // Frees the key before the store's completion: only that lets another holder take it.
    fn release(log: &Log, key: &str) {
        log.lock().unwrap().0.remove(key);
    }

    let mut tasks = Vec::new();
    for receiver in 0..RECEIVERS {
        let (inbox, log) = (Arc::clone(&inbox), Arc::clone(&log));
        tasks.push(tokio::spawn(async move {
            let mut expected: BTreeMap<String, Vec<DeliveryId>> = BTreeMap::new();
            for step in 0..PER_KEY {
                for key in 0..KEYS_PER_RECEIVER {
                    let name = format!("R{receiver}-{key}");
                    let stored = enqueue_leased(&*inbox, delivery(Some(&name), Some(step)), at(0));
                    let stored = stored.await;
                    expected.entry(name.clone()).or_default().push(stored.id);
                    if let Some(lease) = stored.lease {
                        hold(&log, &name, stored.id);
                        tokio::task::yield_now().await;
                        release(&log, &name);
                        inbox.complete(stored.id, lease.attempt).await.unwrap();
                    }
                }
            }
            expected
        }));
    }
    let mut workers = Vec::new();
    for _ in 0..2 {
        let (inbox, log) = (Arc::clone(&inbox), Arc::clone(&log));
        workers.push(tokio::spawn(async move {
            work_until_idle(&*inbox, 200, |key, id| {
                hold(&log, &key, id);
                release(&log, &key);
            })
            .await;
        }));
    }
    let mut expected = BTreeMap::new();
    for task in tasks {
        expected.append(&mut task.await.unwrap());
    }
    for worker in workers {
        worker.await.unwrap();
    }
    // What the workers' last idle rounds left (none, unless they gave up early).
    work_until_idle(&*inbox, 1, |key, id| {
        hold(&log, &key, id);
        release(&log, &key);
    })
    .await;

    let held = std::mem::take(&mut log.lock().unwrap().1);
    let total = usize::try_from(RECEIVERS * KEYS_PER_RECEIVER * PER_KEY).unwrap();
    assert_eq!(held.len(), total, "every delivery exactly once");
    let mut per_key: BTreeMap<String, Vec<DeliveryId>> = BTreeMap::new();
    for (key, id) in held {
        per_key.entry(key).or_default().push(id);
    }
    assert_eq!(per_key, expected, "each key in change order");
    assert_eq!(inbox.depth(at(0)).await.unwrap(), InboxDepth::default());
}

/// A lease that would end past the last time the system can tell is refused as
/// [`StoreError::Invalid`] by a claim and by [`Inbox::enqueue_leased`], before anything is
/// written: no attempt is counted, no delivery stored, and the next claim with a sound lease
/// takes the delivery as its first attempt.
pub async fn lease_ending_past_the_last_time_is_refused_and_changes_nothing<I: Inbox + ?Sized>(
    inbox: Arc<I>,
) {
    let id = enqueue(&*inbox, delivery(Some("k"), Some(1))).await;
    let refused = inbox.claim(at(0), Duration::MAX, 10).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid { .. })),
        "a claim: {refused:?}"
    );
    let refused = inbox
        .enqueue_leased(delivery(Some("other"), Some(2)), at(0), Duration::MAX)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid { .. })),
        "an enqueue: {refused:?}"
    );
    let listed = inbox.list(None, 10).await.unwrap();
    assert_eq!(listed.len(), 1, "nothing stored: {listed:?}");
    assert_eq!((listed[0].attempts, listed[0].leased_until), (0, None));
    let claimed = claim(&*inbox, at(0), 10).await;
    assert_eq!((claimed[0].id, claimed[0].attempt), (id, 1));
}
