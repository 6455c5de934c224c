//! The PostgreSQL store's sessions: a transaction holding the Jira issue's rows. A wait beyond
//! the limit (`lock_timeout`) is `Unavailable` naming the issue; a dropped session frees the
//! issue at once; a delivery being applied is waited for; a host change or an inbox delivery's
//! completion staged in a session lands with its commit or not at all. Skipped (printing why) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;
#[allow(dead_code)]
#[path = "support/sessions.rs"]
mod sessions;

use std::time::Duration;

use jirasync_domain::conformance::fixture::Fixture;
use jirasync_store::postgres::PostgresStore;

use postgres_support::{TestSchema, options_in, test_database_url};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_longer_than_the_limit_is_unavailable_naming_the_issue() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let holder = schema.store().await;
    let url = test_database_url().unwrap_or_else(|| unreachable!("the schema was created"));
    let options = options_in(schema.name()).issue_lock_wait(Duration::from_millis(200));
    let waiter = match PostgresStore::connect_with(&url, options).await {
        Ok(store) => store,
        Err(error) => panic!("connect the waiting store: {error}"),
    };
    let f = Fixture::new(holder.clone()).await;
    sessions::waiting_too_long_is_unavailable_and_a_dropped_session_frees_the_issue(
        &holder, &waiter, &f,
    )
    .await;
    holder.close().await;
    waiter.close().await;
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_host_change_lands_with_the_commit_or_not_at_all() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    let f = Fixture::new(store.clone()).await;
    sessions::a_staged_host_change_lands_with_the_commit_or_not_at_all(&f).await;
    store.close().await;
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_being_applied_is_waited_for_then_a_duplicate_or_free() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let first = schema.store().await;
    let second = schema.store().await;
    let f = Fixture::new(first.clone()).await;
    sessions::a_delivery_being_applied_is_waited_for_then_a_duplicate_or_free(&first, &second, &f)
        .await;
    first.close().await;
    second.close().await;
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_completion_lands_with_the_commit_or_not_at_all() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    let f = Fixture::new(store.clone()).await;
    sessions::an_inbox_completion_lands_with_the_commit_or_not_at_all(&f).await;
    store.close().await;
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_last_change_of_a_delivery_completes_it() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = schema.store().await;
    sessions::only_the_last_change_of_a_delivery_completes_it(store.clone()).await;
    store.close().await;
    schema.drop().await;
}
