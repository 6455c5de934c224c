//! [`OrganizationStore`](jirasync_domain::OrganizationStore) on PostgreSQL: the shared SQL of
//! `sql/organizations.rs`. An organization saved with the application's id moves the identity
//! sequence past it, so an id the database assigns later (a seeded organization) never collides.

use super::PostgresStore;

crate::sql::organizations::organization_store!(
    PostgresStore,
    follow_ids = super::state::follow_ids
);
