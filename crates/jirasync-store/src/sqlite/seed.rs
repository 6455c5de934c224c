//! [`Seed`] on SQLite: the shared SQL of `sql/seed.rs`.

use super::SqliteStore;

crate::sql::seed::seed_store!(SqliteStore, ::sqlx::Sqlite);
