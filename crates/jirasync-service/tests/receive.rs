//! `SyncService::receive_webhook` without HTTP: the receipt of each row of the decision table,
//! what an inbox row holds, and readiness and metrics as the health endpoints serve them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jirasync_domain::DirectoryError;
use jirasync_domain::IntegrationStore;
use jirasync_domain::StaticJiraDirectory;
use jirasync_domain::inbox::{DeliveryHeader, DeliverySource, Inbox};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_service::{
    DeliveryError, ManualClock, ReadinessError, SyncService, WebhookMode, WebhookOutcome,
    WebhookReceipt,
};
use jirasync_webhook::{TokenError, WebhookSecret, mint_token};
use support::flaky::{FlakyInbox, FlakyStore};
use support::{World, fixture, service_on};

async fn assert_issue_untouched(world: &World) {
    let issue = world.local_issue().await;
    assert_eq!(issue.assignee, None);
    assert_eq!(issue.status, ResolutionStatus::Unresolved);
    assert_eq!(world.activity_count().await, 0);
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_refused_and_counted() {
    let world = World::new().await;
    let (service, inbox) = world.inbox_service(StaticJiraDirectory::new());
    let token = mint_token(world.external_id.as_str(), &WebhookSecret::new("not-it"));

    let receipt = service
        .receive_webhook(token.expose_secret(), &fixture("assignee_set.json"), &[])
        .await;

    let WebhookReceipt::Refused(error) = &receipt else {
        panic!("{receipt:?}");
    };
    assert!(matches!(error, DeliveryError::Token(_)), "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(receipt.outcome(), WebhookOutcome::InvalidToken);
    assert!(
        service
            .metrics()
            .render(None)
            .contains("jirasync_webhook_invalid_tokens_total 1\n")
    );
    assert!(inbox.list(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_token_the_http_layer_could_not_read_is_refused_and_counted() {
    let world = World::new().await;
    let service = world.inline_service(StaticJiraDirectory::new());
    let unreadable = TokenError::Malformed {
        reason: "the token is not valid UTF-8",
    };

    let receipt = service.refuse_webhook(unreadable.into());

    assert_eq!(receipt.outcome(), WebhookOutcome::InvalidToken);
    let metrics = service.metrics();
    assert_eq!(metrics.webhooks_received(WebhookOutcome::InvalidToken), 1);
    assert!(
        metrics
            .render(None)
            .contains("jirasync_webhook_invalid_tokens_total 1\n")
    );
}

#[tokio::test]
async fn a_body_that_is_not_a_payload_is_refused() {
    let world = World::new().await;
    let service = world.inline_service(StaticJiraDirectory::new());

    let receipt = service
        .receive_webhook(world.token().expose_secret(), b"not json", &[])
        .await;

    assert!(
        matches!(&receipt, WebhookReceipt::Refused(DeliveryError::Payload(_))),
        "{receipt:?}"
    );
    assert_eq!(
        service
            .metrics()
            .webhooks_received(WebhookOutcome::BadPayload),
        1
    );
}

#[tokio::test]
async fn a_delivery_without_changes_is_ignored_and_not_stored() {
    let world = World::new().await;
    let (service, inbox) = world.inbox_service(StaticJiraDirectory::new());

    let receipt = service
        .receive_webhook(
            world.token().expose_secret(),
            &fixture("issue_created.json"),
            &[],
        )
        .await;

    assert!(matches!(receipt, WebhookReceipt::Ignored), "{receipt:?}");
    assert!(inbox.list(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn inbox_mode_stores_the_verified_integration_and_what_orders_the_delivery() {
    let world = World::new().await;
    let (service, inbox) = world.inbox_service(StaticJiraDirectory::new());
    let body = fixture("assignee_set.json");
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Atlassian-Webhook-Identifier", "42"),
        ("authorization", "Bearer nope"),
    ];

    let receipt = service
        .receive_webhook(world.token().expose_secret(), &body, &headers)
        .await;

    assert!(
        matches!(receipt, WebhookReceipt::Accepted(_)),
        "{receipt:?}"
    );
    let claimed = inbox
        .claim(SystemTime::now(), Duration::from_secs(5), 1)
        .await
        .unwrap();
    let delivery = &claimed[0].delivery;
    assert_eq!(
        delivery.source,
        DeliverySource::Integration(world.integration_id)
    );
    assert_eq!(delivery.body, body);
    assert_eq!(
        delivery.ordering_key.as_deref(),
        Some(format!("{}:APP-123", world.integration_id).as_str())
    );
    assert_eq!(
        delivery.occurred_at.map(|at| at.unix_millis()),
        Some(1_672_531_200_000)
    );
    assert_eq!(
        delivery.delivery_key.as_ref().map(|key| key.as_str()),
        Some("10001:10172:jira:issue_updated")
    );
    assert_eq!(
        delivery.headers,
        [
            DeliveryHeader {
                name: "content-type".into(),
                value: "application/json".into(),
            },
            DeliveryHeader {
                name: "x-atlassian-webhook-identifier".into(),
                value: "42".into(),
            },
        ]
    );
    assert_issue_untouched(&world).await;
}

#[tokio::test]
async fn inline_mode_applies_and_gives_the_sync_outcome() {
    let world = World::new().await;
    let service = world.inline_service(StaticJiraDirectory::new());

    let receipt = service
        .receive_webhook(
            world.token().expose_secret(),
            &fixture("assignee_set.json"),
            &[],
        )
        .await;

    let WebhookReceipt::Applied(outcome) = &receipt else {
        panic!("{receipt:?}");
    };
    assert_eq!(outcome.assignee.as_ref().map(|sync| sync.changed), Some(1));
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.jess))
    );
    assert_eq!(
        service.metrics().webhooks_received(WebhookOutcome::Applied),
        1
    );
}

#[tokio::test]
async fn inline_mode_refuses_for_now_when_jira_is_unreachable() {
    let world = World::new().await;
    let jira_down = StaticJiraDirectory::new().failing(DirectoryError::Unreachable {
        message: "connect timed out".into(),
    });
    let service = world.inline_service(jira_down);

    let receipt = service
        .receive_webhook(
            world.token().expose_secret(),
            &fixture("status_changed.json"),
            &[],
        )
        .await;

    let WebhookReceipt::Refused(error) = &receipt else {
        panic!("{receipt:?}");
    };
    assert!(error.is_retryable());
    assert_eq!(receipt.outcome(), WebhookOutcome::Unavailable);
    assert_issue_untouched(&world).await;
}

#[tokio::test]
async fn a_store_that_is_down_refuses_for_now_in_both_modes() {
    let inbox = Arc::new(FlakyInbox::default());
    let (world, _flaky, services) = FlakyStore::down_in_both_modes(inbox.clone()).await;

    for service in services {
        let receipt = service
            .receive_webhook(
                world.token().expose_secret(),
                &fixture("assignee_set.json"),
                &[],
            )
            .await;
        assert!(
            matches!(&receipt, WebhookReceipt::Refused(DeliveryError::Store(error)) if error.is_retryable()),
            "{receipt:?}"
        );
        assert_eq!(receipt.outcome(), WebhookOutcome::Unavailable);
    }
    assert!(inbox.inner.list(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_inbox_that_is_down_refuses_for_now_and_stores_nothing() {
    let world = World::new().await;
    let inbox = Arc::new(FlakyInbox::default());
    inbox.switch.set_down(true);
    let service = service_on(
        world.store.clone(),
        world.store.clone(),
        Arc::new(StaticJiraDirectory::new()),
        Some(inbox.clone()),
    );

    let receipt = service
        .receive_webhook(
            world.token().expose_secret(),
            &fixture("assignee_set.json"),
            &[],
        )
        .await;

    assert_eq!(receipt.outcome(), WebhookOutcome::Unavailable);
    inbox.switch.set_down(false);
    assert!(inbox.inner.list(None, 10).await.unwrap().is_empty());
    assert_issue_untouched(&world).await;
}

#[tokio::test]
async fn readiness_names_what_does_not_answer() {
    let flaky = Arc::new(FlakyStore::default());
    let inbox = Arc::new(FlakyInbox::default());
    let service = service_on(
        flaky.clone(),
        flaky.inner.clone(),
        Arc::new(StaticJiraDirectory::new()),
        Some(inbox.clone()),
    );
    assert!(service.check_ready().await.is_ok());

    inbox.switch.set_down(true);
    let error = service.check_ready().await.unwrap_err();
    assert!(matches!(error, ReadinessError::Inbox(_)), "{error:?}");

    flaky.switch.set_down(true);
    let error = service.check_ready().await.unwrap_err();
    assert!(matches!(error, ReadinessError::Store(_)), "{error:?}");
}

#[tokio::test]
async fn the_metrics_show_the_inbox_depth_while_the_inbox_answers() {
    let world = World::new().await;
    let inbox = Arc::new(FlakyInbox::default());
    let service = service_on(
        world.store.clone(),
        world.store.clone(),
        Arc::new(StaticJiraDirectory::new()),
        Some(inbox.clone()),
    );
    service
        .receive_webhook(
            world.token().expose_secret(),
            &fixture("assignee_set.json"),
            &[],
        )
        .await;

    let text = service.render_metrics().await;
    assert!(
        text.contains("jirasync_inbox_depth{state=\"ready\"} 1\n"),
        "{text}"
    );

    inbox.switch.set_down(true);
    let text = service.render_metrics().await;
    assert!(!text.contains("jirasync_inbox_depth"), "{text}");
    assert!(text.contains("jirasync_webhooks_received_total{outcome=\"accepted\"} 1\n"));
}

/// The integration a token names is read from the store once per time-to-live; a token the kept
/// secrets do not verify is checked against the store (and the kept integration forgotten).
#[tokio::test]
async fn the_integration_is_kept_for_its_time_to_live_and_checked_again_on_a_bad_token() {
    let world = World::new().await;
    let clock = Arc::new(ManualClock::at_unix_timestamp(1_900_000_000));
    let service = SyncService::builder(
        world.store.clone(),
        world.store.clone(),
        Arc::new(StaticJiraDirectory::new()),
    )
    .mode(WebhookMode::Inline)
    .clock(clock.clone())
    .integration_cache_ttl(Duration::from_secs(5))
    .build()
    .unwrap();
    let receive = async |token: &str| {
        service
            .receive_webhook(token, &fixture("issue_created.json"), &[])
            .await
            .outcome()
    };
    let token = world.token();
    let organization = world
        .store
        .organization_links(world.integration_id)
        .await
        .unwrap()[0]
        .link
        .organization_id;
    assert_eq!(
        receive(token.expose_secret()).await,
        WebhookOutcome::Ignored
    );
    // Another process removes the integration: within the time-to-live the kept one verifies
    // the token (and there is nothing to sync for it) …
    world
        .store
        .remove_link(organization, world.integration_id)
        .await
        .unwrap();
    clock.advance(Duration::from_millis(4_900));
    assert_eq!(
        receive(token.expose_secret()).await,
        WebhookOutcome::Ignored
    );
    // … after it, the store is read again and the token names nothing.
    clock.advance(Duration::from_millis(200));
    assert_eq!(
        receive(token.expose_secret()).await,
        WebhookOutcome::InvalidToken
    );

    // A token the kept secrets refuse is checked against the store before it is refused.
    let world = World::new().await;
    let service = SyncService::builder(
        world.store.clone(),
        world.store.clone(),
        Arc::new(StaticJiraDirectory::new()),
    )
    .mode(WebhookMode::Inline)
    .clock(clock.clone())
    .build()
    .unwrap();
    let receive = async |token: &str| {
        service
            .receive_webhook(token, &fixture("issue_created.json"), &[])
            .await
    };
    assert!(matches!(
        receive(world.token().expose_secret()).await,
        WebhookReceipt::Ignored
    ));
    let forged = mint_token(world.external_id.as_str(), &WebhookSecret::new("not-it"));
    let refused = receive(forged.expose_secret()).await;
    assert!(
        matches!(refused, WebhookReceipt::Refused(DeliveryError::Token(_))),
        "{refused:?}"
    );
    let organization = world
        .store
        .organization_links(world.integration_id)
        .await
        .unwrap()[0]
        .link
        .organization_id;
    world
        .store
        .remove_link(organization, world.integration_id)
        .await
        .unwrap();
    let gone = receive(world.token().expose_secret()).await;
    assert!(
        matches!(
            gone,
            WebhookReceipt::Refused(DeliveryError::UnknownIntegration)
        ),
        "the refused token made it forget the kept integration: {gone:?}"
    );
}
