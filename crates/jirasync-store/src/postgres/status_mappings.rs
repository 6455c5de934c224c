//! [`StatusMappingStore`](jirasync_domain::StatusMappingStore) on postgres: the shared SQL of
//! `sql/status_mappings.rs`.

use super::PostgresStore;

crate::sql::status_mappings::status_mapping_store!(PostgresStore);
