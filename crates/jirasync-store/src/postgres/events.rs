//! [`EventStore`](jirasync_domain::EventStore) on PostgreSQL: the shared SQL of `sql/events.rs`.

use super::PostgresStore;

crate::sql::events::event_store!(PostgresStore, ::sqlx::PgConnection);
