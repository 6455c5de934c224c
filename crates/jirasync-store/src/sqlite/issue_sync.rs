//! [`IssueSyncStore`] and [`WatermarkStore`] on SQLite: the shared SQL of
//! `sql/issue_sync.rs`. Each plan runs in a `BEGIN IMMEDIATE` transaction, which holds the
//! database's write lock: no other plan runs until it commits, so there is nothing more to lock.

use super::SqliteStore;

crate::sql::issue_sync::issue_sync_store!(
    SqliteStore,
    ::sqlx::SqliteConnection,
    lock = crate::sql::issue_sync::nothing_more_to_lock,
    local_issue = super::issue_links::local_issue
);
