//! The state file on PostgreSQL, each test in a fresh schema: the domain's state conformance
//! suite, and what only an SQL store can get wrong (`support/state.rs`). Skipped (passing) when
//! `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]
// A test fails by panicking.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;
#[path = "support/state.rs"]
mod state_support;

use postgres_support::fresh_store;
use state_support::REFUSAL;

jirasync_domain::state_conformance_tests!(optional: async { fresh_store().await });

#[tokio::test]
async fn example_file_imports_and_exports_byte_for_byte() {
    if let Some(store) = fresh_store().await {
        state_support::example_file_imports_and_exports_byte_for_byte(&store).await;
    }
}

#[tokio::test]
async fn store_error_mid_import_leaves_the_previous_state() {
    let Some(store) = fresh_store().await else {
        return;
    };
    // The store's pool works in the test's schema: the trigger goes there.
    let refuse_activities = async {
        sqlx::raw_sql(&format!(
            "CREATE FUNCTION refuse_activity() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$; \
             CREATE TRIGGER refuse_activities BEFORE INSERT ON activities \
             FOR EACH ROW EXECUTE FUNCTION refuse_activity();"
        ))
        .execute(store.pool())
        .await
        .unwrap();
    };
    state_support::store_error_mid_import_leaves_the_previous_state(&store, refuse_activities)
        .await;
}

#[tokio::test]
async fn replace_state_checks_the_file_rules_before_writing() {
    if let Some(store) = fresh_store().await {
        state_support::replace_state_checks_the_file_rules_before_writing(&store).await;
    }
}

#[tokio::test]
async fn import_leaves_the_inbox_alone() {
    if let Some(store) = fresh_store().await {
        state_support::import_leaves_the_inbox_alone(&store).await;
    }
}

#[tokio::test]
async fn actor_ids_given_before_an_import_are_not_given_again() {
    if let Some(store) = fresh_store().await {
        state_support::actor_ids_given_before_an_import_are_not_given_again(&store).await;
    }
}
