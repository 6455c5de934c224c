//! The SQL both back-ends run, written once.
//!
//! SQLite and PostgreSQL share the schema's tables and column names, and sqlx binds `$N`
//! placeholders on both, so one SQL text serves both. Each file here holds the pure parts of one
//! storage trait (row → domain conversions, stored names) as functions, and the parts that talk
//! to the database as a macro each back-end expands for its own store and connection types
//! (`sqlite/integrations.rs` and `postgres/integrations.rs` are such expansions). What really
//! differs stays in the back-ends: how a write transaction starts (`begin_write`), how the syncs
//! of one Jira issue are serialised (`sqlite/session.rs`: a lease row; `postgres/session.rs`: row
//! locks held by a transaction), how the inbox's claim keeps two workers from claiming one
//! delivery (`sqlite/inbox.rs`: a `BEGIN IMMEDIATE` transaction; `postgres/inbox.rs`: one
//! statement with `FOR UPDATE SKIP LOCKED`), which pool the standalone host's calls use, and
//! the [`Dialect`] constants.

pub(crate) mod app_data;
pub(crate) mod events;
pub(crate) mod external_actors;
pub(crate) mod host;
pub(crate) mod inbox;
pub(crate) mod integrations;
pub(crate) mod issue_links;
pub(crate) mod issue_sync;
#[cfg(feature = "postgres")]
pub(crate) mod no_direct;
pub(crate) mod organizations;
pub(crate) mod outbound;
pub(crate) mod reconcile;
#[cfg(feature = "testing")]
pub(crate) mod seed;
pub(crate) mod setup;
pub(crate) mod state;
pub(crate) mod status_mappings;
pub(crate) mod values;

use jirasync_domain::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool, Transaction};

use crate::sql_error::store_error;

/// What a back-end's store spells its own way.
pub(crate) trait Dialect {
    /// The driver's database.
    type Database: Database;
    /// The statement that starts a plan's write transaction.
    const BEGIN_WRITE: &'static str;
    /// The statement that starts a read-only transaction whose every statement sees the same
    /// snapshot of the database (a state export).
    const BEGIN_SNAPSHOT: &'static str;
    /// A boolean true in a comparison (`1` on SQLite, `TRUE` on PostgreSQL), spelled as the
    /// partial indexes spell it so that the planner uses them.
    const TRUE: &'static str;
    /// What ends a `SELECT` whose rows the transaction must keep from other writers until it
    /// ends: ` FOR UPDATE` on PostgreSQL; nothing on SQLite, whose `BEGIN IMMEDIATE` already
    /// holds the database's write lock.
    const FOR_UPDATE: &'static str;
    /// What ends the `SELECT` of a claim so that two claimers skip each other's rows:
    /// ` FOR UPDATE OF d SKIP LOCKED` on PostgreSQL; nothing on SQLite (one writer).
    const SKIP_LOCKED: &'static str;
    /// The one statement that appends an event (the binds of
    /// [`INSERT_EVENT`](events::INSERT_EVENT)) with a pending delivery per subscriber, after
    /// serialising event appends until the transaction ends (PostgreSQL: a transaction advisory
    /// lock, `sql/events.rs`). `None` where the database has one writer and no data-modifying
    /// `WITH` (SQLite): `INSERT_EVENT`, then
    /// [`INSERT_EVENT_DELIVERIES`](events::INSERT_EVENT_DELIVERIES).
    const APPEND_EVENT: Option<&'static str>;
}

/// A connection of `pool`, for several reads in a row.
pub(crate) async fn connection<DB: Database>(
    pool: &Pool<DB>,
    what: &str,
) -> Result<PoolConnection<DB>, StoreError> {
    pool.acquire()
        .await
        .map_err(|error| store_error(what, error))
}

/// Starts a write transaction of the store `S` with its [`Dialect::BEGIN_WRITE`]. Dropping it
/// without commit rolls it back; a caller dropped while it starts leaves nothing open
/// ([`crate::pool::begin`]).
pub(crate) async fn begin_write<S: Dialect>(
    pool: &Pool<S::Database>,
    what: &str,
) -> Result<Transaction<'static, S::Database>, StoreError> {
    crate::pool::begin(pool, S::BEGIN_WRITE)
        .await
        .map_err(|error| store_error(what, error))
}
