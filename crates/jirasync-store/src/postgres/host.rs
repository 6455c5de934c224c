//! The standalone [`Host`](jirasync_domain::Host) and
//! [`LocalIssueStore`](jirasync_domain::LocalIssueStore) on PostgreSQL: the shared SQL of
//! `sql/host.rs` (with a change and its activity written in one statement, `direct.rs`), on the
//! store's host pool (see the `postgres` module docs for why it is not the sessions' pool).

use super::PostgresStore;
use super::direct;

crate::sql::host::standalone_host!(PostgresStore, ::sqlx::PgConnection, direct = direct);
