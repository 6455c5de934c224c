//! The state file on SQLite: the domain's state conformance suite on a fresh file per test, and
//! what only an SQL store can get wrong (`support/state.rs`).
#![cfg(feature = "sqlite")]
// A test fails by panicking.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod sqlite_support;
#[path = "support/state.rs"]
mod state_support;

use jirasync_store::sqlite::SqliteStore;

use sqlite_support::fresh_file;
use state_support::REFUSAL;

jirasync_domain::state_conformance_tests!(sqlite_support::fresh_store());

#[tokio::test]
async fn example_file_imports_and_exports_byte_for_byte() {
    let store = sqlite_support::fresh_store().await;
    state_support::example_file_imports_and_exports_byte_for_byte(&store).await;
}

#[tokio::test]
async fn store_error_mid_import_leaves_the_previous_state() {
    let (_directory, url) = fresh_file();
    let store = SqliteStore::open(&url).await.unwrap();
    let refuse_activities = async {
        let saboteur = sqlx::SqlitePool::connect(url.expose_secret())
            .await
            .unwrap();
        sqlx::query(&format!(
            "CREATE TRIGGER refuse_activities BEFORE INSERT ON activities \
             BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        ))
        .execute(&saboteur)
        .await
        .unwrap();
    };
    state_support::store_error_mid_import_leaves_the_previous_state(&store, refuse_activities)
        .await;
}

#[tokio::test]
async fn replace_state_checks_the_file_rules_before_writing() {
    let store = sqlite_support::fresh_store().await;
    state_support::replace_state_checks_the_file_rules_before_writing(&store).await;
}

#[tokio::test]
async fn import_leaves_the_inbox_alone() {
    let store = sqlite_support::fresh_store().await;
    state_support::import_leaves_the_inbox_alone(&store).await;
}

#[tokio::test]
async fn actor_ids_given_before_an_import_are_not_given_again() {
    let store = sqlite_support::fresh_store().await;
    state_support::actor_ids_given_before_an_import_are_not_given_again(&store).await;
}
