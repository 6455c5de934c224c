//! Transactions that a cancelled caller cannot leave open, and a pool that never hands out a
//! connection inside one.
//!
//! A store call is a future; its caller may drop it at any `.await` (an HTTP client hanging up,
//! a timeout). sqlx 0.8 has windows where that leaves a pooled connection inside a transaction
//! nobody holds: a custom `BEGIN` (SQLite's `BEGIN IMMEDIATE`) acknowledged but followed by one
//! more await before the `Transaction` exists, or, on PostgreSQL, a `BEGIN` dropped while it is
//! in flight. On SQLite that connection then keeps the database's write lock and every later
//! write fails as busy; on PostgreSQL the next borrower's statements run inside the stale
//! transaction. Two defences, each enough for the cases it covers:
//!
//! - [`begin`] starts every transaction in a task of its own: a caller dropped half-way leaves
//!   the task to finish, and the `Transaction` it built is dropped there, which rolls it back.
//! - [`roll_back_abandoned`] runs when a connection goes back to the pool: a transaction still
//!   open on it is rolled back, and a connection that cannot roll back is closed, not reused.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::pool::PoolConnectionMetadata;
use sqlx::{Connection, Database, Pool, Transaction, TransactionManager};

/// Starts a transaction on a connection of `pool` with `statement` (`BEGIN`, `BEGIN
/// IMMEDIATE`, PostgreSQL's `BEGIN; SET LOCAL …`, …), in a task that runs to its end even
/// when the caller stops waiting.
pub(crate) async fn begin<DB: Database>(
    pool: &Pool<DB>,
    statement: impl Into<Cow<'static, str>> + Send + 'static,
) -> Result<Transaction<'static, DB>, sqlx::Error> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(statement).await })
        .await
        .map_err(|error| {
            sqlx::Error::Protocol(format!("the task starting a transaction failed: {error}"))
        })?
}

/// The pool's `after_release` hook: rolls back a transaction left open on a returned
/// connection; `Ok(false)` (close the connection) when that fails.
pub(crate) fn roll_back_abandoned<DB: Database>(
    connection: &mut DB::Connection,
    _metadata: PoolConnectionMetadata,
) -> Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        if !connection.is_in_transaction() {
            return Ok(true);
        }
        // On SQLite a dropped `Transaction` queues its rollback without waiting for it: this
        // one then finds nothing left to roll back, and costs one round trip to the worker.
        match DB::TransactionManager::rollback(connection).await {
            Ok(()) => {
                tracing::debug!("rolled back a transaction left open on a returned connection");
                Ok(true)
            }
            Err(error) => {
                tracing::warn!(%error, "closing a connection whose abandoned transaction could not roll back");
                Ok(false)
            }
        }
    })
}
