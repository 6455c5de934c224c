//! [`StateStore`](jirasync_domain::state::StateStore) on SQLite: the shared SQL of
//! `sql/state.rs`, the replacement in one `BEGIN IMMEDIATE` transaction.
//!
//! Ids assigned after an import continue after the largest imported ones: `INTEGER PRIMARY KEY`
//! tables take the largest id in the table plus one, and the `AUTOINCREMENT` ones
//! (`jirasync_external_actors`, `activities`) move their `sqlite_sequence` entry up to any larger id
//! inserted, so they never give an id used before either.

use sqlx::SqliteConnection;

use super::SqliteStore;

/// `BEGIN IMMEDIATE` holds the database's write lock: no plan runs until the import commits,
/// and readers keep seeing the previous state until then.
#[allow(clippy::unused_async)] // the shared frame awaits every back-end's lock step
async fn write_lock_held(_connection: &mut SqliteConnection) -> Result<(), StoreError> {
    Ok(())
}

/// SQLite's ids follow the largest stored id by themselves (see the module's documentation),
/// after an import as after an organization saved with the application's id.
#[allow(clippy::unused_async)] // the shared frames await every back-end's step
pub(super) async fn ids_follow_by_themselves(
    _connection: &mut SqliteConnection,
    _table: &str,
) -> Result<(), StoreError> {
    Ok(())
}

crate::sql::state::state_store!(
    SqliteStore,
    SqliteConnection,
    ::sqlx::sqlite::SqliteRow,
    lock = write_lock_held,
    follow_ids = ids_follow_by_themselves
);
