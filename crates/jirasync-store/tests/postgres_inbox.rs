//! The inbox contract on PostgreSQL, and several workers on two stores sharing one schema.
//! Skipped (passing) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]

#[allow(dead_code)]
#[path = "support/inbox_backlog.rs"]
mod inbox_backlog;
#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jirasync_domain::inbox::conformance::{delivery, t0};
use jirasync_domain::inbox::{DeliveryId, DeliveryState, Inbox};
use jirasync_store::postgres::PostgresStore;

use postgres_support::{create_fresh_schema, drop_schema, options_in, test_database_url};

jirasync_domain::inbox_conformance_tests!(optional: postgres_support::fresh_store());

/// Completions in the order workers made them: each delivery's ordering key and id.
type CompletionLog = Arc<Mutex<Vec<(Option<String>, DeliveryId)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_on_two_stores_complete_each_delivery_once_in_key_order() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = create_fresh_schema(&url).await;
    let first = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap();
    let second = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap();

    // Four keys, ten deliveries each, enqueued newest change first so that id order and
    // change order disagree; plus keyless deliveries.
    let mut expected: BTreeMap<String, Vec<DeliveryId>> = BTreeMap::new();
    let mut keyed = Vec::new();
    for key in ["A-1", "A-2", "B-1", "B-2"] {
        for change in (0..10).rev() {
            let id = first
                .enqueue(delivery(Some(key), Some(change * 1000)))
                .await
                .unwrap();
            keyed.push((key.to_owned(), change, id));
        }
    }
    for key in ["A-1", "A-2", "B-1", "B-2"] {
        let mut ids: Vec<(i64, DeliveryId)> = keyed
            .iter()
            .filter(|(k, _, _)| k == key)
            .map(|(_, change, id)| (*change, *id))
            .collect();
        ids.sort();
        expected.insert(key.to_owned(), ids.into_iter().map(|(_, id)| id).collect());
    }
    for _ in 0..10 {
        second.enqueue(delivery(None, None)).await.unwrap();
    }
    let total = 50;

    let completed: CompletionLog = Arc::default();
    let mut workers = Vec::new();
    for worker in 0..6 {
        let store = if worker % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let completed = Arc::clone(&completed);
        workers.push(tokio::spawn(async move {
            let now = t0() + Duration::from_secs(3600);
            let mut idle_rounds = 0;
            while idle_rounds < 200 {
                let claimed = store.claim(now, Duration::from_secs(600), 3).await.unwrap();
                if claimed.is_empty() {
                    if completed.lock().unwrap().len() >= total {
                        break;
                    }
                    idle_rounds += 1;
                    tokio::task::yield_now().await;
                    continue;
                }
                idle_rounds = 0;
                for claim in claimed {
                    // Record before completing: the next of this key cannot be claimed
                    // until the completion is committed.
                    completed
                        .lock()
                        .unwrap()
                        .push((claim.delivery.ordering_key.clone(), claim.id));
                    store.complete(claim.id, claim.attempt).await.unwrap();
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }

    let completed = completed.lock().unwrap().clone();
    let mut ids: Vec<DeliveryId> = completed.iter().map(|(_, id)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        completed.len(),
        total,
        "each delivery completed exactly once"
    );
    assert_eq!(ids.len(), total, "no delivery completed twice");
    for (key, order) in &expected {
        let seen: Vec<DeliveryId> = completed
            .iter()
            .filter(|(k, _)| k.as_deref() == Some(key.as_str()))
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(&seen, order, "key {key} completed in change order");
    }
    let done = first.list(Some(DeliveryState::Done), 1000).await.unwrap();
    assert_eq!(done.len(), total);
    assert!(done.iter().all(|summary| summary.attempts == 1));

    first.close().await;
    second.close().await;
    drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn migration_4_makes_a_version_3_backlog_claimable_in_order() {
    let Some(url) = test_database_url() else {
        return;
    };
    let schema = create_fresh_schema(&url).await;
    let store = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap();
    sqlx::raw_sql(inbox_backlog::BACKLOG_AT_VERSION_3_POSTGRES)
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;

    let store = PostgresStore::connect_with(&url, options_in(&schema))
        .await
        .unwrap();
    inbox_backlog::assert_the_backlog_drains_in_order(&store).await;
    store.close().await;
    drop_schema(&url, &schema).await;
}
