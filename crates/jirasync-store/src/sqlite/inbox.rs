//! [`Inbox`](jirasync_domain::inbox::Inbox) on SQLite: the shared SQL of `sql/inbox.rs`, with
//! deliveries claimed in a `BEGIN IMMEDIATE` transaction, so that concurrent workers (of this
//! process, or of another sharing the file) take turns and never claim one delivery twice.

use jirasync_domain::StoreError;

use super::SqliteStore;
use crate::sql::inbox::{CLAIMABLE_HEADS, CLAIMED_COLUMNS, ClaimedRow, DUE_HEADS, StoredClaim};
use crate::sql_error::store_error;

crate::sql::inbox::inbox_store!(
    SqliteStore,
    ::sqlx::SqliteConnection,
    claim = lease_claimable
);

/// Attempts are a `u32`; the column never goes past it.
const MAX_ATTEMPTS: i64 = u32::MAX as i64;

/// Leases the first claimable heads, oldest first, and counts an attempt on each.
async fn lease_claimable(
    store: &SqliteStore,
    claim: StoredClaim,
    what: &str,
) -> Result<Vec<ClaimedRow>, StoreError> {
    // The write lock from the first statement: concurrent claims queue on it instead of
    // failing as busy when their read turns into a write.
    let mut transaction = store.begin_write(what).await?;
    sqlx::query(&format!(
        "UPDATE jirasync_inbox_heads SET waiting_until = NULL WHERE delivery_id IN ({DUE_HEADS})"
    ))
    .bind(claim.now)
    .execute(&mut *transaction)
    .await
    .map_err(|error| store_error(what, error))?;
    let rows = sqlx::query_as(&format!(
        "UPDATE jirasync_inbox_deliveries \
         SET attempts = MIN(attempts + 1, {MAX_ATTEMPTS}), leased_until = $2 \
         WHERE id IN ({CLAIMABLE_HEADS}) \
         RETURNING {CLAIMED_COLUMNS}"
    ))
    .bind(claim.limit)
    .bind(claim.leased_until)
    .fetch_all(&mut *transaction)
    .await
    .map_err(|error| store_error(what, error))?;
    // The same heads: nothing changed them since, and their order is total.
    sqlx::query(&format!(
        "UPDATE jirasync_inbox_heads SET waiting_until = $2, held = TRUE \
         WHERE delivery_id IN ({CLAIMABLE_HEADS})"
    ))
    .bind(claim.limit)
    .bind(claim.leased_until)
    .execute(&mut *transaction)
    .await
    .map_err(|error| store_error(what, error))?;
    transaction
        .commit()
        .await
        .map_err(|error| store_error(what, error))?;
    Ok(rows)
}
