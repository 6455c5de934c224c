//! [`IssueLinkStore`] on SQLite: the shared SQL of `sql/issue_links.rs`.

use super::SqliteStore;

crate::sql::issue_links::issue_link_store!(SqliteStore, ::sqlx::SqliteConnection);
