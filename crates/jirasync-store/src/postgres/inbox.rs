//! [`Inbox`](jirasync_domain::inbox::Inbox) on PostgreSQL: the shared SQL of `sql/inbox.rs`,
//! with deliveries claimed by one statement that picks the first claimable heads
//! `FOR UPDATE SKIP LOCKED` over their index and leases them: workers on several instances never
//! claim one delivery twice, and a key's deliveries are handed out one at a time.

use jirasync_domain::StoreError;
use jirasync_domain::inbox::{DeliveryId, NewDelivery};
use jirasync_webhook::{DeliveryKey, EventTime};

use sqlx::Row as _;

use super::PostgresStore;
use crate::inbox_headers::encode_headers;
use crate::sql::inbox::{
    CLAIMABLE_HEADS, CLAIMED_COLUMNS, ClaimedRow, DUE_HEADS, ENQUEUE_AS_HEAD, ENQUEUE_LEASED,
    StoredClaim, source_columns,
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
    pub(super) use super::{enqueue, enqueue_leased};
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
    let row = bind_delivery(ENQUEUE_AS_HEAD, &delivery, received_at)
        .fetch_one(&store.pool)
        .await
        .map_err(|error| store_error(WHAT, error))?;
    let id: i64 = row.try_get(0).map_err(|error| store_error(WHAT, error))?;
    Ok(DeliveryId::new(id))
}

/// Writes a delivery as [`enqueue`] does, leased until `leased_until` (stored milliseconds) as
/// its first attempt when it becomes its key's head, in one statement ([`ENQUEUE_LEASED`]);
/// gives its id and whether it was leased.
pub(super) async fn enqueue_leased(
    store: &PostgresStore,
    delivery: NewDelivery,
    leased_until: i64,
) -> Result<(DeliveryId, bool), StoreError> {
    const WHAT: &str = "enqueueing an inbox delivery";
    let received_at = unix_millis(delivery.received_at)?;
    let row = bind_delivery(ENQUEUE_LEASED, &delivery, received_at)
        .bind(leased_until)
        .fetch_one(&store.pool)
        .await
        .map_err(|error| store_error(WHAT, error))?;
    let (id, attempts): (i64, i64) = (
        row.try_get(0).map_err(|error| store_error(WHAT, error))?,
        row.try_get(1).map_err(|error| store_error(WHAT, error))?,
    );
    Ok((DeliveryId::new(id), attempts > 0))
}

/// `sql` with a delivery's values bound as `$1` … `$8`, as the enqueue statements take them.
fn bind_delivery<'q>(
    sql: &'q str,
    delivery: &'q NewDelivery,
    received_at: i64,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let (integration_id, token) = source_columns(&delivery.source);
    sqlx::query(sql)
        .bind(integration_id)
        .bind(token)
        .bind(&delivery.body)
        .bind(encode_headers(&delivery.headers))
        .bind(received_at)
        .bind(delivery.ordering_key.as_deref())
        .bind(delivery.occurred_at.map(EventTime::unix_millis))
        .bind(delivery.delivery_key.as_ref().map(DeliveryKey::as_str))
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
