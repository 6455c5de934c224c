//! SQL storage for jirasync: the domain's storage traits and a durable webhook inbox, on
//! **SQLite** (the embedded default: one file, SQLite compiled in, nothing to install) and on
//! **PostgreSQL** (one database shared by several `jirasync serve` instances).
//!
//! This crate contains no business rules: the rules live in `jirasync-domain` and hand each write
//! to a store as one plan, which a store applies in one transaction, with the ordering guard
//! enforced in the database.
//!
//! * `sqlite::SqliteStore` and `postgres::PostgresStore` each implement every storage trait of
//!   `jirasync-domain` (including `StateStore`, the state file's import and export), its `Seed`
//!   trait, and [`Inbox`](inbox::Inbox). They share the schema's tables
//!   and run the same SQL (one text per query, in the private `sql` module); PostgreSQL
//!   plans also lock their external issue rows so several instances can share one database.
//! * [`open`] picks the back-end from a URL, connects and applies the embedded migrations.
//! * [`inbox`] holds the inbox contract, a retry policy and an in-memory inbox.
//!
//! Errors are the domain's `StoreError`: `Unavailable` (retry later, HTTP 503) is kept apart from
//! `Invalid` and `Conflict` (the input is at fault).

pub mod inbox;

mod database_url;
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
pub use open::{AnyStore, OpenError, SCHEMA_VERSION, open};
