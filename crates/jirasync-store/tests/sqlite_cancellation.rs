//! Store calls dropped half-way (a disconnecting client, a timeout) never wedge the SQLite store:
//! after a storm of cancelled enqueues and plans, writes still succeed and nothing acknowledged
//! is lost.
#![cfg(feature = "sqlite")]

#[path = "support/cancellation.rs"]
mod cancellation;
#[allow(dead_code)]
mod sqlite_support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_leave_the_sqlite_store_writable_and_lose_nothing_acknowledged() {
    for seed in 1..=10 {
        let store = sqlite_support::fresh_store().await;
        cancellation::storm_then_write(store, seed).await;
    }
}
