//! [`StatusMappingStore`](jirasync_domain::StatusMappingStore) on sqlite: the shared SQL of
//! `sql/status_mappings.rs`.

use super::SqliteStore;

crate::sql::status_mappings::status_mapping_store!(SqliteStore);
