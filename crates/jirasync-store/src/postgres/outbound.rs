//! [`OutboxStore`](jirasync_domain::OutboxStore) on PostgreSQL: the shared SQL of `sql/outbound.rs`.

use super::PostgresStore;

crate::sql::outbound::outbound_store!(PostgresStore, ::sqlx::PgConnection);
