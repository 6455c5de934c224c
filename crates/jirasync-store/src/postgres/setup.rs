//! [`SetupStore`](jirasync_domain::SetupStore) on PostgreSQL: the shared SQL of `sql/setup.rs`.

use super::PostgresStore;

crate::sql::setup::setup_store!(PostgresStore);
