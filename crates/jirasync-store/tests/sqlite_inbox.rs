//! The inbox contract on SQLite, and a worker crash: a delivery claimed by a worker that dies
//! before completing it is processed exactly once, after its lease ends, by the next process.
//! Bodies are kept in a table of their own (migration 13), moved there from a version-12 file,
//! and purged with their delivery.
#![cfg(feature = "sqlite")]

#[allow(dead_code)]
#[path = "support/inbox_backlog.rs"]
mod inbox_backlog;
#[allow(dead_code)]
mod sqlite_support;

use std::time::Duration;

use jirasync_domain::StoreError;
use jirasync_domain::inbox::conformance::{delivery, t0};
use jirasync_domain::inbox::{DeliveryId, DeliveryState, Inbox};
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
    sqlx::raw_sql(inbox_backlog::BACKLOG_AT_VERSION_3_SQLITE)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let store = SqliteStore::open(&url).await.unwrap();
    inbox_backlog::assert_the_backlog_drains_in_order(&store).await;
}

/// A pool on the store's file, for what the inbox's contract does not show.
#[allow(
    clippy::unwrap_used,
    reason = "tests: a failed step should stop the test"
)]
async fn pool_on(url: &jirasync_store::DatabaseUrl) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(url.expose_secret())
        .await
        .unwrap()
}

/// Asserts that the deliveries table has no `body` column (migration 13 moved it).
#[allow(
    clippy::unwrap_used,
    reason = "tests: a failed step should stop the test"
)]
async fn assert_no_body_column(pool: &sqlx::SqlitePool) {
    let columns: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info('jirasync_inbox_deliveries')")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(
        !columns.iter().any(|column| column == "body"),
        "{columns:?}"
    );
}

#[tokio::test]
async fn bodies_are_kept_apart_from_the_deliveries_and_purged_with_them() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let mut new = delivery(Some("jira:1/APP-1"), Some(1));
    new.body = b"{\"webhookEvent\":\"jira:issue_updated\"}".to_vec();
    let id = store.enqueue(new.clone()).await.unwrap();
    let pool = pool_on(&url).await;
    assert_no_body_column(&pool).await;
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT body FROM jirasync_inbox_bodies WHERE delivery_id = $1")
            .bind(id.get())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, new.body);

    let claimed = store.claim(t0(), LEASE, 10).await.unwrap();
    assert_eq!(claimed[0].delivery, new);
    store.complete(id, 1).await.unwrap();
    assert_eq!(
        store
            .purge_done(t0() + Duration::from_secs(86_400 * 365 * 100))
            .await
            .unwrap(),
        1
    );
    let bodies: i64 = sqlx::query_scalar("SELECT count(*) FROM jirasync_inbox_bodies")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(bodies, 0, "the purged delivery's body is gone with it");
}

#[tokio::test]
async fn a_delivery_whose_body_was_removed_by_hand_is_handed_out_empty() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let lost = store.enqueue(delivery(None, None)).await.unwrap();
    let kept = store.enqueue(delivery(None, None)).await.unwrap();
    let pool = pool_on(&url).await;
    sqlx::query("DELETE FROM jirasync_inbox_bodies WHERE delivery_id = $1")
        .bind(lost.get())
        .execute(&pool)
        .await
        .unwrap();

    // The claim goes on (a worker then refuses the empty body as not JSON), and the other
    // delivery of the claim keeps its body.
    let claimed = store.claim(t0(), LEASE, 10).await.unwrap();
    let bodies: Vec<_> = claimed
        .iter()
        .map(|claim| (claim.id, claim.delivery.body.is_empty()))
        .collect();
    assert_eq!(bodies, [(lost, true), (kept, false)]);
}

#[tokio::test]
async fn migration_13_moves_the_bodies_of_a_version_12_file_out_of_the_deliveries() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let bytes = store
        .enqueue(delivery(Some("jira:1/APP-1"), Some(1)))
        .await
        .unwrap();
    drop(store);
    // Back to version 12: the body in the row, bytes in one and text (as version 1 stored it)
    // in another.
    let pool = pool_on(&url).await;
    sqlx::raw_sql(
        "DROP TRIGGER jirasync_inbox_bodies_purge;
        ALTER TABLE jirasync_inbox_deliveries ADD COLUMN body BLOB NOT NULL DEFAULT X'';
        UPDATE jirasync_inbox_deliveries SET body = (SELECT body FROM jirasync_inbox_bodies
            WHERE delivery_id = jirasync_inbox_deliveries.id);
        DROP TABLE jirasync_inbox_bodies;
        INSERT INTO jirasync_inbox_deliveries (id, integration_id, body, headers, received_at,
            ordering_key, state, attempts) VALUES (2, 1, '{\"as\":\"text\"}', '', 1700000000000,
            'jira:1/APP-2', 'pending', 0);
        INSERT INTO jirasync_inbox_heads (delivery_id, ordering_key, occurred_at, waiting_until,
            held) VALUES (2, 'jira:1/APP-2', NULL, NULL, FALSE);
        DELETE FROM jirasync_migrations WHERE version = 13;",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = SqliteStore::open(&url).await.unwrap();
    let claimed = store.claim(t0(), LEASE, 10).await.unwrap();
    let mut bodies: Vec<_> = claimed
        .iter()
        .map(|claim| (claim.id, claim.delivery.body.clone()))
        .collect();
    bodies.sort();
    assert_eq!(
        bodies,
        [
            (bytes, delivery(Some("jira:1/APP-1"), Some(1)).body),
            (DeliveryId::new(2), b"{\"as\":\"text\"}".to_vec()),
        ]
    );
    let pool = pool_on(&url).await;
    assert_no_body_column(&pool).await;
}
