//! Shared by the SQLite tests: fresh database files in temporary directories.

// Test set-up: failing to make a temporary directory or open the store fails the test.
#![allow(clippy::expect_used)]

use jirasync_store::DatabaseUrl;
use jirasync_store::sqlite::SqliteStore;
use tempfile::TempDir;

/// A new temporary directory and the URL of a database file in it (not created yet). The file
/// lives as long as the directory.
pub(crate) fn fresh_file() -> (TempDir, DatabaseUrl) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("jirasync.db");
    let url = DatabaseUrl::new(format!("sqlite://{}", path.display()));
    (directory, url)
}

/// A store on a new file. The directory is leaked on purpose: suites take the store by value,
/// and the file must outlive it.
pub(crate) async fn fresh_store() -> SqliteStore {
    let (directory, url) = fresh_file();
    Box::leak(Box::new(directory));
    SqliteStore::open(&url).await.expect("open a fresh store")
}

/// The names of the file's tables.
pub(crate) async fn tables(url: &DatabaseUrl) -> Vec<String> {
    let pool = sqlx::SqlitePool::connect(url.expose_secret())
        .await
        .expect("connect to the file");
    let tables = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .expect("list the tables");
    pool.close().await;
    tables
}
