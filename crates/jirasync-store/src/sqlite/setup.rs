//! [`SetupStore`](jirasync_domain::SetupStore) on SQLite: the shared SQL of `sql/setup.rs`.

use super::SqliteStore;

crate::sql::setup::setup_store!(SqliteStore);
