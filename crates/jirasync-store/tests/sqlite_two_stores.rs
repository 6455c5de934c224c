//! Two `SqliteStore`s opened on one file, as two `jirasync serve` processes sharing it (see
//! `support/two_stores.rs`): their sessions of one Jira issue take turns through the lease table.
#![cfg(feature = "sqlite")]

#[allow(dead_code)]
mod sqlite_support;
#[path = "support/two_stores.rs"]
mod two_stores;

use jirasync_store::sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_apply_shuffled_events_in_jira_order_and_duplicates_once() {
    let (_directory, url) = sqlite_support::fresh_file();
    let first = SqliteStore::open(&url).await.unwrap();
    let second = SqliteStore::open(&url).await.unwrap();
    two_stores::two_stores_apply_shuffled_events_in_jira_order_and_duplicates_once(first, second)
        .await;
}
