//! [`EventStore`](jirasync_domain::EventStore) on SQLite: the shared SQL of `sql/events.rs`.

use super::SqliteStore;
use super::direct;

crate::sql::events::event_store!(SqliteStore, ::sqlx::SqliteConnection, direct = direct);
