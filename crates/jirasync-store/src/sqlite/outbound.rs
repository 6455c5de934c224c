//! [`OutboxStore`](jirasync_domain::OutboxStore) on SQLite: the shared SQL of `sql/outbound.rs`.

use super::{SqliteStore, direct};

crate::sql::outbound::outbound_store!(SqliteStore, ::sqlx::SqliteConnection, direct = direct);
