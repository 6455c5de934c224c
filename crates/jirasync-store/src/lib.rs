//! SQL storage for jirasync: the domain's two contracts on **SQLite** (the embedded default: one
//! file, SQLite compiled in, nothing to install) and on **PostgreSQL** (one database shared by
//! several `jirasync serve` instances).
//!
//! * [`SyncStore`](jirasync_domain::SyncStore), jirasync's own bookkeeping (organizations as
//!   jirasync knows them, integrations, links to Jira issues, watermarks, the delivery log,
//!   external actors), with the per-issue serialisation of inbound syncs, and the webhook
//!   [`Inbox`](jirasync_domain::inbox::Inbox). Their tables are prefixed `jirasync_` so that they
//!   can live in an application's own database ([`Layout::Bookkeeping`], [`open_bookkeeping`]).
//! * The **standalone host**: [`Host`](jirasync_domain::Host) and
//!   [`LocalIssueStore`](jirasync_domain::LocalIssueStore) over tables of jirasync's own (users,
//!   teams, projects, local issues, activities), with
//!   [`StateStore`](jirasync_domain::StateStore) (the state file) and, behind the `testing`
//!   feature, `Seed`: what the `jirasync` binary runs on ([`Layout::Standalone`], [`open`]).
//!
//! `sqlite::SqliteStore` and `postgres::PostgresStore` implement all of it with the same SQL
//! (one text per query, in the private `sql` module). This crate contains no business rule: the
//! rules of `jirasync-domain` decide (the ordering guard, "already assigned", the install merge)
//! and a store persists what they decided; the one rule kept in SQL is that a watermark never
//! moves back.
//!
//! Errors are the domain's `StoreError`: `Unavailable` (retry later, HTTP 503) is kept apart from
//! `Invalid` and `Conflict` (the input is at fault).

#![warn(missing_docs)]

mod config_cache;
mod database_url;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod inbox_headers;
mod layout;
// SQL shared by the back-ends; absent from a build with neither.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod migration;
mod open;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod pool;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_error;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod state_rows;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use database_url::{Backend, DatabaseUrl};
pub use layout::Layout;
pub use open::{
    AnyStore, BookkeepingStore, OpenError, OpenOptions, SCHEMA_VERSION, open, open_bookkeeping,
    open_with,
};
