//! [`Inbox`](jirasync_domain::inbox::Inbox) on PostgreSQL: the shared SQL of `sql/inbox.rs`,
//! with deliveries claimed by one statement that picks the first claimable heads
//! `FOR UPDATE SKIP LOCKED` over their index and leases them: workers on several instances never
//! claim one delivery twice, and a key's deliveries are handed out one at a time.

use jirasync_domain::StoreError;
use jirasync_domain::inbox::{DeliveryId, NewDelivery};
use jirasync_webhook::{DeliveryKey, EventTime};

use super::PostgresStore;
use crate::inbox_headers::encode_headers;
use crate::sql::inbox::{
    CLAIMABLE_HEADS, CLAIMED_COLUMNS, ClaimedRow, DUE_HEADS, ENQUEUE_AS_HEAD, StoredClaim,
    source_columns,
};
use crate::sql::values::unix_millis;
use crate::sql_error::store_error;

crate::sql::inbox::inbox_store!(
    PostgresStore,
    ::sqlx::PgConnection,
    claim = lease_claimable,
    direct = direct
);

/// The `direct = …` hooks of `inbox_store!`: a new delivery in one statement; a held
/// delivery's change and several deliveries' completion through the shared statements.
mod direct {
    pub(super) use super::enqueue;
    pub(super) use crate::sql::no_direct::{change_held, complete_held};
}

/// Writes a delivery and its place among the heads in one statement ([`ENQUEUE_AS_HEAD`]): one
/// round trip, no transaction to open and close.
pub(super) async fn enqueue(
    store: &PostgresStore,
    delivery: NewDelivery,
) -> Result<DeliveryId, StoreError> {
    const WHAT: &str = "enqueueing an inbox delivery";
    let received_at = unix_millis(delivery.received_at)?;
    let (integration_id, token) = source_columns(&delivery.source);
    sqlx::query_scalar::<_, i64>(ENQUEUE_AS_HEAD)
        .bind(integration_id)
        .bind(token)
        .bind(&delivery.body)
        .bind(encode_headers(&delivery.headers))
        .bind(received_at)
        .bind(delivery.ordering_key.as_deref())
        .bind(delivery.occurred_at.map(EventTime::unix_millis))
        .bind(delivery.delivery_key.as_ref().map(DeliveryKey::as_str))
        .fetch_one(&store.pool)
        .await
        .map(DeliveryId::new)
        .map_err(|error| store_error(WHAT, error))
}

/// Makes the due heads claimable, then leases the first claimable ones, oldest first, and
/// counts an attempt on each.
async fn lease_claimable(
    store: &PostgresStore,
    claim: StoredClaim,
    what: &str,
) -> Result<Vec<ClaimedRow>, StoreError> {
    // Heads another transaction holds are skipped: the next claim makes them claimable if they
    // are still due.
    sqlx::query(&format!(
        "UPDATE jirasync_inbox_heads SET waiting_until = NULL WHERE delivery_id IN \
         ({DUE_HEADS} FOR UPDATE SKIP LOCKED)"
    ))
    .bind(claim.now)
    .execute(&store.pool)
    .await
    .map_err(|error| store_error(what, error))?;
    // Heads another worker's claim holds are skipped, not waited for.
    sqlx::query_as(&format!(
        "WITH picked AS ({CLAIMABLE_HEADS} FOR UPDATE SKIP LOCKED), \
         held AS (UPDATE jirasync_inbox_heads SET waiting_until = $2, held = TRUE \
             FROM picked WHERE jirasync_inbox_heads.delivery_id = picked.delivery_id) \
         UPDATE jirasync_inbox_deliveries SET attempts = attempts + 1, leased_until = $2 \
         FROM picked WHERE jirasync_inbox_deliveries.id = picked.delivery_id \
         RETURNING {CLAIMED_COLUMNS}"
    ))
    .bind(claim.limit)
    .bind(claim.leased_until)
    .fetch_all(&store.pool)
    .await
    .map_err(|error| store_error(what, error))
}
