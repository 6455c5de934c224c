//! [`OutboxStore`](jirasync_domain::OutboxStore) on SQLite: the shared SQL of `sql/outbound.rs`.

use super::SqliteStore;

crate::sql::outbound::outbound_store!(SqliteStore, ::sqlx::SqliteConnection);
