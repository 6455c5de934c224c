//! [`IssueLinkStore`] on SQLite: the shared SQL of `sql/issue_links.rs`.

use super::{SqliteStore, direct};

crate::sql::issue_links::issue_link_store!(SqliteStore, ::sqlx::SqliteConnection, direct = direct);
