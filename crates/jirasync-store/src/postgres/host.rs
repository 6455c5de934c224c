//! The standalone [`Host`](jirasync_domain::Host) and
//! [`LocalIssueStore`](jirasync_domain::LocalIssueStore) on PostgreSQL: the shared SQL of
//! `sql/host.rs`, on the store's host pool (see the `postgres` module docs for why it is not the
//! sessions' pool).

use super::PostgresStore;

use crate::sql::no_direct;

crate::sql::host::standalone_host!(PostgresStore, ::sqlx::PgConnection, direct = no_direct);
