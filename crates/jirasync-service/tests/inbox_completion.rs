//! How a worker marks the deliveries of a claim done: together, in one write at the end of the
//! claim, unless a delivery after them takes long (a Jira look-up), in which case those waiting
//! are marked done before the next one starts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use jirasync_domain::inbox::{
    ClaimedDelivery, DeliveryId, DeliverySource, DeliveryState, DeliverySummary, FailOutcome,
    Inbox, InboxDepth, MemoryInbox, NewDelivery,
};
use jirasync_domain::{JiraDirectory, StaticJiraDirectory, StoreError};
use jirasync_service::{SyncService, process_available, shutdown_channel, spawn_workers};
use support::{GatedDirectory, World, fixture};

/// A memory inbox that records how the worker marks deliveries done.
#[derive(Default)]
struct RecordingInbox {
    inner: MemoryInbox,
    /// Each `complete_all` call's deliveries.
    completed_together: Mutex<Vec<Vec<DeliveryId>>>,
    /// Each `complete` call's delivery.
    completed_alone: Mutex<Vec<DeliveryId>>,
}

#[async_trait]
impl Inbox for RecordingInbox {
    async fn enqueue(&self, delivery: NewDelivery) -> Result<DeliveryId, StoreError> {
        self.inner.enqueue(delivery).await
    }

    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        self.inner.claim(now, lease, limit).await
    }

    async fn renew(
        &self,
        id: DeliveryId,
        attempt: u32,
        until: SystemTime,
    ) -> Result<(), StoreError> {
        self.inner.renew(id, attempt, until).await
    }

    async fn complete(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError> {
        self.completed_alone.lock().unwrap().push(id);
        self.inner.complete(id, attempt).await
    }

    async fn complete_all(
        &self,
        claims: &[(DeliveryId, u32)],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        self.completed_together
            .lock()
            .unwrap()
            .push(claims.iter().map(|(id, _)| *id).collect());
        self.inner.complete_all(claims).await
    }

    async fn fail(
        &self,
        id: DeliveryId,
        attempt: u32,
        error: &str,
        retry_at: Option<SystemTime>,
    ) -> Result<FailOutcome, StoreError> {
        self.inner.fail(id, attempt, error, retry_at).await
    }

    async fn replay(&self, id: DeliveryId) -> Result<(), StoreError> {
        self.inner.replay(id).await
    }

    async fn list(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<DeliverySummary>, StoreError> {
        self.inner.list(state, limit).await
    }

    async fn depth(&self, now: SystemTime) -> Result<InboxDepth, StoreError> {
        self.inner.depth(now).await
    }

    async fn purge_done(&self, before: SystemTime) -> Result<u64, StoreError> {
        self.inner.purge_done(before).await
    }
}

impl RecordingInbox {
    fn completed_together(&self) -> Vec<Vec<DeliveryId>> {
        self.completed_together.lock().unwrap().clone()
    }

    fn completed_alone(&self) -> Vec<DeliveryId> {
        self.completed_alone.lock().unwrap().clone()
    }

    /// The ids of the done deliveries.
    async fn done(&self) -> BTreeSet<DeliveryId> {
        let done = self.list(Some(DeliveryState::Done), 10).await.unwrap();
        done.iter().map(|delivery| delivery.id).collect()
    }
}

/// A service in inbox mode on `world`, with `inbox` and `directory`.
fn service(
    world: &World,
    inbox: &Arc<RecordingInbox>,
    directory: Arc<dyn JiraDirectory>,
) -> SyncService {
    SyncService::builder(world.store.clone(), world.store.clone(), directory)
        .inbox(inbox.clone())
        .build()
        .unwrap()
}

/// Stores `name` for the world's integration with no ordering key, so that one claim takes all.
async fn enqueue(world: &World, inbox: &RecordingInbox, name: &str) -> DeliveryId {
    inbox
        .enqueue(NewDelivery {
            source: DeliverySource::Integration(world.integration_id),
            body: fixture(name),
            headers: Vec::new(),
            received_at: SystemTime::now(),
            ordering_key: None,
            occurred_at: None,
            delivery_key: None,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_deliveries_of_a_claim_are_marked_done_in_one_write() {
    let world = World::new().await;
    let inbox = Arc::new(RecordingInbox::default());
    let service = service(&world, &inbox, Arc::new(StaticJiraDirectory::new()));
    let ids = vec![
        enqueue(&world, &inbox, "assignee_set.json").await,
        enqueue(&world, &inbox, "status_changed.json").await,
        enqueue(&world, &inbox, "assignee_null.json").await,
    ];

    assert_eq!(process_available(&service).await.unwrap(), 3);

    assert_eq!(inbox.completed_together(), vec![ids.clone()]);
    assert_eq!(inbox.completed_alone(), Vec::<DeliveryId>::new());
    assert_eq!(inbox.done().await, ids.into_iter().collect());
}

#[tokio::test(start_paused = true)]
async fn applied_deliveries_are_marked_done_before_the_next_once_a_slow_one_held_them() {
    let world = World::new().await;
    let inbox = Arc::new(RecordingInbox::default());
    let directory = Arc::new(GatedDirectory::default());
    let service = service(&world, &inbox, directory.clone());
    let fast = enqueue(&world, &inbox, "assignee_set.json").await;
    // A hidden e-mail: applying it asks the directory, which holds the worker for a second.
    let slow = enqueue(&world, &inbox, "assignee_hidden_email.json").await;
    let last = enqueue(&world, &inbox, "status_changed.json").await;
    let (trigger, shutdown) = shutdown_channel();
    let workers = spawn_workers(&service, 1, &shutdown);
    directory.entered.notified().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        inbox.completed_together(),
        Vec::<Vec<DeliveryId>>::new(),
        "the first waits for the one after it"
    );

    directory.open.notify_one();
    trigger.trigger();
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(
        inbox.completed_together(),
        vec![vec![fast, slow], vec![last]]
    );
    assert_eq!(inbox.done().await, BTreeSet::from([fast, slow, last]));
}
