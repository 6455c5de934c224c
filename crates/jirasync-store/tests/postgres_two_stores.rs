//! Two `PostgresStore`s on one schema, as two `jirasync serve` instances on one database (see
//! `support/two_stores.rs`). Skipped (printing why) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;
#[path = "support/two_stores.rs"]
mod two_stores;

use postgres_support::TestSchema;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_apply_shuffled_events_in_jira_order_and_duplicates_once() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let first = schema.store().await;
    let second = schema.store().await;
    two_stores::two_stores_apply_shuffled_events_in_jira_order_and_duplicates_once(
        first.clone(),
        second.clone(),
    )
    .await;
    first.close().await;
    second.close().await;
    schema.drop().await;
}
