//! [`EventStore`](jirasync_domain::EventStore) on PostgreSQL: the shared SQL of `sql/events.rs`.

use super::PostgresStore;
use crate::sql::no_direct;

crate::sql::events::event_store!(PostgresStore, ::sqlx::PgConnection, direct = no_direct);
