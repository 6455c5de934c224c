//! The two layouts on PostgreSQL: a schema connected for bookkeeping only holds nothing but the
//! `jirasync_` tables (next to an application's own), refuses the standalone host's calls, and
//! gets the standalone tables when it is later connected standalone. Skipped (printing why) when
//! `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]
// Set-up failures fail the test.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "support/layouts.rs"]
mod layouts;
#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

use jirasync_store::Layout;
use jirasync_store::postgres::PostgresStore;

use postgres_support::{TestSchema, options_in, test_database_url};

/// The schema's tables, by name.
async fn tables(store: &PostgresStore) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY table_name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn connect(schema: &TestSchema, layout: Layout) -> PostgresStore {
    let url = test_database_url().unwrap();
    PostgresStore::connect_with(&url, options_in(schema.name()).layout(layout))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bookkeeping_schema_has_only_jirasync_tables_and_refuses_the_host_calls() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = connect(&schema, Layout::Bookkeeping).await;
    assert_eq!(store.layout(), Layout::Bookkeeping);
    layouts::assert_the_bookkeeping_works(&store).await;
    let tables = tables(&store).await;
    assert!(
        tables.iter().all(|table| table.starts_with("jirasync_")),
        "{tables:?}"
    );
    layouts::assert_the_host_calls_are_refused(&store).await;
    store.close().await;
    schema.drop().await;
}

#[tokio::test]
async fn a_bookkeeping_schema_connected_standalone_gets_the_standalone_tables() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let store = connect(&schema, Layout::Bookkeeping).await;
    layouts::assert_the_bookkeeping_works(&store).await;
    store.close().await;

    let store = connect(&schema, Layout::Standalone).await;
    let tables = tables(&store).await;
    for standalone in layouts::STANDALONE_TABLES {
        assert!(
            tables.iter().any(|table| table == standalone),
            "{standalone}"
        );
    }
    layouts::assert_the_standalone_part_serves_the_registered_organization(&store).await;
    store.close().await;
    schema.drop().await;
}
