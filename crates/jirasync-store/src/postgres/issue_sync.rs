//! [`IssueSyncStore`](jirasync_domain::IssueSyncStore) on PostgreSQL: the shared SQL of
//! `sql/issue_sync.rs`, with sessions serialised by row locks (`session.rs`).

use super::PostgresStore;

crate::sql::issue_sync::issue_sync_store!(
    PostgresStore,
    ::sqlx::PgConnection,
    begin = super::session::begin
);
