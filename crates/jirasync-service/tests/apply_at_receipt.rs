//! Inbox mode with a free worker slot: the receiver stores the delivery already claimed and
//! applies it from the request in hand, without a claim, a read-back or a second parse. It does
//! so only when a worker slot is free and the delivery's issue has nothing earlier pending; it
//! records a failure as a worker does, and shutting down waits for it.
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

use async_trait::async_trait;
use jirasync_core::Clock as _;
use jirasync_domain::inbox::{DeliveryId, DeliveryState, Inbox};
use jirasync_domain::integration::Integration;
use jirasync_domain::issue::Assignee;
use jirasync_domain::{DirectoryError, JiraDirectory, StaticJiraDirectory};
use jirasync_service::{
    DEFAULT_INBOX_LEASE, ManualClock, ShutdownTrigger, SyncService, WebhookReceipt, WorkerOptions,
    process_available, shutdown_channel, spawn_workers,
};
use jirasync_webhook::{JiraUser, StatusId};
use support::flaky::FlakyInbox;
use support::{GatedDirectory, World, fixture};
use tokio::task::JoinHandle;

/// A service in inbox mode on a seeded world, with a recording inbox, `directory` and
/// `options`, and `workers` workers started (each waiting for a delivery, unless none).
struct Running {
    world: World,
    inbox: Arc<FlakyInbox>,
    service: SyncService,
    trigger: ShutdownTrigger,
    workers: Vec<JoinHandle<()>>,
}

impl Running {
    async fn start(
        directory: Arc<dyn JiraDirectory>,
        options: WorkerOptions,
        workers: usize,
    ) -> Self {
        let world = World::new().await;
        let inbox = Arc::new(FlakyInbox::default());
        let service = SyncService::builder(world.store.clone(), world.store.clone(), directory)
            .inbox(inbox.clone())
            .worker_options(options)
            .build()
            .unwrap();
        let (trigger, shutdown) = shutdown_channel();
        let workers = spawn_workers(&service, workers, &shutdown);
        settle().await;
        Self {
            world,
            inbox,
            service,
            trigger,
            workers,
        }
    }

    /// Receives fixture `name`; the id it was accepted under.
    async fn receive(&self, name: &str) -> DeliveryId {
        receive(&self.world, &self.service, name).await
    }

    /// Stops the workers and waits for them.
    async fn stop(self) {
        self.trigger.trigger();
        for worker in self.workers {
            worker.await.unwrap();
        }
    }
}

/// Receives fixture `name` with the world's token; the id it was accepted under.
async fn receive(world: &World, service: &SyncService, name: &str) -> DeliveryId {
    let token = world.token();
    let receipt = service
        .receive_webhook(token.expose_secret(), &fixture(name), &[])
        .await;
    match receipt {
        WebhookReceipt::Accepted(id) => id,
        other => panic!("{name}: {other:?}"),
    }
}

/// Lets the workers run until each waits (for a delivery, or its idle poll): with the clock
/// paused, a sleep ends only once every task is waiting.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// The ids of `inbox`'s deliveries in `state`.
async fn in_state(inbox: &FlakyInbox, state: DeliveryState) -> BTreeSet<DeliveryId> {
    let listed = inbox.list(Some(state), 10).await.unwrap();
    listed.iter().map(|delivery| delivery.id).collect()
}

#[tokio::test(start_paused = true)]
async fn a_delivery_received_while_a_worker_is_free_is_applied_without_a_claim() {
    let directory = Arc::new(StaticJiraDirectory::new());
    let running = Running::start(directory, WorkerOptions::default(), 1).await;

    let id = running.receive("assignee_set.json").await;
    settle().await;

    let inbox = &running.inbox;
    assert_eq!(inbox.leased_at_enqueue(), vec![id]);
    assert_eq!(inbox.claimed(), Vec::<DeliveryId>::new(), "no claim needed");
    assert_eq!(inbox.completed_together(), vec![vec![id]]);
    let metrics = running.service.metrics().render(None);
    let count = "jirasync_delivery_processing_seconds_count{path=\"receipt\"} 1\n";
    assert!(metrics.contains(count), "{metrics}");
    assert_eq!(
        in_state(inbox, DeliveryState::Done).await,
        BTreeSet::from([id])
    );
    let world = &running.world;
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.jess))
    );
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn with_the_setting_off_every_delivery_waits_for_a_claim() {
    let options = WorkerOptions {
        apply_at_receipt: false,
        ..WorkerOptions::default()
    };
    let running = Running::start(Arc::new(StaticJiraDirectory::new()), options, 1).await;

    let id = running.receive("assignee_set.json").await;
    settle().await;

    let inbox = &running.inbox;
    assert_eq!(inbox.leased_at_enqueue(), Vec::<DeliveryId>::new());
    assert_eq!(inbox.claimed(), vec![id]);
    let metrics = running.service.metrics().render(None);
    let count = "jirasync_delivery_processing_seconds_count{path=\"worker\"} 1\n";
    assert!(metrics.contains(count), "{metrics}");
    assert!(!metrics.contains("path=\"receipt\""), "{metrics}");
    assert_eq!(
        in_state(inbox, DeliveryState::Done).await,
        BTreeSet::from([id])
    );
    running.stop().await;
}

#[tokio::test]
async fn without_workers_a_delivery_is_only_stored() {
    let directory = Arc::new(StaticJiraDirectory::new());
    let running = Running::start(directory, WorkerOptions::default(), 0).await;

    let id = running.receive("assignee_set.json").await;

    assert_eq!(running.inbox.leased_at_enqueue(), Vec::<DeliveryId>::new());
    let pending = running.inbox.list(Some(DeliveryState::Pending), 10).await;
    let pending = pending.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].id, pending[0].attempts), (id, 0));
    assert_eq!(pending[0].leased_until, None);
    assert_eq!(running.world.local_issue().await.assignee, None);
}

#[tokio::test(start_paused = true)]
async fn a_delivery_behind_one_of_its_issue_waits_for_a_claim_and_is_claimed_once_it_is_free() {
    let directory = Arc::new(GatedDirectory::default());
    let running = Running::start(directory.clone(), WorkerOptions::default(), 2).await;

    // A hidden e-mail: applying it asks the directory, which holds its slot until opened.
    let first = running.receive("assignee_hidden_email.json").await;
    directory.entered.notified().await;
    // The other slot is free, but the issue is held by `first`: stored pending.
    let behind = running.receive("status_changed.json").await;
    let inbox = &running.inbox;
    assert_eq!(inbox.leased_at_enqueue(), vec![first]);
    let pending = inbox.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert_eq!(pending[1].id, behind);
    assert_eq!(pending[1].leased_until, None, "{pending:?}");

    // Once `first` is done a worker is woken for it, well before its idle poll.
    directory.open.notify_one();
    settle().await;
    assert_eq!(inbox.claimed(), vec![behind], "claimed after the first");
    assert_eq!(
        in_state(inbox, DeliveryState::Done).await,
        BTreeSet::from([first, behind])
    );
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn with_the_only_slot_taken_a_delivery_waits_for_a_claim() {
    let directory = Arc::new(GatedDirectory::default());
    let running = Running::start(directory.clone(), WorkerOptions::default(), 1).await;

    let first = running.receive("assignee_hidden_email.json").await;
    directory.entered.notified().await;
    // No slot is free: even a delivery of another issue waits.
    let mut other_issue = support::fixture_json("status_changed.json");
    other_issue["issue"]["key"] = "APP-999".into();
    other_issue["issue"]["id"] = "99999".into();
    let token = running.world.token();
    let receipt = running
        .service
        .receive_webhook(
            token.expose_secret(),
            &serde_json::to_vec(&other_issue).unwrap(),
            &[],
        )
        .await;
    let WebhookReceipt::Accepted(second) = receipt else {
        panic!("{receipt:?}");
    };
    assert_eq!(running.inbox.leased_at_enqueue(), vec![first]);

    directory.open.notify_one();
    settle().await;
    assert_eq!(running.inbox.claimed(), vec![second]);
    running.stop().await;
}

/// A Jira that cannot be reached, or that refuses the installation's credentials.
struct BrokenJira(DirectoryError);

#[async_trait]
impl JiraDirectory for BrokenJira {
    async fn find_user(
        &self,
        _integration: &Integration,
        _user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError> {
        Err(self.0.clone())
    }

    async fn done_status_ids(
        &self,
        _integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError> {
        Err(self.0.clone())
    }
}

#[tokio::test(start_paused = true)]
async fn a_failure_at_receipt_is_recorded_for_a_retry_or_the_dead_letter_state() {
    for (error, state) in [
        (
            DirectoryError::Unreachable {
                message: "connect timed out".into(),
            },
            DeliveryState::Pending,
        ),
        (
            DirectoryError::Refused {
                message: "401 Unauthorized".into(),
            },
            DeliveryState::Dead,
        ),
    ] {
        let directory = Arc::new(BrokenJira(error.clone()));
        let running = Running::start(directory, WorkerOptions::default(), 1).await;

        let id = running.receive("status_changed.json").await;
        settle().await;

        let inbox = &running.inbox;
        assert_eq!(inbox.leased_at_enqueue(), vec![id]);
        let listed = inbox.list(None, 10).await.unwrap();
        assert_eq!((listed[0].state, listed[0].attempts), (state, 1), "{error}");
        assert_eq!(listed[0].leased_until, None);
        let last_error = listed[0].last_error.as_deref().unwrap_or_default();
        assert!(last_error.contains(&error.to_string()), "{last_error}");
        if state == DeliveryState::Pending {
            assert!(listed[0].available_at.is_some(), "a retry time");
        }
        assert_eq!(inbox.completed_together(), Vec::<Vec<DeliveryId>>::new());
        running.stop().await;
    }
}

#[tokio::test(start_paused = true)]
async fn shutting_down_waits_for_a_delivery_applied_at_receipt() {
    let directory = Arc::new(GatedDirectory::default());
    let running = Running::start(directory.clone(), WorkerOptions::default(), 1).await;

    let id = running.receive("assignee_hidden_email.json").await;
    directory.entered.notified().await;
    let Running {
        world,
        inbox,
        service,
        trigger,
        workers,
    } = running;
    trigger.trigger();
    let drained = tokio::spawn(async move {
        for worker in workers {
            worker.await.unwrap();
        }
    });
    settle().await;
    assert!(
        !drained.is_finished(),
        "waits for the delivery being applied"
    );
    // Once stopping, the receiver only stores.
    let stored = receive(&world, &service, "status_changed.json").await;
    assert_eq!(inbox.leased_at_enqueue(), vec![id]);

    directory.open.notify_one();
    drained.await.unwrap();
    assert_eq!(
        in_state(&inbox, DeliveryState::Done).await,
        BTreeSet::from([id])
    );
    let pending = in_state(&inbox, DeliveryState::Pending).await;
    assert_eq!(pending, BTreeSet::from([stored]));
}

#[test]
fn a_delivery_whose_process_died_while_applying_it_is_claimed_again_once_its_lease_ends() {
    let clock = Arc::new(ManualClock::at(SystemTime::now()));
    let inbox = Arc::new(FlakyInbox::default());
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let service_on = |world: &World, directory: Arc<dyn JiraDirectory>| {
        SyncService::builder(world.store.clone(), world.store.clone(), directory)
            .inbox(inbox.clone())
            .clock(clock.clone())
            .build()
            .unwrap()
    };

    // The first process receives the delivery and starts applying it at receipt (jess's
    // e-mail is hidden: the directory is asked, and holds the application), then dies in the
    // middle: dropping its runtime drops every task it ran, as `kill -9` would.
    let first_process = runtime();
    let directory = Arc::new(GatedDirectory::default());
    let (world, id) = first_process.block_on(async {
        let world = World::new().await;
        let service = service_on(&world, directory.clone());
        let (_trigger, shutdown) = shutdown_channel();
        let _workers = spawn_workers(&service, 1, &shutdown);
        settle().await;
        let id = receive(&world, &service, "assignee_hidden_email.json").await;
        directory.entered.notified().await;
        (world, id)
    });
    drop(first_process);
    let runtime = runtime();
    runtime.block_on(async {
        let stored = inbox.list(None, 10).await.unwrap();
        assert_eq!(inbox.leased_at_enqueue(), vec![id]);
        assert_eq!(
            (stored[0].state, stored[0].attempts),
            (DeliveryState::Pending, 1)
        );
        assert!(
            stored[0].leased_until.is_some(),
            "still leased to the dead process"
        );

        // The restarted process, whose Jira answers: nothing to claim while the lease lasts,
        // then attempt 2.
        let jira = StaticJiraDirectory::new().with_user(JiraUser {
            name: Some("jess".to_owned()),
            key: Some("JIRAUSER10100".to_owned()),
            email_address: Some("jess@example.com".to_owned()),
            ..JiraUser::default()
        });
        let service = service_on(&world, Arc::new(jira));
        assert_eq!(process_available(&service).await.unwrap(), 0);
        clock.advance(DEFAULT_INBOX_LEASE);
        assert_eq!(process_available(&service).await.unwrap(), 1);
        let done = inbox.list(Some(DeliveryState::Done), 10).await.unwrap();
        assert_eq!((done[0].id, done[0].attempts), (id, 2));
        assert_eq!(
            world.local_issue().await.assignee,
            Some(Assignee::User(world.jess))
        );
    });
}

#[tokio::test(start_paused = true)]
async fn a_delivery_applied_at_receipt_for_longer_than_its_lease_keeps_it() {
    let world = World::new().await;
    let inbox = Arc::new(FlakyInbox::default());
    let clock = Arc::new(ManualClock::at(SystemTime::now()));
    let directory = Arc::new(GatedDirectory::default());
    let service = SyncService::builder(world.store.clone(), world.store.clone(), directory.clone())
        .inbox(inbox.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    let (trigger, shutdown) = shutdown_channel();
    let workers = spawn_workers(&service, 1, &shutdown);
    settle().await;

    let id = receive(&world, &service, "assignee_hidden_email.json").await;
    directory.entered.notified().await;
    let first_lease = inbox.list(None, 10).await.unwrap()[0].leased_until.unwrap();
    // Twice the lease goes by while the directory holds the application.
    for _ in 0..6 {
        clock.advance(DEFAULT_INBOX_LEASE / 3);
        tokio::time::sleep(DEFAULT_INBOX_LEASE / 3).await;
    }
    let renewed = inbox.list(None, 10).await.unwrap()[0].leased_until.unwrap();
    assert!(renewed > first_lease + DEFAULT_INBOX_LEASE, "{renewed:?}");
    assert!(
        inbox
            .claim(clock.now(), DEFAULT_INBOX_LEASE, 10)
            .await
            .unwrap()
            .is_empty(),
        "still held"
    );

    directory.open.notify_one();
    settle().await;
    let done = inbox.list(Some(DeliveryState::Done), 10).await.unwrap();
    assert_eq!((done[0].id, done[0].attempts), (id, 1));
    trigger.trigger();
    for worker in workers {
        worker.await.unwrap();
    }
}
