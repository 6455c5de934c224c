//! [`IssueLinkStore`] on PostgreSQL: the shared SQL of `sql/issue_links.rs`.

use super::PostgresStore;

crate::sql::issue_links::issue_link_store!(PostgresStore, ::sqlx::PgConnection);
