//! [`Inbox`](jirasync_domain::inbox::Inbox) on SQLite: the shared SQL of `sql/inbox.rs`, with
//! deliveries claimed in a `BEGIN IMMEDIATE` transaction, so that concurrent workers (of this
//! process, or of another sharing the file) take turns and never claim one delivery twice.
//! Deliveries are enqueued through the store's writer (`writer.rs`): the deliveries that arrive
//! together are committed together.

use jirasync_domain::StoreError;
use jirasync_domain::inbox::{DeliveryId, NewDelivery};
use jirasync_webhook::{DeliveryKey, EventTime};
use rusqlite::named_params;

use super::SqliteStore;
use crate::inbox_headers::encode_headers;
use crate::sql::inbox::{
    BECOME_HEAD, CLAIMABLE_HEADS, CLAIMED_COLUMNS, ClaimedRow, DUE_HEADS, INSERT_DELIVERY,
    StoredClaim, source_columns,
};
use crate::sql::values::unix_millis;
use crate::sql_error::{store_error, writer_error};

crate::sql::inbox::inbox_store!(
    SqliteStore,
    ::sqlx::SqliteConnection,
    claim = lease_claimable,
    enqueue = writer_enqueue
);

/// Writes a delivery through the store's writer, committed with the others queued with it.
async fn writer_enqueue(
    store: &SqliteStore,
    delivery: NewDelivery,
) -> Result<Result<DeliveryId, StoreError>, NewDelivery> {
    const WHAT: &str = "enqueueing an inbox delivery";
    let received_at = match unix_millis(delivery.received_at) {
        Ok(received_at) => received_at,
        Err(error) => return Ok(Err(error)),
    };
    Ok(store
        .writer
        .write(WHAT, move |connection| {
            let (integration_id, token) = source_columns(&delivery.source);
            let occurred_at = delivery.occurred_at.map(EventTime::unix_millis);
            let ordering_key = delivery.ordering_key.as_deref();
            let id: i64 = connection
                .prepare_cached(INSERT_DELIVERY)
                .and_then(|mut insert| {
                    insert.query_row(
                        named_params! {
                            "$1": integration_id,
                            "$2": token,
                            "$3": delivery.body,
                            "$4": encode_headers(&delivery.headers),
                            "$5": received_at,
                            "$6": ordering_key,
                            "$7": occurred_at,
                            "$8": delivery.delivery_key.as_ref().map(DeliveryKey::as_str),
                        },
                        |row| row.get(0),
                    )
                })
                .map_err(|error| writer_error(WHAT, error))?;
            connection
                .prepare_cached(BECOME_HEAD)
                .and_then(|mut become_head| {
                    become_head.execute(named_params! {
                        "$1": id,
                        "$2": ordering_key,
                        "$3": occurred_at,
                    })
                })
                .map_err(|error| writer_error(WHAT, error))?;
            Ok(DeliveryId::new(id))
        })
        .await)
}

/// Whether any head is claimable, or due at `$1` (selects one row), from the heads' indexes.
const ANY_CLAIMABLE_HEAD: &str = "SELECT 1 FROM jirasync_inbox_heads WHERE waiting_until IS NULL \
    UNION ALL SELECT 1 FROM jirasync_inbox_heads WHERE waiting_until <= $1 LIMIT 1";

/// Attempts are a `u32`; the column never goes past it.
const MAX_ATTEMPTS: i64 = u32::MAX as i64;

/// Leases the first claimable heads, oldest first, and counts an attempt on each.
async fn lease_claimable(
    store: &SqliteStore,
    claim: StoredClaim,
    what: &str,
) -> Result<Vec<ClaimedRow>, StoreError> {
    // Nothing claimable and nothing due (an idle inbox): a direct read says so, without the
    // write lock.
    let any = store.readers.read(what, |connection| {
        connection
            .prepare_cached(ANY_CLAIMABLE_HEAD)
            .and_then(|mut select| select.exists([claim.now]))
            .map_err(|error| writer_error(what, error))
    })?;
    if !any {
        return Ok(Vec::new());
    }
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
