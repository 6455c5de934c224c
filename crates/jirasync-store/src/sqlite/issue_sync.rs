//! [`IssueSyncStore`](jirasync_domain::IssueSyncStore) on SQLite: the shared SQL of
//! `sql/issue_sync.rs`, with sessions serialised by leases (`session.rs`).

use super::SqliteStore;

crate::sql::issue_sync::issue_sync_store!(
    SqliteStore,
    ::sqlx::SqliteConnection,
    begin = super::session::begin
);
