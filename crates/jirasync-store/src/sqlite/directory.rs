//! [`DirectoryStore`] on SQLite: the shared SQL of `sql/directory.rs`.

use super::SqliteStore;

crate::sql::directory::directory_store!(
    SqliteStore,
    ::sqlx::SqliteConnection,
    ::sqlx::sqlite::SqliteRow
);
