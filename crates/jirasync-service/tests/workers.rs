//! Inbox workers on stored rows: a row names the integration its token was verified for at
//! receipt and is applied without a token; a row whose integration is gone is dead at once; a row
//! stored by an earlier version carries its token, verified when processed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::time::SystemTime;

use jirasync_domain::StaticJiraDirectory;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::inbox::{
    DeliverySource, DeliveryState, DeliverySummary, Inbox, MemoryInbox, NewDelivery,
};
use jirasync_domain::issue::Assignee;
use jirasync_service::{WebhookReceipt, process_available, shutdown_channel, spawn_workers};
use jirasync_webhook::{WebhookSecret, mint_token};
use support::{World, fixture};

/// `assignee_set.json` stored as coming from `source`.
async fn enqueue(inbox: &MemoryInbox, source: DeliverySource) {
    inbox
        .enqueue(NewDelivery {
            source,
            body: fixture("assignee_set.json"),
            headers: Vec::new(),
            received_at: SystemTime::now(),
            ordering_key: None,
            occurred_at: None,
            delivery_key: None,
        })
        .await
        .unwrap();
}

/// Asserts that the one delivery is done and assigned the issue to jess.
async fn assert_applied(world: &World, inbox: &MemoryInbox) {
    let done = inbox.list(Some(DeliveryState::Done), 10).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.jess))
    );
}

/// The one dead delivery, once asserted that it died at its first attempt and changed nothing.
async fn dead_at_once(world: &World, inbox: &MemoryInbox) -> DeliverySummary {
    let mut dead = inbox.list(Some(DeliveryState::Dead), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 1, "not retryable: dead at once");
    assert_eq!(world.local_issue().await.assignee, None);
    dead.remove(0)
}

#[tokio::test]
async fn a_delivery_accepted_at_receipt_is_applied_by_a_worker_pass() {
    let world = World::new().await;
    let (service, inbox) = world.inbox_service(StaticJiraDirectory::new());
    let token = world.token();

    let receipt = service
        .receive_webhook(token.expose_secret(), &fixture("assignee_set.json"), &[])
        .await;
    assert!(
        matches!(receipt, WebhookReceipt::Accepted(_)),
        "{receipt:?}"
    );
    assert_eq!(process_available(&service).await.unwrap(), 1);

    assert_applied(&world, &inbox).await;
}

#[tokio::test]
async fn a_stored_integration_is_trusted_without_a_token() {
    let world = World::new().await;
    let (service, inbox) = world.inbox_service(StaticJiraDirectory::new());
    // Whatever secrets the integration has now: the token was verified when it arrived.
    enqueue(&inbox, DeliverySource::Integration(world.integration_id)).await;

    process_available(&service).await.unwrap();

    assert_applied(&world, &inbox).await;
}

#[tokio::test]
async fn a_delivery_whose_integration_is_gone_is_dead_at_once() {
    let world = World::new().await;
    let (service, inbox) = world.inbox_service(StaticJiraDirectory::new());
    enqueue(&inbox, DeliverySource::Integration(IntegrationId::new(999))).await;

    process_available(&service).await.unwrap();

    let dead = dead_at_once(&world, &inbox).await;
    assert_eq!(
        dead.last_error.as_deref(),
        Some(
            "integration 999 no longer exists: it was removed after this delivery was received, \
             so there is nothing to apply it to"
        )
    );
}

#[tokio::test]
async fn a_legacy_rows_token_is_verified_when_the_delivery_is_processed() {
    let world = World::new().await;
    let (service, inbox) = world.inbox_service(StaticJiraDirectory::new());
    // As if the secret had been rotated away after receipt.
    let stale_token = mint_token(
        world.external_id.as_str(),
        &WebhookSecret::new("rotated-away"),
    );
    enqueue(&inbox, DeliverySource::LegacyToken(stale_token)).await;

    process_available(&service).await.unwrap();

    let dead = dead_at_once(&world, &inbox).await;
    assert!(
        dead.last_error
            .as_deref()
            .is_some_and(|error| error.starts_with("Could not validate JWT. Got a signature")),
        "{dead:?}"
    );
}

#[tokio::test]
async fn a_legacy_row_with_a_valid_token_is_applied() {
    let world = World::new().await;
    let (service, inbox) = world.inbox_service(StaticJiraDirectory::new());
    enqueue(&inbox, DeliverySource::LegacyToken(world.token())).await;

    process_available(&service).await.unwrap();

    assert_applied(&world, &inbox).await;
}

#[tokio::test]
async fn no_worker_is_started_without_an_inbox() {
    let world = World::new().await;
    let (_trigger, shutdown) = shutdown_channel();
    let service = world.inline_service(StaticJiraDirectory::new());
    assert!(spawn_workers(&service, 4, &shutdown).is_empty());
}
