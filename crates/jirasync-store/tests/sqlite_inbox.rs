//! The inbox contract on SQLite, and a worker crash: a delivery claimed by a worker that dies
//! before completing it is processed exactly once, after its lease ends, by the next process.
#![cfg(feature = "sqlite")]

#[allow(dead_code)]
#[path = "support/inbox_backlog.rs"]
mod inbox_backlog;
#[allow(dead_code)]
mod sqlite_support;

use std::time::Duration;

use jirasync_domain::StoreError;
use jirasync_domain::inbox::conformance::{delivery, t0};
use jirasync_domain::inbox::{DeliveryState, Inbox};
use jirasync_store::sqlite::SqliteStore;

use sqlite_support::fresh_file;

jirasync_domain::inbox_conformance_tests!(sqlite_support::fresh_store());

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn delivery_of_a_crashed_worker_is_processed_once_after_its_lease_ends() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let id = store
        .enqueue(delivery(Some("jira:1/APP-1"), Some(1)))
        .await
        .unwrap();
    let first = store.claim(t0(), LEASE, 10).await.unwrap();
    assert_eq!((first.len(), first[0].id, first[0].attempt), (1, id, 1));
    // The worker's process dies: no complete, no fail, the store is gone.
    drop(store);

    let store = SqliteStore::open(&url).await.unwrap();
    let during_lease = store
        .claim(t0() + Duration::from_secs(10), LEASE, 10)
        .await
        .unwrap();
    assert!(during_lease.is_empty(), "{during_lease:?}");
    let after_lease = store
        .claim(t0() + Duration::from_secs(31), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(after_lease.len(), 1);
    assert_eq!((after_lease[0].id, after_lease[0].attempt), (id, 2));
    assert_eq!(after_lease[0].delivery, first[0].delivery);
    store.complete(id, 2).await.unwrap();

    assert!(
        store
            .claim(t0() + Duration::from_secs(3_600), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let done = store.list(Some(DeliveryState::Done), 10).await.unwrap();
    assert_eq!((done.len(), done[0].id, done[0].attempts), (1, id, 2));
}

#[tokio::test]
async fn crashed_workers_attempt_cannot_complete_after_the_delivery_was_claimed_again() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let id = store.enqueue(delivery(None, None)).await.unwrap();
    store.claim(t0(), LEASE, 10).await.unwrap();
    drop(store);

    let store = SqliteStore::open(&url).await.unwrap();
    store
        .claim(t0() + Duration::from_secs(31), LEASE, 10)
        .await
        .unwrap();
    let late = store.complete(id, 1).await;
    assert!(matches!(late, Err(StoreError::Conflict { .. })), "{late:?}");
    store.complete(id, 2).await.unwrap();
}

#[tokio::test]
async fn migration_4_makes_a_version_3_backlog_claimable_in_order() {
    let (_directory, url) = fresh_file();
    drop(SqliteStore::open(&url).await.unwrap());
    let pool = sqlx::SqlitePool::connect(url.expose_secret())
        .await
        .unwrap();
    sqlx::raw_sql(inbox_backlog::BACKLOG_AT_VERSION_3)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = SqliteStore::open(&url).await.unwrap();
    inbox_backlog::assert_the_backlog_drains_in_order(&store).await;
}
