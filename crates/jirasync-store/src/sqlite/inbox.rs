//! [`Inbox`](jirasync_domain::inbox::Inbox) on SQLite: the shared SQL of `sql/inbox.rs`, with
//! deliveries claimed in a `BEGIN IMMEDIATE` transaction, so that concurrent workers (of this
//! process, or of another sharing the file) take turns and never claim one delivery twice.

use jirasync_domain::StoreError;

use super::SqliteStore;
use crate::sql::inbox::{CLAIMABLE, CLAIMED_COLUMNS, ClaimedRow, StoredClaim};
use crate::sql_error::store_error;

crate::sql::inbox::inbox_store!(
    SqliteStore,
    ::sqlx::SqliteConnection,
    claim = lease_claimable
);

/// Attempts are a `u32`; the column never goes past it.
const MAX_ATTEMPTS: i64 = u32::MAX as i64;

/// Leases the claimable deliveries, oldest first, and counts an attempt on each.
async fn lease_claimable(
    store: &SqliteStore,
    claim: StoredClaim,
    what: &str,
) -> Result<Vec<ClaimedRow>, StoreError> {
    // The write lock from the first statement: concurrent claims queue on it instead of
    // failing as busy when their read turns into a write.
    let mut transaction = store.begin_write(what).await?;
    let rows = sqlx::query_as(&format!(
        "UPDATE jirasync_inbox_deliveries \
         SET attempts = MIN(attempts + 1, {MAX_ATTEMPTS}), leased_until = $2 \
         WHERE id IN (SELECT d.id {CLAIMABLE}) \
         RETURNING {CLAIMED_COLUMNS}"
    ))
    .bind(claim.now)
    .bind(claim.leased_until)
    .bind(claim.limit)
    .fetch_all(&mut *transaction)
    .await
    .map_err(|error| store_error(what, error))?;
    transaction
        .commit()
        .await
        .map_err(|error| store_error(what, error))?;
    Ok(rows)
}
