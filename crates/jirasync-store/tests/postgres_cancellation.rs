//! Store calls dropped half-way (a disconnecting client, a timeout) never wedge the PostgreSQL
//! store: after a storm of cancelled enqueues and plans, writes still succeed and nothing
//! acknowledged is lost. Skipped (printing why) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]

#[path = "support/cancellation.rs"]
mod cancellation;
#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_leave_the_postgres_store_writable_and_lose_nothing_acknowledged() {
    for seed in 1..=10 {
        let Some(store) = postgres_support::fresh_store().await else {
            return;
        };
        cancellation::storm_then_write(store, seed).await;
    }
}
