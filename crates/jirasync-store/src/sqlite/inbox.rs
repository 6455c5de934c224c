//! [`Inbox`] on SQLite: the `jirasync_inbox_deliveries` table, claimed in `BEGIN IMMEDIATE` transactions
//! so concurrent workers take turns and never claim one delivery twice.
//!
//! Times are stored as Unix epoch milliseconds: a sub-millisecond part of a `SystemTime` (such as
//! `received_at`) is dropped, rounding down.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use jirasync_domain::StoreError;
use jirasync_webhook::{DeliveryKey, EventTime};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::SqliteStore;
use crate::inbox_headers::{decode_headers, encode_headers};
use crate::sql::inbox::{source_columns, source_from_columns};
use crate::sql::values::{column, optional_system_time, system_time, unix_millis, unknown};
use crate::sql_error::store_error;
use jirasync_domain::inbox::{
    ClaimedDelivery, DeliveryId, DeliveryState, DeliverySummary, FailOutcome, Inbox, InboxDepth,
    NewDelivery,
};

/// Whether a pending delivery `o` comes before `d` in processing order: oldest change first
/// (no change time first, as `NULLS FIRST`), then oldest enqueued.
const SORTS_BEFORE_D: &str = "(o.occurred_at IS NULL AND d.occurred_at IS NOT NULL \
     OR (o.occurred_at IS NULL AND d.occurred_at IS NULL AND o.id < d.id) \
     OR o.occurred_at < d.occurred_at \
     OR (o.occurred_at = d.occurred_at AND o.id < d.id))";

/// Attempts are a `u32`; the column never goes past it.
const MAX_ATTEMPTS: i64 = u32::MAX as i64;

fn attempts_from(stored: i64) -> u32 {
    u32::try_from(stored.clamp(0, MAX_ATTEMPTS)).unwrap_or(u32::MAX)
}

/// A `usize` limit as SQL's `LIMIT`.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn state_from(stored: &str) -> Result<DeliveryState, StoreError> {
    DeliveryState::from_name(stored).ok_or_else(|| unknown("inbox delivery state", stored))
}

/// The delivery as enqueued, from a row with every column.
fn delivery_from_row(row: &SqliteRow, what: &str) -> Result<NewDelivery, StoreError> {
    let headers: String = column(row, "headers", what)?;
    Ok(NewDelivery {
        source: source_from_columns(
            column(row, "integration_id", what)?,
            column(row, "token", what)?,
        )?,
        body: column(row, "body", what)?,
        headers: decode_headers(&headers),
        received_at: system_time(column(row, "received_at", what)?)?,
        ordering_key: column(row, "ordering_key", what)?,
        occurred_at: column::<Option<i64>, _>(row, "occurred_at", what)?
            .map(EventTime::from_unix_millis),
        delivery_key: column::<Option<String>, _>(row, "delivery_key", what)?
            .map(DeliveryKey::from_stored),
    })
}

fn summary_from_row(row: &SqliteRow) -> Result<DeliverySummary, StoreError> {
    let what = "listing inbox deliveries";
    Ok(DeliverySummary {
        id: DeliveryId::new(column(row, "id", what)?),
        state: state_from(&column::<String, _>(row, "state", what)?)?,
        attempts: attempts_from(column(row, "attempts", what)?),
        received_at: system_time(column(row, "received_at", what)?)?,
        ordering_key: column(row, "ordering_key", what)?,
        occurred_at: column::<Option<i64>, _>(row, "occurred_at", what)?
            .map(EventTime::from_unix_millis),
        delivery_key: column::<Option<String>, _>(row, "delivery_key", what)?
            .map(DeliveryKey::from_stored),
        available_at: optional_system_time(column(row, "available_at", what)?)?,
        leased_until: optional_system_time(column(row, "leased_until", what)?)?,
        last_error: column(row, "last_error", what)?,
    })
}

/// Why `attempt` could not act on delivery `id`: it does not exist, or that attempt no longer
/// holds it.
async fn not_held(connection: &mut SqliteConnection, id: DeliveryId, attempt: u32) -> StoreError {
    let exists =
        sqlx::query_scalar::<_, i64>("SELECT id FROM jirasync_inbox_deliveries WHERE id = ?")
            .bind(id.get())
            .fetch_optional(connection)
            .await;
    match exists {
        Ok(Some(_)) => StoreError::conflict(format!(
            "inbox delivery {id} is no longer held by attempt {attempt}"
        )),
        Ok(None) => StoreError::not_found(format!("inbox delivery {id}")),
        Err(error) => store_error("reading an inbox delivery", error),
    }
}

/// The lease's end, in stored milliseconds.
fn lease_end(now: i64, lease: Duration) -> Result<i64, StoreError> {
    i64::try_from(lease.as_millis())
        .ok()
        .and_then(|lease| now.checked_add(lease))
        .ok_or_else(|| StoreError::invalid(format!("lease of {lease:?} is out of range")))
}

#[async_trait]
impl Inbox for SqliteStore {
    async fn enqueue(&self, delivery: NewDelivery) -> Result<DeliveryId, StoreError> {
        let (integration_id, token) = source_columns(&delivery.source);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO jirasync_inbox_deliveries (integration_id, token, body, headers, \
             received_at, ordering_key, occurred_at, delivery_key, state, attempts) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0) RETURNING id",
        )
        .bind(integration_id)
        .bind(token)
        .bind(&delivery.body)
        .bind(encode_headers(&delivery.headers))
        .bind(unix_millis(delivery.received_at)?)
        .bind(delivery.ordering_key.as_deref())
        .bind(delivery.occurred_at.map(EventTime::unix_millis))
        .bind(delivery.delivery_key.as_ref().map(DeliveryKey::as_str))
        .fetch_one(&self.pool)
        .await
        .map_err(|error| store_error("enqueueing a delivery", error))?;
        Ok(DeliveryId::new(id))
    }

    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let what = "claiming inbox deliveries";
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = unix_millis(now)?;
        let leased_until = lease_end(now, lease)?;
        let mut transaction = self.begin_write(what).await?;
        // Claimable: pending, lease free or ended, retry time reached, and first of its ordering
        // key among every pending delivery (leased or waiting ones hold the key too).
        let rows = sqlx::query(&format!(
            "UPDATE jirasync_inbox_deliveries \
             SET attempts = MIN(attempts + 1, {MAX_ATTEMPTS}), leased_until = ?1 \
             WHERE id IN ( \
                 SELECT d.id FROM jirasync_inbox_deliveries d \
                 WHERE d.state = 'pending' \
                 AND (d.leased_until IS NULL OR d.leased_until <= ?2) \
                 AND (d.available_at IS NULL OR d.available_at <= ?2) \
                 AND (d.ordering_key IS NULL OR NOT EXISTS ( \
                     SELECT 1 FROM jirasync_inbox_deliveries o \
                     WHERE o.state = 'pending' AND o.ordering_key = d.ordering_key \
                     AND {SORTS_BEFORE_D})) \
                 ORDER BY d.occurred_at, d.id LIMIT ?3) \
             RETURNING *"
        ))
        .bind(leased_until)
        .bind(now)
        .bind(sql_limit(limit))
        .fetch_all(&mut *transaction)
        .await
        .map_err(|error| store_error(what, error))?;
        transaction
            .commit()
            .await
            .map_err(|error| store_error(what, error))?;

        let mut claimed = rows
            .iter()
            .map(|row| {
                let occurred_at: Option<i64> = column(row, "occurred_at", what)?;
                let id: i64 = column(row, "id", what)?;
                Ok((
                    (occurred_at, id),
                    ClaimedDelivery {
                        id: DeliveryId::new(id),
                        attempt: attempts_from(column(row, "attempts", what)?),
                        leased_until: system_time(column(row, "leased_until", what)?)?,
                        delivery: delivery_from_row(row, what)?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING gives no order: hand them out oldest first, as they were chosen.
        claimed.sort_by_key(|(order, _)| *order);
        Ok(claimed.into_iter().map(|(_, delivery)| delivery).collect())
    }

    async fn complete(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError> {
        let what = "completing an inbox delivery";
        let mut connection = self.connection(what).await?;
        let updated = sqlx::query(
            "UPDATE jirasync_inbox_deliveries SET state = 'done', leased_until = NULL, available_at = NULL \
             WHERE id = ? AND state = 'pending' AND attempts = ? AND leased_until IS NOT NULL",
        )
        .bind(id.get())
        .bind(i64::from(attempt))
        .execute(&mut *connection)
        .await
        .map_err(|error| store_error(what, error))?;
        if updated.rows_affected() == 0 {
            return Err(not_held(&mut connection, id, attempt).await);
        }
        Ok(())
    }

    async fn fail(
        &self,
        id: DeliveryId,
        attempt: u32,
        error: &str,
        retry_at: Option<SystemTime>,
    ) -> Result<FailOutcome, StoreError> {
        let what = "recording an inbox delivery's failure";
        let retry_at_millis = retry_at.map(unix_millis).transpose()?;
        let mut connection = self.connection(what).await?;
        let updated = sqlx::query(
            "UPDATE jirasync_inbox_deliveries SET leased_until = NULL, last_error = ?, available_at = ?, \
             state = CASE WHEN ? IS NULL THEN 'dead' ELSE 'pending' END \
             WHERE id = ? AND state = 'pending' AND attempts = ? AND leased_until IS NOT NULL",
        )
        .bind(error)
        .bind(retry_at_millis)
        .bind(retry_at_millis)
        .bind(id.get())
        .bind(i64::from(attempt))
        .execute(&mut *connection)
        .await
        .map_err(|error| store_error(what, error))?;
        if updated.rows_affected() == 0 {
            return Err(not_held(&mut connection, id, attempt).await);
        }
        Ok(match retry_at {
            Some(at) => FailOutcome::RetryAt(at),
            None => FailOutcome::DeadLettered,
        })
    }

    async fn replay(&self, id: DeliveryId) -> Result<(), StoreError> {
        let what = "replaying an inbox delivery";
        let mut connection = self.connection(what).await?;
        let updated = sqlx::query(
            "UPDATE jirasync_inbox_deliveries SET state = 'pending', attempts = 0, available_at = NULL, \
             leased_until = NULL, last_error = NULL WHERE id = ? AND state = 'dead'",
        )
        .bind(id.get())
        .execute(&mut *connection)
        .await
        .map_err(|error| store_error(what, error))?;
        if updated.rows_affected() > 0 {
            return Ok(());
        }
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM jirasync_inbox_deliveries WHERE id = ?")
                .bind(id.get())
                .fetch_optional(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
        Err(match state {
            None => StoreError::not_found(format!("inbox delivery {id}")),
            Some(state) => StoreError::conflict(format!(
                "inbox delivery {id} is {state}, only a dead delivery can be replayed"
            )),
        })
    }

    async fn list(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<DeliverySummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, state, attempts, received_at, ordering_key, occurred_at, delivery_key, \
             available_at, leased_until, last_error FROM jirasync_inbox_deliveries \
             WHERE ?1 IS NULL OR state = ?1 ORDER BY id LIMIT ?2",
        )
        .bind(state.map(DeliveryState::as_str))
        .bind(sql_limit(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|error| store_error("listing inbox deliveries", error))?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn depth(&self, now: SystemTime) -> Result<InboxDepth, StoreError> {
        let now = unix_millis(now)?;
        let row = sqlx::query(
            "SELECT \
             COUNT(*) FILTER (WHERE state = 'pending' AND (leased_until IS NULL OR leased_until <= ?1)) AS ready, \
             COUNT(*) FILTER (WHERE state = 'pending' AND leased_until > ?1) AS leased, \
             COUNT(*) FILTER (WHERE state = 'dead') AS dead \
             FROM jirasync_inbox_deliveries",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|error| store_error("counting inbox deliveries", error))?;
        let count = |name: &str| -> Result<u64, StoreError> {
            let count: i64 = row
                .try_get(name)
                .map_err(|error| store_error("counting inbox deliveries", error))?;
            Ok(u64::try_from(count).unwrap_or_default())
        };
        Ok(InboxDepth {
            ready: count("ready")?,
            leased: count("leased")?,
            dead: count("dead")?,
        })
    }

    async fn purge_done(&self, before: SystemTime) -> Result<u64, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM jirasync_inbox_deliveries WHERE state = 'done' AND received_at < ?",
        )
        .bind(unix_millis(before)?)
        .execute(&self.pool)
        .await
        .map_err(|error| store_error("purging done inbox deliveries", error))?;
        Ok(deleted.rows_affected())
    }
}
