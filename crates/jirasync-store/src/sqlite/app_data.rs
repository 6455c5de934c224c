//! [`ApplicationData`](jirasync_domain::ApplicationData) on SQLite: the shared SQL of
//! `sql/app_data.rs`, on the store's host pool.

use super::SqliteStore;

crate::sql::app_data::application_data!(SqliteStore, ::sqlx::Sqlite, ::sqlx::SqliteConnection);
