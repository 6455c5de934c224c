//! [`ApplicationData`](jirasync_domain::ApplicationData) on PostgreSQL: the shared SQL of
//! `sql/app_data.rs`, on the store's host pool.

use super::PostgresStore;

crate::sql::app_data::application_data!(PostgresStore, ::sqlx::Postgres, ::sqlx::PgConnection);
