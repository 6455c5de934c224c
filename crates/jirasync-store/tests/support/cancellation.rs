//! Shared by the cancellation tests: store calls dropped at chosen await points under
//! concurrency, as a disconnecting HTTP client drops a request's future, and the checks that
//! follow (later writes still succeed, nothing acknowledged is lost).

// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use jirasync_domain::conformance::World;
use jirasync_domain::conformance::fixture::{Fixture, KEY, assigned_to_email};
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::inbox::{DeliveryId, DeliverySource, DeliveryState, Inbox, NewDelivery};
use jirasync_domain::rules::outcome::HaltReason;
use jirasync_webhook::DeliveryKey;

/// Calls of each kind started in one storm.
const CALLS: u32 = 120;

/// How long a write may take once the storm is over before the test calls the store wedged:
/// generous, far above a healthy write and above the stores' busy timeout.
const WRITE_BOUND: Duration = Duration::from_secs(20);

/// A small deterministic generator (xorshift64*), so that a failure replays with the same
/// cancellation points.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound.max(1)
    }
}

/// Polls `inner` at most `polls` times, then drops it where it stands: `None` when it did not
/// finish within its budget.
pub(crate) struct PollBudget<F: Future> {
    inner: Option<Pin<Box<F>>>,
    polls: u32,
}

impl<F: Future> PollBudget<F> {
    pub(crate) fn new(inner: F, polls: u32) -> Self {
        Self {
            inner: Some(Box::pin(inner)),
            polls,
        }
    }
}

impl<F: Future> Future for PollBudget<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.polls == 0 {
            // Cancel here: the inner future is dropped at its current await point.
            self.inner = None;
            return Poll::Ready(None);
        }
        self.polls -= 1;
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match inner.as_mut().poll(cx) {
            Poll::Ready(output) => {
                self.inner = None;
                Poll::Ready(Some(output))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Runs `call` with a cancellation chosen by `rng`: dropped after 1 to 48 polls, dropped after a
/// few hundred microseconds, or left to finish.
pub(crate) async fn maybe_cancelled<F: Future>(rng: &mut Rng, call: F) -> Option<F::Output> {
    match rng.below(3) {
        0 => {
            let polls = u32::try_from(1 + rng.below(48)).unwrap();
            PollBudget::new(call, polls).await
        }
        1 => {
            let after = Duration::from_micros(50 + rng.below(2_000));
            tokio::time::timeout(after, call).await.ok()
        }
        _ => Some(call.await),
    }
}

fn new_delivery(n: u32) -> NewDelivery {
    NewDelivery {
        source: DeliverySource::Integration(IntegrationId::new(1 + u64::from(n % 3))),
        body: format!("{{\"n\":{n}}}").into_bytes(),
        headers: Vec::new(),
        received_at: SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(n)),
        ordering_key: Some(format!("1:APP-{}", n % 7)),
        occurred_at: None,
        delivery_key: None,
    }
}

fn delivery_key(n: u32) -> DeliveryKey {
    DeliveryKey::new(KEY, &format!("storm-{n}"), "jira:issue_updated")
}

/// Enqueues and plan applications on `store`, many at once, each possibly dropped half-way;
/// then a write must succeed within [`WRITE_BOUND`], and every call that answered `Ok` must have
/// left its row: each acknowledged delivery is in the inbox, each acknowledged plan is in the
/// delivery log (its second application is refused as a duplicate).
pub(crate) async fn storm_then_write<S>(store: S, seed: u64)
where
    S: World + Inbox + Clone + 'static,
{
    let fixture = Arc::new(Fixture::new(store.clone()).await);
    let inbox = Arc::new(store);
    let mut rng = Rng::new(seed);
    let mut tasks = Vec::new();
    for n in 0..CALLS {
        let mut call_rng = Rng::new(rng.below(u64::MAX));
        let inbox = Arc::clone(&inbox);
        tasks.push(tokio::spawn(async move {
            let enqueued = maybe_cancelled(&mut call_rng, inbox.enqueue(new_delivery(n))).await;
            match enqueued {
                Some(Ok(id)) => Acknowledged::Delivery(id),
                Some(Err(error)) if error.is_retryable() => Acknowledged::Nothing,
                Some(Err(error)) => panic!("enqueue {n} failed: {error}"),
                None => Acknowledged::Nothing,
            }
        }));
        let mut call_rng = Rng::new(rng.below(u64::MAX));
        let fixture = Arc::clone(&fixture);
        tasks.push(tokio::spawn(async move {
            let event = assigned_to_email("alice@example.com", 1_000 + i64::from(n));
            let key = delivery_key(n);
            let applied = maybe_cancelled(
                &mut call_rng,
                fixture
                    .sync
                    .sync_assignee(fixture.integration, &event, Some(&key)),
            )
            .await;
            match applied {
                Some(Ok(_)) => Acknowledged::Plan(n),
                Some(Err(error)) if error.is_retryable() => Acknowledged::Nothing,
                Some(Err(error)) => panic!("plan {n} failed: {error}"),
                None => Acknowledged::Nothing,
            }
        }));
    }
    let mut deliveries = Vec::new();
    let mut plans = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Acknowledged::Delivery(id) => deliveries.push(id),
            Acknowledged::Plan(n) => plans.push(n),
            Acknowledged::Nothing => {}
        }
    }
    // Both sides were cancelled somewhere: the storm did what it is for.
    let cancelled = 2 * CALLS as usize - deliveries.len() - plans.len();
    assert!(cancelled > 0, "no call was cancelled");

    // Writes still succeed, promptly.
    let after = tokio::time::timeout(WRITE_BOUND, inbox.enqueue(new_delivery(CALLS)))
        .await
        .expect("an enqueue after the storm finished within the bound")
        .expect("an enqueue after the storm succeeded");
    deliveries.push(after);
    let newest = assigned_to_email("alice@example.com", 1_000_000);
    let outcome = tokio::time::timeout(
        WRITE_BOUND,
        fixture
            .sync
            .sync_assignee(fixture.integration, &newest, Some(&delivery_key(CALLS))),
    )
    .await
    .expect("a plan after the storm finished within the bound")
    .expect("a plan after the storm succeeded");
    assert_eq!(outcome.halt, None, "{outcome:?}");
    plans.push(CALLS);

    // Nothing acknowledged is lost.
    let listed = inbox
        .list(Some(DeliveryState::Pending), 10 * CALLS as usize)
        .await
        .unwrap();
    for id in &deliveries {
        assert!(
            listed.iter().any(|summary| summary.id == *id),
            "acknowledged delivery {id} is missing from the inbox"
        );
    }
    for n in plans {
        let again = fixture
            .sync
            .sync_assignee(
                fixture.integration,
                &assigned_to_email("alice@example.com", 1_000 + i64::from(n)),
                Some(&delivery_key(n)),
            )
            .await
            .unwrap();
        assert_eq!(
            again.halt,
            Some(HaltReason::DuplicateDelivery),
            "acknowledged plan {n} is missing from the delivery log"
        );
    }
}

enum Acknowledged {
    Delivery(DeliveryId),
    Plan(u32),
    Nothing,
}
