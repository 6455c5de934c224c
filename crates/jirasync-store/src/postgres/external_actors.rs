//! [`ExternalActorStore`] on PostgreSQL: the shared SQL of `sql/external_actors.rs`.

use super::PostgresStore;

crate::sql::external_actors::external_actor_store!(PostgresStore);
