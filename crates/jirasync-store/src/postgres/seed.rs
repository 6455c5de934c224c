//! [`Seed`] on PostgreSQL: the shared SQL of `sql/seed.rs`.

use super::PostgresStore;

crate::sql::seed::seed_store!(PostgresStore, ::sqlx::Postgres);
