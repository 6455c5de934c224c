//! Outgoing events through the real binary: events produced while the subscriber cannot be
//! reached survive `kill -9` of `jirasync serve` and are all delivered, in order, once it runs
//! again with the subscriber up; each push's signature verifies with an independent
//! implementation (the `standardwebhooks` Python package, skipped with a printed reason when it
//! is missing); the long-poll feed returns the same events the subscriber got.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)]

mod e2e_support;

use e2e_support::service::Deployment;
use e2e_support::sidecar::{
    Push, SECRET, Serve, api, subscriber, verify_by_hand, verify_with_standardwebhooks, wait_for,
};
use e2e_support::{import_state, storefront_state};
use jirasync_domain::events::{DeliveryFilter, DeliveryStatus, EventCursor};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
use jirasync_webhook::IssueKey;
use serde_json::{Value, json};

/// How many events the test produces (one issue: they must arrive in this order).
const EVENTS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_pending_at_a_kill_9_are_all_delivered_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    import_state(
        &deployment,
        &storefront_state("webhook-secret", &[(5, "alice@example.com")], 1, 100, 200),
    );
    // A port nobody listens on yet: the subscriber is down.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let serve = Serve::spawn(&deployment, &[]).await;
    let (status, created) = api(
        reqwest::Method::POST,
        format!("{}/api/v1/subscriptions", serve.url),
        Some(json!({"url": format!("http://127.0.0.1:{port}/hook"), "secret": SECRET})),
    )
    .await;
    assert_eq!(status, 201, "{created}");

    // Five events of one issue, committed by another process sharing the database.
    let store = deployment.open_store().await;
    for k in 2..2 + EVENTS {
        store
            .link_issue(
                OrganizationId::new(1),
                IntegrationId::new(13),
                &IssueKey::new(format!("SHOP-{k}")),
                LocalIssueId::new(101),
            )
            .await
            .unwrap();
    }
    let produced = store.events_after(EventCursor::START, 100).await.unwrap();
    assert_eq!(produced.len(), EVENTS);
    // The dispatcher tried the first one and failed: the subscriber is down.
    wait_for("a failed attempt", async || {
        store
            .deliveries(DeliveryFilter::default())
            .await
            .unwrap()
            .iter()
            .any(|delivery| delivery.attempts >= 1)
    })
    .await;
    serve.kill_9();

    // The subscriber comes up, the service starts again: everything arrives, once, in order.
    let pushes = subscriber(port).await;
    let serve = Serve::spawn(&deployment, &[]).await;
    wait_for("every event delivered", async || {
        store
            .deliveries(DeliveryFilter {
                status: Some(DeliveryStatus::Delivered),
                limit: 0,
            })
            .await
            .unwrap()
            .len()
            == EVENTS
    })
    .await;
    let pushes = pushes.lock().unwrap().clone();
    let received: Vec<String> = pushes
        .iter()
        .map(|push| push.header("webhook-id").to_owned())
        .collect();
    let expected: Vec<String> = produced
        .iter()
        .map(|stored| stored.event.id.to_string())
        .collect();
    assert_eq!(received, expected, "every event, once, in order");
    for (push, stored) in pushes.iter().zip(&produced) {
        assert_eq!(push.body, stored.event.to_json_bytes());
        assert_eq!(push.json()["type"], "issue.linked");
    }

    // The long-poll feed returns the same events the subscriber got.
    let (status, page) = api(
        reqwest::Method::GET,
        format!("{}/api/v1/events?after=0&wait=5", serve.url),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let fed: Vec<Value> = page["events"].as_array().unwrap().clone();
    let pushed: Vec<Value> = pushes.iter().map(Push::json).collect();
    assert_eq!(fed, pushed);

    // The signatures verify by hand and with an independent implementation.
    verify_by_hand(&pushes);
    verify_with_standardwebhooks(&pushes);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_answers_is_dead_lettered_after_the_configured_time_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    import_state(
        &deployment,
        &storefront_state("webhook-secret", &[(5, "alice@example.com")], 1, 100, 200),
    );
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let serve = Serve::spawn(&deployment, &["--event-retry-for", "2"]).await;
    let (status, _) = api(
        reqwest::Method::POST,
        format!("{}/api/v1/subscriptions", serve.url),
        Some(json!({"url": format!("http://127.0.0.1:{port}/hook")})),
    )
    .await;
    assert_eq!(status, 201);
    let store = deployment.open_store().await;
    store
        .link_issue(
            OrganizationId::new(1),
            IntegrationId::new(13),
            &IssueKey::new("SHOP-9"),
            LocalIssueId::new(101),
        )
        .await
        .unwrap();
    let event = store.events_after(EventCursor::START, 10).await.unwrap()[0]
        .event
        .id
        .to_string();
    wait_for("the dead letter", async || {
        !store
            .deliveries(DeliveryFilter {
                status: Some(DeliveryStatus::Dead),
                limit: 0,
            })
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    let listed = deployment.jirasync(&["events", "list", "--dead"]);
    let line = listed
        .lines()
        .find(|line| line.starts_with(&event))
        .unwrap_or_else(|| panic!("{event} is not listed:\n{listed}"));
    assert!(line.contains("\tissue.linked\t"), "{line}");
    assert!(line.contains("\tdead\t"), "{line}");
    assert!(line.contains("could not connect"), "{line}");
    drop(serve);
}
