//! Inbox leases and retention with an injected clock: a crashed worker's delivery is free again
//! once the short lease ends; a live worker renews its lease while it applies a delivery, and
//! the leases of the deliveries of its claim still waiting their turn, so no other worker takes
//! them; a delivery whose lease was lost while it waited is left to its new holder; done
//! deliveries are purged after the retention.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jirasync_domain::inbox::{
    DeliverySource, DeliveryState, DeliverySummary, Inbox, MemoryInbox, NewDelivery,
};
use jirasync_domain::issue::Assignee;
use jirasync_domain::{JiraDirectory, StaticJiraDirectory};
use jirasync_service::{
    Clock, DEFAULT_INBOX_LEASE, InboxRetention, ManualClock, ShutdownTrigger, SyncService,
    WebhookReceipt, process_available, purge_done_deliveries, shutdown_channel, spawn_retention,
    spawn_workers,
};
use support::{GatedDirectory, World, fixture};

/// The time the tests' clock starts at.
fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A service in inbox mode on `world`, a new memory inbox and `clock`.
fn service_with_clock(
    world: &World,
    directory: Arc<dyn JiraDirectory>,
    clock: Arc<ManualClock>,
) -> (SyncService, Arc<MemoryInbox>) {
    let inbox = Arc::new(MemoryInbox::new());
    let service = SyncService::builder(world.store.clone(), world.store.clone(), directory)
        .inbox(inbox.clone())
        .clock(clock)
        .build()
        .unwrap();
    (service, inbox)
}

/// The seeded world, a clock at [`t0`], and a service on both with no Jira look-ups.
async fn clocked_world() -> (World, Arc<ManualClock>, SyncService, Arc<MemoryInbox>) {
    let world = World::new().await;
    let clock = Arc::new(ManualClock::at(t0()));
    let (service, inbox) =
        service_with_clock(&world, Arc::new(StaticJiraDirectory::new()), clock.clone());
    (world, clock, service, inbox)
}

/// Receives `name` into the inbox.
async fn receive(world: &World, service: &SyncService, name: &str) {
    let receipt = service
        .receive_webhook(world.token().expose_secret(), &fixture(name), &[])
        .await;
    assert!(
        matches!(receipt, WebhookReceipt::Accepted(_)),
        "{receipt:?}"
    );
}

#[tokio::test]
async fn a_delivery_held_by_a_crashed_worker_is_applied_once_the_short_lease_ends() {
    let (world, clock, service, inbox) = clocked_world().await;
    receive(&world, &service, "assignee_set.json").await;
    let lease = service.worker_options().lease;
    assert_eq!(lease, DEFAULT_INBOX_LEASE);
    assert_eq!(lease, Duration::from_secs(15));

    // A worker of an instance that then crashed: it claimed the delivery and did nothing more.
    assert_eq!(inbox.claim(clock.now(), lease, 1).await.unwrap().len(), 1);

    clock.advance(lease - Duration::from_secs(1));
    assert_eq!(
        process_available(&service).await.unwrap(),
        0,
        "still leased"
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(process_available(&service).await.unwrap(), 1);

    let done = inbox.list(Some(DeliveryState::Done), 10).await.unwrap();
    assert_eq!((done.len(), done[0].attempts), (1, 2));
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.jess))
    );
}

/// Asserts that another worker's claim at the clock's time gets nothing: every delivery is held.
async fn nothing_is_claimable(inbox: &MemoryInbox, clock: &ManualClock) {
    let other_worker = inbox
        .claim(clock.now(), DEFAULT_INBOX_LEASE, 10)
        .await
        .unwrap();
    assert!(other_worker.is_empty(), "{other_worker:?}");
}

/// Lets the gated application go on, then shuts the workers down and waits for them.
async fn open_and_stop(
    directory: &GatedDirectory,
    trigger: ShutdownTrigger,
    workers: Vec<tokio::task::JoinHandle<()>>,
) {
    directory.open.notify_one();
    trigger.trigger();
    for worker in workers {
        worker.await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_worker_renews_its_lease_while_it_applies_a_delivery() {
    let world = World::new().await;
    let clock = Arc::new(ManualClock::at(t0()));
    let directory = Arc::new(GatedDirectory::default());
    let (service, inbox) = service_with_clock(&world, directory.clone(), clock.clone());
    // A hidden e-mail: applying it asks the directory, which holds the worker there.
    receive(&world, &service, "assignee_hidden_email.json").await;
    let (trigger, shutdown) = shutdown_channel();
    let workers = spawn_workers(&service, 1, &shutdown);
    directory.entered.notified().await;

    // Twenty seconds into a 15 s lease: the worker renewed it at its 5 s tick.
    clock.advance(Duration::from_secs(20));
    tokio::time::sleep(Duration::from_secs(6)).await;
    let pending = inbox.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert_eq!(
        pending[0].leased_until,
        Some(t0() + Duration::from_secs(35))
    );
    nothing_is_claimable(&inbox, &clock).await;

    open_and_stop(&directory, trigger, workers).await;
    let pending = inbox.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert!(pending.is_empty(), "{pending:?}");
    let all = inbox.list(None, 10).await.unwrap();
    assert_eq!(all[0].attempts, 1, "applied once, by its first worker");
}

/// Stores `name` for the world's integration with no ordering key: deliveries stored this way
/// are all claimable at once, whatever issue they are about.
async fn enqueue_keyless(world: &World, inbox: &MemoryInbox, name: &str) {
    inbox
        .enqueue(NewDelivery {
            source: DeliverySource::Integration(world.integration_id),
            body: fixture(name),
            headers: Vec::new(),
            received_at: t0(),
            ordering_key: None,
            occurred_at: None,
            delivery_key: None,
        })
        .await
        .unwrap();
}

/// The pending deliveries, oldest first.
async fn pending(inbox: &MemoryInbox) -> Vec<DeliverySummary> {
    let mut pending = inbox.list(Some(DeliveryState::Pending), 10).await.unwrap();
    pending.sort_by_key(|delivery| delivery.id);
    pending
}

#[tokio::test(start_paused = true)]
async fn a_worker_renews_the_leases_of_the_deliveries_waiting_their_turn() {
    let world = World::new().await;
    let clock = Arc::new(ManualClock::at(t0()));
    let directory = Arc::new(GatedDirectory::default());
    let (service, inbox) = service_with_clock(&world, directory.clone(), clock.clone());
    assert!(service.worker_options().claim_batch >= 2);
    // The first asks the directory, which holds the worker there; the second waits behind it.
    enqueue_keyless(&world, &inbox, "assignee_hidden_email.json").await;
    enqueue_keyless(&world, &inbox, "assignee_set.json").await;
    let (trigger, shutdown) = shutdown_channel();
    let workers = spawn_workers(&service, 1, &shutdown);
    directory.entered.notified().await;
    let claimed = pending(&inbox).await;
    assert_eq!(
        claimed.iter().map(|d| d.attempts).collect::<Vec<_>>(),
        [1, 1],
        "one claim took both: {claimed:?}"
    );

    // Twenty seconds into a 15 s lease: the worker renewed both leases at its 5 s tick.
    clock.advance(Duration::from_secs(20));
    tokio::time::sleep(Duration::from_secs(6)).await;
    let renewed = pending(&inbox).await;
    let until = Some(t0() + Duration::from_secs(35));
    assert_eq!(
        renewed.iter().map(|d| d.leased_until).collect::<Vec<_>>(),
        [until, until]
    );
    nothing_is_claimable(&inbox, &clock).await;

    open_and_stop(&directory, trigger, workers).await;
    assert!(pending(&inbox).await.is_empty());
    let done = inbox.list(Some(DeliveryState::Done), 10).await.unwrap();
    assert_eq!(
        done.iter().map(|d| d.attempts).collect::<Vec<_>>(),
        [1, 1],
        "each applied once, by the first worker"
    );
}

#[tokio::test(start_paused = true)]
async fn a_delivery_whose_lease_was_lost_while_it_waited_is_left_to_its_new_holder() {
    let world = World::new().await;
    let clock = Arc::new(ManualClock::at(t0()));
    let directory = Arc::new(GatedDirectory::default());
    let (service, inbox) = service_with_clock(&world, directory.clone(), clock.clone());
    enqueue_keyless(&world, &inbox, "assignee_hidden_email.json").await;
    enqueue_keyless(&world, &inbox, "assignee_set.json").await;
    let (trigger, shutdown) = shutdown_channel();
    let workers = spawn_workers(&service, 1, &shutdown);
    directory.entered.notified().await;

    // The leases end before the worker renews them (a stalled process), and another worker
    // claims both; at its next tick the worker learns it holds neither.
    clock.advance(Duration::from_secs(20));
    let other_worker = inbox
        .claim(clock.now(), DEFAULT_INBOX_LEASE, 10)
        .await
        .unwrap();
    assert_eq!(other_worker.len(), 2, "{other_worker:?}");
    tokio::time::sleep(Duration::from_secs(6)).await;

    open_and_stop(&directory, trigger, workers).await;
    // Both are still the other worker's (its complete of the first was refused), and the
    // worker that lost them applied only the one it had begun.
    let still_held = pending(&inbox).await;
    assert_eq!(
        still_held.iter().map(|d| d.attempts).collect::<Vec<_>>(),
        [2, 2],
        "{still_held:?}"
    );
    let metrics = service.metrics().render(None);
    assert!(
        metrics.contains("jirasync_delivery_processing_seconds_count{path=\"worker\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn done_deliveries_older_than_the_retention_are_purged() {
    let (world, clock, service, inbox) = clocked_world().await;
    // Received at t0 and t0 + 2 days, both done; a third received at t0 still pending.
    receive(&world, &service, "assignee_set.json").await;
    assert_eq!(process_available(&service).await.unwrap(), 1);
    clock.advance(Duration::from_secs(2 * 86_400));
    receive(&world, &service, "assignee_null.json").await;
    assert_eq!(process_available(&service).await.unwrap(), 1);
    let pending = jirasync_domain::inbox::conformance::delivery(None, None);
    inbox.enqueue(pending).await.unwrap();

    let retention = InboxRetention {
        done: Duration::from_secs(7 * 86_400),
        interval: Duration::from_secs(3_600),
    };
    // Six days after the first: nothing is a week old.
    clock.advance(Duration::from_secs(4 * 86_400));
    assert_eq!(
        purge_done_deliveries(&service, &retention).await.unwrap(),
        0
    );
    // Eight days after the first, six after the second.
    clock.advance(Duration::from_secs(2 * 86_400));
    assert_eq!(
        purge_done_deliveries(&service, &retention).await.unwrap(),
        1
    );

    let left = inbox.list(None, 10).await.unwrap();
    let states: Vec<_> = left.iter().map(|d| (d.state, d.received_at)).collect();
    assert_eq!(
        states,
        [
            (DeliveryState::Done, t0() + Duration::from_secs(2 * 86_400)),
            (DeliveryState::Pending, t0()),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_retention_task_purges_at_start_and_every_interval_until_shutdown() {
    let (world, clock, service, inbox) = clocked_world().await;
    receive(&world, &service, "assignee_set.json").await;
    process_available(&service).await.unwrap();
    let retention = InboxRetention {
        done: Duration::from_secs(3_600),
        interval: Duration::from_secs(600),
    };
    clock.advance(Duration::from_secs(3_601));
    let (trigger, shutdown) = shutdown_channel();
    let task = spawn_retention(&service, retention, &shutdown).unwrap();

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        inbox.list(None, 10).await.unwrap().is_empty(),
        "purged at start"
    );

    receive(&world, &service, "assignee_null.json").await;
    process_available(&service).await.unwrap();
    clock.advance(Duration::from_secs(3_601));
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert!(
        inbox.list(None, 10).await.unwrap().is_empty(),
        "purged again"
    );

    trigger.trigger();
    task.await.unwrap();
}
