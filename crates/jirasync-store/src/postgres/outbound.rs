//! [`OutboxStore`](jirasync_domain::OutboxStore) on PostgreSQL: the shared SQL of `sql/outbound.rs`.

use super::PostgresStore;

use crate::sql::no_direct;

crate::sql::outbound::outbound_store!(PostgresStore, ::sqlx::PgConnection, direct = no_direct);
