//! A SQLite file of jirasync 0.1 (schema version 1, every table unprefixed, the inbox keeping
//! tokens) is upgraded in place when the new build opens it: every row is kept and read back
//! through the traits, the pending delivery claims as a legacy-token one, and the history
//! records which scripts ran.
#![cfg(feature = "sqlite")]
// Set-up failures fail the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "support/legacy.rs"]
mod legacy;
#[allow(dead_code)]
mod sqlite_support;

use std::str::FromStr;

use jirasync_domain::ids::LocalIssueId;
use jirasync_domain::{Host, OrganizationStore};
use jirasync_store::sqlite::{SqliteOptions, SqliteStore};
use jirasync_store::{DatabaseUrl, Layout};
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteConnectOptions;
use tempfile::TempDir;

const VERSION_1: &str = include_str!("../migrations/sqlite/0001_initial.sql");

async fn connect(url: &DatabaseUrl) -> SqlitePool {
    let options = SqliteConnectOptions::from_str(url.expose_secret())
        .unwrap()
        .create_if_missing(true)
        .foreign_keys(true);
    SqlitePool::connect_with(options).await.unwrap()
}

/// A file as jirasync 0.1 left it: its schema, its rows, its migration history.
async fn version_1_file() -> (TempDir, DatabaseUrl) {
    let (directory, url) = sqlite_support::fresh_file();
    let pool = connect(&url).await;
    let database = legacy::version_1_database(VERSION_1, "BLOB", "INTEGER");
    sqlx::raw_sql(&database).execute(&pool).await.unwrap();
    pool.close().await;
    (directory, url)
}

/// The recorded history: (version, name).
async fn history(url: &DatabaseUrl) -> Vec<(i64, String)> {
    let pool = connect(url).await;
    let rows = sqlx::query_as("SELECT version, name FROM jirasync_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

fn names(history: &[(i64, String)]) -> Vec<(i64, &str)> {
    history
        .iter()
        .map(|(version, name)| (*version, name.as_str()))
        .collect()
}

#[tokio::test]
async fn a_version_1_file_is_upgraded_in_place_with_every_row() {
    let (_directory, url) = version_1_file().await;
    let store = SqliteStore::open(&url).await.unwrap();
    legacy::assert_version_1_rows_are_kept(&store).await;
    assert_eq!(
        names(&history(&url).await),
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
    let tables = sqlite_support::tables(&url).await;
    for old in [
        "organizations",
        "integrations",
        "identities",
        "organization_integrations",
        "external_issues",
        "external_issue_links",
        "external_actors",
        "seen_deliveries",
        "inbox_deliveries",
    ] {
        assert!(!tables.iter().any(|table| table == old), "{old} is left");
        assert!(
            tables
                .iter()
                .any(|table| *table == format!("jirasync_{old}")),
            "jirasync_{old} is missing"
        );
    }
    drop(store);
    // Opening again changes nothing.
    let before = history(&url).await;
    drop(SqliteStore::open(&url).await.unwrap());
    assert_eq!(history(&url).await, before);
}

#[tokio::test]
async fn a_version_1_file_opened_for_bookkeeping_gets_the_standalone_part_recorded_later() {
    let (_directory, url) = version_1_file().await;
    let options = SqliteOptions::default().layout(Layout::Bookkeeping);
    let bookkeeping = SqliteStore::open_with(&url, options).await.unwrap();
    assert_eq!(bookkeeping.organizations().await.unwrap().len(), 1);
    assert_eq!(
        names(&history(&url).await),
        [
            (1, "initial"),
            (2, "bookkeeping_from_0001"),
            (4, "inbox_heads"),
            (5, "reconcile"),
            (6, "setup"),
            (7, "events"),
            (9, "outbound"),
            (10, "status_mappings"),
            (11, "comment_deliveries"),
            (12, "config_notify"),
            (13, "inbox_bodies"),
            (14, "without_rowid")
        ]
    );
    drop(bookkeeping);

    let standalone = SqliteStore::open(&url).await.unwrap();
    assert_eq!(history(&url).await.len(), 14);
    let issue = standalone.issue(LocalIssueId::new(5)).await.unwrap();
    assert!(issue.is_some(), "the issue kept through both opens");
}
