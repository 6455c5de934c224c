//! The two layouts on SQLite: a file opened for bookkeeping only holds nothing but the
//! `jirasync_` tables (next to an application's own, whatever their names), refuses the
//! standalone host's calls, and gets the standalone tables when it is later opened standalone.
#![cfg(feature = "sqlite")]
// Set-up failures fail the test.
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "support/layouts.rs"]
mod layouts;
#[allow(dead_code)]
mod sqlite_support;

use jirasync_store::Layout;
use jirasync_store::sqlite::{SqliteOptions, SqliteStore};

fn bookkeeping() -> SqliteOptions {
    SqliteOptions::default().layout(Layout::Bookkeeping)
}

#[tokio::test]
async fn a_bookkeeping_file_has_only_jirasync_tables_beside_the_applications() {
    let (_directory, url) = sqlite_support::fresh_file();
    // The application's own tables, named like jirasync's standalone ones and version 1's.
    let application = sqlx::SqlitePool::connect(&format!("{}?mode=rwc", url.expose_secret()))
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT); \
         CREATE TABLE organizations (id INTEGER PRIMARY KEY, title TEXT)",
    )
    .execute(&application)
    .await
    .unwrap();
    application.close().await;

    let store = jirasync_store::open_bookkeeping(&url).await.unwrap();
    layouts::assert_the_bookkeeping_works(&*store).await;
    let tables = sqlite_support::tables(&url).await;
    let ours: Vec<&String> = tables
        .iter()
        .filter(|table| !["users", "organizations"].contains(&table.as_str()))
        .collect();
    assert!(
        ours.iter().all(|table| table.starts_with("jirasync_")),
        "{tables:?}"
    );
    assert!(tables.iter().any(|table| table == "jirasync_issue_locks"));
    for standalone in layouts::STANDALONE_TABLES
        .iter()
        .filter(|table| **table != "users")
    {
        assert!(
            !tables.iter().any(|table| table == standalone),
            "{standalone}"
        );
    }
}

#[tokio::test]
async fn a_bookkeeping_store_refuses_the_host_calls() {
    let (_directory, url) = sqlite_support::fresh_file();
    let store = SqliteStore::open_with(&url, bookkeeping()).await.unwrap();
    assert_eq!(store.layout(), Layout::Bookkeeping);
    layouts::assert_the_host_calls_are_refused(&store).await;
}

#[tokio::test]
async fn a_bookkeeping_file_opened_standalone_gets_the_standalone_tables() {
    let (_directory, url) = sqlite_support::fresh_file();
    let store = SqliteStore::open_with(&url, bookkeeping()).await.unwrap();
    layouts::assert_the_bookkeeping_works(&store).await;
    drop(store);

    let store = SqliteStore::open(&url).await.unwrap();
    let tables = sqlite_support::tables(&url).await;
    for standalone in layouts::STANDALONE_TABLES {
        assert!(
            tables.iter().any(|table| table == standalone),
            "{standalone}"
        );
    }
    layouts::assert_the_standalone_part_serves_the_registered_organization(&store).await;
}
