//! The standalone [`Host`](jirasync_domain::Host) and
//! [`LocalIssueStore`](jirasync_domain::LocalIssueStore) on SQLite: the shared SQL of
//! `sql/host.rs`, on the store's one pool. A host write is one short `BEGIN IMMEDIATE`
//! transaction; no sync session holds a transaction meanwhile (see `session.rs`).

use super::{SqliteStore, direct};

crate::sql::host::standalone_host!(SqliteStore, ::sqlx::SqliteConnection, direct = direct);
