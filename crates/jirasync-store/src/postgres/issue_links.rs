//! [`IssueLinkStore`] on PostgreSQL: the shared SQL of `sql/issue_links.rs`.

use super::PostgresStore;

use crate::sql::no_direct;

crate::sql::issue_links::issue_link_store!(PostgresStore, ::sqlx::PgConnection, direct = no_direct);
