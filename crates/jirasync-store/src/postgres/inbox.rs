//! [`Inbox`](jirasync_domain::inbox::Inbox) on PostgreSQL: the shared SQL of `sql/inbox.rs`,
//! with deliveries claimed by one statement that picks them `FOR UPDATE SKIP LOCKED` and leases
//! them: workers on several instances never claim one delivery twice, and a key's deliveries
//! are handed out one at a time.

use jirasync_domain::StoreError;

use super::PostgresStore;
use crate::sql::inbox::{CLAIMABLE, CLAIMED_COLUMNS, ClaimedRow, StoredClaim};
use crate::sql_error::store_error;

crate::sql::inbox::inbox_store!(PostgresStore, ::sqlx::PgConnection, claim = lease_claimable);

/// Leases the claimable deliveries, oldest first, and counts an attempt on each.
async fn lease_claimable(
    store: &PostgresStore,
    claim: StoredClaim,
    what: &str,
) -> Result<Vec<ClaimedRow>, StoreError> {
    // Rows another worker's claim holds are skipped, not waited for. `picked_id`: an `id` of
    // `picked` would make the table's ambiguous in `RETURNING`.
    sqlx::query_as(&format!(
        "WITH picked AS (SELECT d.id AS picked_id {CLAIMABLE} FOR UPDATE SKIP LOCKED) \
         UPDATE jirasync_inbox_deliveries SET attempts = attempts + 1, leased_until = $2 \
         FROM picked WHERE jirasync_inbox_deliveries.id = picked.picked_id \
         RETURNING {CLAIMED_COLUMNS}"
    ))
    .bind(claim.now)
    .bind(claim.leased_until)
    .bind(claim.limit)
    .fetch_all(&store.pool)
    .await
    .map_err(|error| store_error(what, error))
}
