//! [`IssueSyncStore`](jirasync_domain::IssueSyncStore) and
//! [`WatermarkStore`](jirasync_domain::WatermarkStore) on SQLite: the shared SQL of
//! `sql/issue_sync.rs`, each plan in a `BEGIN IMMEDIATE` transaction.

use sqlx::SqliteConnection;

use super::SqliteStore;

// `PlanGuard` and `StoreError` are in scope through the expansion at the end of the file.

/// Nothing more to lock: the plan's `BEGIN IMMEDIATE` transaction holds the database's write
/// lock, so no other plan runs until it commits.
#[allow(clippy::unused_async)] // the shared frame awaits the back-end's lock step
async fn lock_plan_rows(
    _connection: &mut SqliteConnection,
    _guard: &PlanGuard,
    _organizations: &[i64],
) -> Result<(), StoreError> {
    Ok(())
}

crate::sql::issue_sync::issue_sync_store!(
    SqliteStore,
    SqliteConnection,
    lock = lock_plan_rows,
    local_issue = super::issue_links::local_issue
);
