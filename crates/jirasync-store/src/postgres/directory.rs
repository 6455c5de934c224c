//! [`DirectoryStore`] on PostgreSQL: the shared SQL of `sql/directory.rs`.

use super::PostgresStore;

crate::sql::directory::directory_store!(
    PostgresStore,
    ::sqlx::PgConnection,
    ::sqlx::postgres::PgRow
);
