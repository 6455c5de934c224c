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
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jirasync_domain::inbox::{DeliveryId, DeliverySource, DeliveryState, Inbox, NewDelivery};
use jirasync_domain::{JiraDirectory, StaticJiraDirectory};
use jirasync_service::{SyncService, process_available, shutdown_channel, spawn_workers};
use support::flaky::FlakyInbox;
use support::{GatedDirectory, World, fixture};

/// The ids of `inbox`'s done deliveries.
async fn done(inbox: &FlakyInbox) -> BTreeSet<DeliveryId> {
    let done = inbox.list(Some(DeliveryState::Done), 10).await.unwrap();
    done.iter().map(|delivery| delivery.id).collect()
}

/// A service in inbox mode on `world`, with `inbox` and `directory`.
fn service(
    world: &World,
    inbox: &Arc<FlakyInbox>,
    directory: Arc<dyn JiraDirectory>,
) -> SyncService {
    SyncService::builder(world.store.clone(), world.store.clone(), directory)
        .inbox(inbox.clone())
        .build()
        .unwrap()
}

/// Stores `name` for the world's integration with no ordering key, so that one claim takes all.
async fn enqueue(world: &World, inbox: &FlakyInbox, name: &str) -> DeliveryId {
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
    let inbox = Arc::new(FlakyInbox::default());
    let service = service(&world, &inbox, Arc::new(StaticJiraDirectory::new()));
    let ids = vec![
        enqueue(&world, &inbox, "assignee_set.json").await,
        enqueue(&world, &inbox, "status_changed.json").await,
        enqueue(&world, &inbox, "assignee_null.json").await,
    ];

    assert_eq!(process_available(&service).await.unwrap(), 3);

    assert_eq!(inbox.completed_together(), vec![ids.clone()]);
    assert_eq!(inbox.completed_alone(), Vec::<DeliveryId>::new());
    assert_eq!(done(&inbox).await, ids.into_iter().collect());
}

#[tokio::test(start_paused = true)]
async fn applied_deliveries_are_marked_done_before_the_next_once_a_slow_one_held_them() {
    let world = World::new().await;
    let inbox = Arc::new(FlakyInbox::default());
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
    assert_eq!(done(&inbox).await, BTreeSet::from([fast, slow, last]));
}
