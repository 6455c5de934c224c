//! A PostgreSQL schema of jirasync 0.1 (schema version 1, every table unprefixed, the inbox
//! keeping tokens) is upgraded in place when the new build connects: every row is kept and read
//! back through the traits, the pending delivery claims as a legacy-token one, and the history
//! records which scripts ran. Skipped (printing why) when `JIRASYNC_TEST_DATABASE_URL` is not
//! set.
#![cfg(feature = "postgres")]
// Set-up failures fail the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "support/legacy.rs"]
mod legacy;
#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

use std::str::FromStr;

use jirasync_store::postgres::PostgresStore;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

use postgres_support::{TestSchema, options_in, test_database_url};

const VERSION_1: &str = include_str!("../migrations/postgres/0001_initial.sql");

/// A pool working in `schema`.
async fn connect(schema: &str) -> PgPool {
    let url = test_database_url().unwrap();
    let options = PgConnectOptions::from_str(url.expose_secret())
        .unwrap()
        .options([("search_path", schema)]);
    PgPool::connect_with(options).await.unwrap()
}

#[tokio::test]
async fn a_version_1_schema_is_upgraded_in_place_with_every_row() {
    let Some(schema) = TestSchema::create().await else {
        return;
    };
    let name = schema.name().to_owned();
    let pool = connect(&name).await;
    let database = legacy::version_1_database(VERSION_1, "BYTEA", "BIGINT");
    sqlx::raw_sql(&database).execute(&pool).await.unwrap();
    // The rows came with their ids; a build of version 1 had handed them out of the sequences.
    sqlx::raw_sql(
        "SELECT setval(pg_get_serial_sequence('external_actors', 'id'), 2); \
         SELECT setval(pg_get_serial_sequence('inbox_deliveries', 'id'), 10)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let url = test_database_url().unwrap();
    let store = PostgresStore::connect_with(&url, options_in(&name))
        .await
        .unwrap();
    legacy::assert_version_1_rows_are_kept(&store).await;
    let history: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, name FROM jirasync_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    let history: Vec<(i64, &str)> = history
        .iter()
        .map(|(version, name)| (*version, name.as_str()))
        .collect();
    assert_eq!(
        history,
        [
            (1, "initial"),
            (2, "bookkeeping_from_0001"),
            (3, "standalone_from_0001"),
            (4, "inbox_heads"),
            (5, "reconcile"),
            (6, "setup"),
            (7, "events"),
            (8, "app_ids"),
            (9, "outbound"),
            (10, "status_mappings"),
            (11, "comment_deliveries"),
            (12, "config_notify"),
            (13, "inbox_bodies"),
            (14, "without_rowid"),
        ]
    );
    // Nothing of the bookkeeping keeps its old name, down to constraints and indexes.
    let old_names: Vec<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_class WHERE relnamespace = current_schema()::regnamespace \
         AND relname::text ~ '^(organizations|integrations|identities|external_|seen_|inbox_)'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(old_names.is_empty(), "{old_names:?}");
    pool.close().await;
    store.close().await;
    schema.drop().await;
}
