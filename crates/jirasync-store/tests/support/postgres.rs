//! Shared by the PostgreSQL tests: the test database from `JIRASYNC_TEST_DATABASE_URL`, and a
//! fresh schema per test so tests never see each other's rows.

// Test set-up: a failure to reach the test database fails the test; skipping says why on stderr.
#![allow(clippy::expect_used, clippy::print_stderr)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jirasync_store::DatabaseUrl;
use jirasync_store::postgres::{PostgresOptions, PostgresStore};

/// The variable naming the test database.
pub(crate) const URL_VARIABLE: &str = "JIRASYNC_TEST_DATABASE_URL";

/// The test database's URL, or `None` after printing why the test is skipped.
pub(crate) fn test_database_url() -> Option<DatabaseUrl> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(DatabaseUrl::new(url)),
        _ => {
            eprintln!(
                "skipped: {URL_VARIABLE} is not set (a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
            None
        }
    }
}

/// A schema no other test uses: `jirasync_test_<pid>_<counter>_<nanos>`.
pub(crate) async fn create_fresh_schema(url: &DatabaseUrl) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    let schema = format!(
        "jirasync_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let pool = sqlx::PgPool::connect(url.expose_secret())
        .await
        .expect("connect to the test database");
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .expect("create the test schema");
    pool.close().await;
    schema
}

/// Drops a schema [`create_fresh_schema`] made, with everything in it.
pub(crate) async fn drop_schema(url: &DatabaseUrl, schema: &str) {
    let pool = sqlx::PgPool::connect(url.expose_secret())
        .await
        .expect("connect to the test database");
    sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&pool)
        .await
        .expect("drop the test schema");
    pool.close().await;
}

/// Options working in `schema`, with a short acquire timeout.
pub(crate) fn options_in(schema: &str) -> PostgresOptions {
    PostgresOptions {
        max_connections: 5,
        acquire_timeout: Duration::from_secs(10),
        schema: Some(schema.to_owned()),
        host_connections: 2,
        ..PostgresOptions::default()
    }
}

/// A store on its own fresh schema, or `None` (after printing why) when no test database is
/// configured. The schema is left behind: the factory cannot know when the test ends.
pub(crate) async fn fresh_store() -> Option<PostgresStore> {
    let url = test_database_url()?;
    let schema = create_fresh_schema(&url).await;
    Some(
        PostgresStore::connect_with(&url, options_in(&schema))
            .await
            .expect("connect the store"),
    )
}

/// A fresh schema of the test database, for a test that connects several stores to it.
pub(crate) struct TestSchema {
    url: DatabaseUrl,
    name: String,
}

impl TestSchema {
    /// Creates the schema, or gives `None` (after printing why) when no test database is
    /// configured.
    pub(crate) async fn create() -> Option<Self> {
        let url = test_database_url()?;
        let name = create_fresh_schema(&url).await;
        Some(Self { url, name })
    }

    /// The schema's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The test database's URL (its default search path is not the schema).
    pub(crate) fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A new store (its own pool) working in the schema.
    pub(crate) async fn store(&self) -> PostgresStore {
        PostgresStore::connect_with(&self.url, options_in(&self.name))
            .await
            .expect("connect a store to the test schema")
    }

    /// Drops the schema with everything in it (close the stores first).
    pub(crate) async fn drop(self) {
        drop_schema(&self.url, &self.name).await;
    }
}
