//! [`ExternalActorStore`](jirasync_domain::ExternalActorStore) on SQLite: the shared SQL of
//! `sql/external_actors.rs`.

use super::SqliteStore;

crate::sql::external_actors::external_actor_store!(SqliteStore);
