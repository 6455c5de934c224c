//! The durable inbox on PostgreSQL.
//!
//! A claim picks the head of each ordering key (no other pending delivery of its key sorts
//! before it by `occurred_at NULLS FIRST, id`) with `FOR UPDATE SKIP LOCKED` and leases the rows
//! it picked in the same statement: workers on several instances never claim one delivery
//! twice, and a key's deliveries are handed out one at a time.
//!
//! Headers are stored as text, one `name: value` line per header, with `\`, line feeds and
//! carriage returns escaped (`\\`, `\n`, `\r`).

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use jirasync_domain::StoreError;
use jirasync_webhook::{DeliveryKey, EventTime};
use sqlx::postgres::PgRow;

use super::PostgresStore;
use crate::inbox_headers::{decode_headers, encode_headers};
use crate::sql::inbox::{source_columns, source_from_columns};
use crate::sql::values::{self, optional_system_time, system_time, unix_millis};
use crate::sql_error::store_error;
use jirasync_domain::inbox::{
    ClaimedDelivery, DeliveryId, DeliveryState, DeliverySummary, FailOutcome, Inbox, InboxDepth,
    NewDelivery,
};

/// "`a` sorts before `d`" in processing order, `NULLS FIRST` on `occurred_at`, then by id.
const SORTS_BEFORE: &str = "(
    (a.occurred_at IS NULL AND d.occurred_at IS NOT NULL)
    OR (a.occurred_at IS NULL AND d.occurred_at IS NULL AND a.id < d.id)
    OR (a.occurred_at < d.occurred_at)
    OR (a.occurred_at = d.occurred_at AND a.id < d.id)
)";

const DELIVERY_COLUMNS: &str = "id, integration_id, token, body, headers, received_at, ordering_key, \
                                occurred_at, delivery_key, attempts, leased_until";

#[async_trait]
impl Inbox for PostgresStore {
    async fn enqueue(&self, delivery: NewDelivery) -> Result<DeliveryId, StoreError> {
        let (integration_id, token) = source_columns(&delivery.source);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO jirasync_inbox_deliveries (integration_id, token, body, headers,
                 received_at, ordering_key, occurred_at, delivery_key, state, attempts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0)
             RETURNING id",
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
        .map_err(|error| store_error("enqueueing an inbox delivery", error))?;
        Ok(DeliveryId::new(id))
    }

    async fn claim(
        &self,
        now: SystemTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let leased_until = now.checked_add(lease).ok_or_else(|| {
            StoreError::invalid(format!("a lease of {lease:?} ends past the last time"))
        })?;
        let query = format!(
            "WITH picked AS (
                 SELECT d.id FROM jirasync_inbox_deliveries d
                 WHERE d.state = 'pending'
                   AND (d.leased_until IS NULL OR d.leased_until <= $1)
                   AND (d.available_at IS NULL OR d.available_at <= $1)
                   AND (d.ordering_key IS NULL OR NOT EXISTS (
                       SELECT 1 FROM jirasync_inbox_deliveries a
                       WHERE a.state = 'pending' AND a.ordering_key = d.ordering_key
                         AND {SORTS_BEFORE}))
                 ORDER BY d.occurred_at NULLS FIRST, d.id
                 LIMIT $3
                 FOR UPDATE SKIP LOCKED
             )
             UPDATE jirasync_inbox_deliveries SET attempts = attempts + 1, leased_until = $2
             FROM picked WHERE jirasync_inbox_deliveries.id = picked.id
             RETURNING {columns}",
            columns = DELIVERY_COLUMNS
                .split(", ")
                .map(|column| format!("jirasync_inbox_deliveries.{}", column.trim()))
                .collect::<Vec<_>>()
                .join(", "),
        );
        let rows = sqlx::query(&query)
            .bind(unix_millis(now)?)
            .bind(unix_millis(leased_until)?)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(|error| store_error("claiming inbox deliveries", error))?;
        let mut claimed = rows
            .iter()
            .map(claimed_delivery)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|claim| {
            (
                claim.delivery.occurred_at.map(EventTime::unix_millis),
                claim.id,
            )
        });
        Ok(claimed)
    }

    async fn complete(&self, id: DeliveryId, attempt: u32) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE jirasync_inbox_deliveries SET state = 'done', leased_until = NULL, available_at = NULL
             WHERE id = $1 AND state = 'pending' AND attempts = $2 AND leased_until IS NOT NULL",
        )
        .bind(id.get())
        .bind(i64::from(attempt))
        .execute(&self.pool)
        .await
        .map_err(|error| store_error("completing an inbox delivery", error))?;
        if updated.rows_affected() == 0 {
            return Err(self.not_held(id, attempt).await);
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
        let next_state = if retry_at.is_some() {
            DeliveryState::Pending
        } else {
            DeliveryState::Dead
        };
        let updated = sqlx::query(
            "UPDATE jirasync_inbox_deliveries
             SET state = $3, leased_until = NULL, last_error = $4, available_at = $5
             WHERE id = $1 AND state = 'pending' AND attempts = $2 AND leased_until IS NOT NULL",
        )
        .bind(id.get())
        .bind(i64::from(attempt))
        .bind(next_state.as_str())
        .bind(error)
        .bind(retry_at.map(unix_millis).transpose()?)
        .execute(&self.pool)
        .await
        .map_err(|driver| store_error("failing an inbox delivery", driver))?;
        if updated.rows_affected() == 0 {
            return Err(self.not_held(id, attempt).await);
        }
        Ok(match retry_at {
            Some(at) => FailOutcome::RetryAt(at),
            None => FailOutcome::DeadLettered,
        })
    }

    async fn replay(&self, id: DeliveryId) -> Result<(), StoreError> {
        let updated = sqlx::query(
            "UPDATE jirasync_inbox_deliveries
             SET state = 'pending', attempts = 0, available_at = NULL, leased_until = NULL,
                 last_error = NULL
             WHERE id = $1 AND state = 'dead'",
        )
        .bind(id.get())
        .execute(&self.pool)
        .await
        .map_err(|error| store_error("replaying an inbox delivery", error))?;
        if updated.rows_affected() > 0 {
            return Ok(());
        }
        match self.state_of(id).await? {
            None => Err(StoreError::not_found(format!("inbox delivery {id}"))),
            Some(state) => Err(StoreError::conflict(format!(
                "inbox delivery {id} is {state}, only a dead delivery can be replayed"
            ))),
        }
    }

    async fn list(
        &self,
        state: Option<DeliveryState>,
        limit: usize,
    ) -> Result<Vec<DeliverySummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, state, attempts, received_at, ordering_key, occurred_at, delivery_key,
                    available_at, leased_until, last_error
             FROM jirasync_inbox_deliveries
             WHERE $1::TEXT IS NULL OR state = $1
             ORDER BY id
             LIMIT $2",
        )
        .bind(state.map(DeliveryState::as_str))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(|error| store_error("listing inbox deliveries", error))?;
        rows.iter().map(summary).collect()
    }

    async fn depth(&self, now: SystemTime) -> Result<InboxDepth, StoreError> {
        let (ready, leased, dead): (i64, i64, i64) = sqlx::query_as(
            "SELECT
                 COUNT(*) FILTER (WHERE state = 'pending'
                     AND (leased_until IS NULL OR leased_until <= $1)),
                 COUNT(*) FILTER (WHERE state = 'pending' AND leased_until > $1),
                 COUNT(*) FILTER (WHERE state = 'dead')
             FROM jirasync_inbox_deliveries",
        )
        .bind(unix_millis(now)?)
        .fetch_one(&self.pool)
        .await
        .map_err(|error| store_error("counting inbox deliveries", error))?;
        Ok(InboxDepth {
            ready: count(ready),
            leased: count(leased),
            dead: count(dead),
        })
    }

    async fn purge_done(&self, before: SystemTime) -> Result<u64, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM jirasync_inbox_deliveries WHERE state = 'done' AND received_at < $1",
        )
        .bind(unix_millis(before)?)
        .execute(&self.pool)
        .await
        .map_err(|error| store_error("purging done inbox deliveries", error))?;
        Ok(deleted.rows_affected())
    }
}

impl PostgresStore {
    /// The error for a complete / fail whose attempt does not hold the delivery.
    async fn not_held(&self, id: DeliveryId, attempt: u32) -> StoreError {
        match self.state_of(id).await {
            Ok(None) => StoreError::not_found(format!("inbox delivery {id}")),
            Ok(Some(_)) => StoreError::conflict(format!(
                "inbox delivery {id} is no longer held by attempt {attempt}"
            )),
            Err(error) => error,
        }
    }

    async fn state_of(&self, id: DeliveryId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT state FROM jirasync_inbox_deliveries WHERE id = $1")
            .bind(id.get())
            .fetch_optional(&self.pool)
            .await
            .map_err(|error| store_error("reading an inbox delivery", error))
    }
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn column<'r, T>(row: &'r PgRow, name: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    values::column(row, name, "reading an inbox delivery")
}

fn attempts_of(row: &PgRow) -> Result<u32, StoreError> {
    let attempts: i64 = column(row, "attempts")?;
    u32::try_from(attempts).map_err(|_| StoreError::Other {
        message: format!("inbox delivery has {attempts} attempts, out of range"),
        source: None,
    })
}

fn claimed_delivery(row: &PgRow) -> Result<ClaimedDelivery, StoreError> {
    let leased_until: Option<i64> = column(row, "leased_until")?;
    let headers: String = column(row, "headers")?;
    let source = source_from_columns(column(row, "integration_id")?, column(row, "token")?)?;
    let ordering_key: Option<String> = column(row, "ordering_key")?;
    let occurred_at: Option<i64> = column(row, "occurred_at")?;
    let delivery_key: Option<String> = column(row, "delivery_key")?;
    Ok(ClaimedDelivery {
        id: DeliveryId::new(column(row, "id")?),
        attempt: attempts_of(row)?,
        leased_until: optional_system_time(leased_until)?.unwrap_or(SystemTime::UNIX_EPOCH),
        delivery: NewDelivery {
            source,
            body: column(row, "body")?,
            headers: decode_headers(&headers),
            received_at: system_time(column(row, "received_at")?)?,
            ordering_key,
            occurred_at: occurred_at.map(EventTime::from_unix_millis),
            delivery_key: delivery_key.map(DeliveryKey::from_stored),
        },
    })
}

fn summary(row: &PgRow) -> Result<DeliverySummary, StoreError> {
    let state: String = column(row, "state")?;
    let state = DeliveryState::from_name(&state).ok_or_else(|| StoreError::Other {
        message: format!("inbox delivery in unknown state {state:?}"),
        source: None,
    })?;
    let occurred_at: Option<i64> = column(row, "occurred_at")?;
    let delivery_key: Option<String> = column(row, "delivery_key")?;
    let available_at: Option<i64> = column(row, "available_at")?;
    let leased_until: Option<i64> = column(row, "leased_until")?;
    Ok(DeliverySummary {
        id: DeliveryId::new(column(row, "id")?),
        state,
        attempts: attempts_of(row)?,
        received_at: system_time(column(row, "received_at")?)?,
        ordering_key: column(row, "ordering_key")?,
        occurred_at: occurred_at.map(EventTime::from_unix_millis),
        delivery_key: delivery_key.map(DeliveryKey::from_stored),
        available_at: optional_system_time(available_at)?,
        leased_until: optional_system_time(leased_until)?,
        last_error: column(row, "last_error")?,
    })
}
