//! The store conformance suite of `jirasync-domain` against a fresh SQLite file per test.

use jirasync_store::DatabaseUrl;
use jirasync_store::sqlite::SqliteStore;

/// A store on a new file in a new temporary directory. The directory is leaked: the store is
/// handed to the suite by value and the file must outlive it.
async fn fresh_store() -> SqliteStore {
    let directory = Box::leak(Box::new(tempfile::tempdir().unwrap()));
    let path = directory.path().join("jirasync.db");
    SqliteStore::open(&DatabaseUrl::new(format!("sqlite://{}", path.display())))
        .await
        .unwrap()
}

jirasync_domain::conformance_tests!(async { fresh_store().await });
