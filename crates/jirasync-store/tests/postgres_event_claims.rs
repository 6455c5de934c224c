//! The PostgreSQL store's event claims ask first whether anything is due, in one statement
//! outside a transaction: the dispatcher claims after every commit that appended events, and with
//! no subscriber that question is all a claim should cost. Shown with a table lock that blocks
//! a claim's `FOR UPDATE` but not a plain read. Skipped (passing) without
//! `JIRASYNC_TEST_DATABASE_URL`.
#![cfg(feature = "postgres")]
// The lock holder's set-up fails the test when the driver fails.
#![allow(clippy::expect_used)]

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

use std::time::Duration;

use jirasync_domain::EventStore;
use jirasync_domain::events::{EventTimestamp, NewSubscriber, SigningSecret, SubscriberUrl};
use sqlx::Connection;

use postgres_support::TestSchema;

const LEASE: Duration = Duration::from_secs(60);

/// A connection of its own holding `jirasync_event_deliveries` in `EXCLUSIVE` mode (plain reads
/// go on; `SELECT … FOR UPDATE` waits) until it is dropped.
async fn lock_deliveries(url: &str, schema: &str) -> sqlx::PgConnection {
    let mut holder = sqlx::PgConnection::connect(url)
        .await
        .expect("connect the lock holder");
    sqlx::raw_sql(&format!(
        "BEGIN; LOCK TABLE {schema}.jirasync_event_deliveries IN EXCLUSIVE MODE"
    ))
    .execute(&mut holder)
    .await
    .expect("lock the deliveries");
    holder
}

#[tokio::test]
async fn a_claim_with_nothing_due_reads_once_and_a_claim_with_work_claims() {
    let Some(test_schema) = TestSchema::create().await else {
        return;
    };
    let (url, schema) = (test_schema.url().expose_secret(), test_schema.name());
    let store = test_schema.store().await;
    let now = EventTimestamp::from_unix_millis(10_000);

    // Nothing due: answered while the claim's lock could not be had.
    let holder = lock_deliveries(url, schema).await;
    let claimed = tokio::time::timeout(
        Duration::from_secs(5),
        store.claim_deliveries(now, LEASE, 16),
    )
    .await
    .expect("a claim with nothing due does not wait for the deliveries' lock")
    .unwrap();
    assert!(claimed.is_empty());
    holder.close().await.unwrap();

    // A due delivery: the claim goes on to take it, so it waits for the lock, then claims.
    let subscriber = store
        .create_subscriber(NewSubscriber {
            url: SubscriberUrl::parse("https://one.example.com/hook").unwrap(),
            description: "test".into(),
            secret: SigningSecret::generate(),
            created_at: EventTimestamp::from_unix_millis(1),
        })
        .await
        .unwrap();
    sqlx::raw_sql(&format!(
        "INSERT INTO {schema}.jirasync_events (id, type, organization_id, ordering_key, occurred_at, data) \
         VALUES ('evt_01ARYZ6S410000000000000000', 'integration.installed', 1, 'integration:1', 5000, \
         '{{\"integration_id\": 1, \"provider\": \"jira_server\", \"base_url\": \"https://jira.example.com\", \
         \"link_created\": true, \"source\": \"operator\"}}'); \
         INSERT INTO {schema}.jirasync_event_deliveries \
         (subscriber_id, event_sequence, ordering_key, status, due_at, pending_since) \
         SELECT {}, sequence, ordering_key, 'pending', 5000, 5000 FROM {schema}.jirasync_events",
        subscriber.id
    ))
    .execute(store.pool())
    .await
    .unwrap();
    let holder = lock_deliveries(url, schema).await;
    let claim = tokio::spawn({
        let store = store.clone();
        async move { store.claim_deliveries(now, LEASE, 16).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!claim.is_finished(), "a claim with work due takes the lock");
    holder.close().await.unwrap();
    let claimed = claim.await.unwrap().unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].subscriber.id, subscriber.id);

    store.close().await;
    test_schema.drop().await;
}
