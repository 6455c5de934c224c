//! [`OrganizationStore`](jirasync_domain::OrganizationStore) on SQLite: the shared SQL of
//! `sql/organizations.rs`.

use super::SqliteStore;

crate::sql::organizations::organization_store!(
    SqliteStore,
    follow_ids = super::state::ids_follow_by_themselves
);
