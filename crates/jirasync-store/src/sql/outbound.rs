//! [`OutboxStore`](jirasync_domain::OutboxStore) in SQL: the outbox of outbound sync
//! (`jirasync_outbound`, migration 9), written once for both back-ends.
//!
//! Work is recorded by `insert_outbound` inside the caller's transaction (the standalone host's
//! `update_issue`, or `enqueue_outbound` on its own). A claim takes, per Jira issue, only the
//! oldest pending row (a `NOT EXISTS` probe on the partial index of pending rows by issue), when
//! due and not leased; on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances share the work
//! without waiting for each other (the same shape as the event deliveries' claim, decision 0015).

use jirasync_domain::StoreError;
use jirasync_domain::events::EventTimestamp;
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
use jirasync_domain::outbound::{OutboundAction, OutboundId, OutboundStatus, OutboundWork};
use jirasync_webhook::IssueKey;

use super::events::stored_u64;
use super::values::domain_id;

/// The columns of an [`OutboundRow`].
pub(crate) const OUTBOUND_COLUMNS: &str = "id, organization_id, integration_id, issue_key, \
     local_issue_id, action, status, attempts, created_at, pending_since, due_at, last_error";

/// A `jirasync_outbound` row, in [`OUTBOUND_COLUMNS`] order.
pub(crate) type OutboundRow = (
    i64,
    i64,
    i64,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
);

/// The work a row describes.
pub(crate) fn outbound_from_row(row: OutboundRow) -> Result<OutboundWork, StoreError> {
    let (
        id,
        organization_id,
        integration_id,
        issue_key,
        local_issue_id,
        action,
        status,
        attempts,
        created_at,
        pending_since,
        due_at,
        last_error,
    ) = row;
    let time = |raw: i64| stored_u64(raw, "time").map(EventTimestamp::from_unix_millis);
    Ok(OutboundWork {
        id: OutboundId::new(domain_id(id)?),
        organization_id: OrganizationId::new(domain_id(organization_id)?),
        integration_id: IntegrationId::new(domain_id(integration_id)?),
        issue_key: IssueKey::new(issue_key),
        local_issue_id: LocalIssueId::new(domain_id(local_issue_id)?),
        action: OutboundAction::from_json(&action).map_err(StoreError::other)?,
        status: OutboundStatus::from_name(&status)
            .ok_or_else(|| super::values::unknown("outbound status", &status))?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        created_at: time(created_at)?,
        pending_since: time(pending_since)?,
        at: time(due_at)?,
        last_error,
    })
}

/// Whether integration `$1` expects an echo for the Jira issue `$2` at all (selects one id).
pub(crate) const ANY_ECHO: &str = "SELECT id FROM jirasync_outbound_echoes \
    WHERE integration_id = $1 AND issue_key = $2 LIMIT 1";

/// Implements `OutboxStore` for `$store`, whose connections are `$connection`, and
/// `insert_outbound(connection, work)`, which the standalone host's `update_issue` calls in its
/// transaction. The module `$direct` (`sql/no_direct.rs`, `sqlite/direct.rs`) may answer
/// whether an issue has expected echoes at all; where it gives `None`, the shared statement runs.
macro_rules! outbound_store {
    ($store:ident, $connection:ty, direct = $direct:ident) => {
        use ::std::time::Duration;

        use ::async_trait::async_trait;
        use ::jirasync_domain::events::EventTimestamp;
        use ::jirasync_domain::ids::{IntegrationId, OrganizationId};
        use ::jirasync_domain::outbound::{
            EchoField, NewOutboundWork, OutboundEcho, OutboundClaim, OutboundFilter, OutboundId, OutboundJob,
            OutboundResult, OutboundStatus, OutboundWork, OutboxCounts,
        };
        use ::jirasync_domain::store::{
            OutboxStore, lost_outbound_claim, missing_outbound, not_failed, superseded,
        };
        use ::jirasync_domain::StoreError;
        use ::jirasync_webhook::IssueKey;

        use $crate::sql::Dialect;
        use $crate::sql::events::sql_u64;
        use $crate::sql::outbound::{OUTBOUND_COLUMNS, OutboundRow, outbound_from_row};
        use $crate::sql::values::sql_id;
        use $crate::sql_error::store_error;

        /// Records outbound work in the caller's transaction; its ids, in order.
        pub(crate) async fn insert_outbound(
            connection: &mut $connection,
            work: &[NewOutboundWork],
        ) -> Result<Vec<OutboundId>, ::sqlx::Error> {
            let mut ids = Vec::with_capacity(work.len());
            for new in work {
                let at = sql_u64(new.created_at.unix_millis());
                let id: i64 = ::sqlx::query_scalar(
                    "INSERT INTO jirasync_outbound (organization_id, integration_id, issue_key, \
                     local_issue_id, kind, action, status, created_at, pending_since, due_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7, $7) RETURNING id",
                )
                .bind(sql_id(new.organization_id.get()))
                .bind(sql_id(new.integration_id.get()))
                .bind(new.issue_key.as_str())
                .bind(sql_id(new.local_issue_id.get()))
                .bind(new.action.kind())
                .bind(new.action.to_json())
                .bind(at)
                .fetch_one(&mut *connection)
                .await?;
                ids.push(OutboundId::new(u64::try_from(id).unwrap_or_default()));
            }
            Ok(ids)
        }

        /// The work with this id.
        async fn outbound_by_id(
            connection: &mut $connection,
            id: OutboundId,
        ) -> Result<Option<OutboundWork>, StoreError> {
            let row: Option<OutboundRow> = ::sqlx::query_as(&format!(
                "SELECT {OUTBOUND_COLUMNS} FROM jirasync_outbound WHERE id = $1"
            ))
            .bind(sql_id(id.get()))
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error("reading outbound work", error))?;
            row.map(outbound_from_row).transpose()
        }

        #[async_trait]
        impl OutboxStore for $store {
            async fn enqueue_outbound(
                &self,
                work: &[NewOutboundWork],
            ) -> Result<Vec<OutboundId>, StoreError> {
                let what = "recording outbound work";
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let ids = insert_outbound(&mut transaction, work)
                    .await
                    .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                Ok(ids)
            }

            async fn claim_outbound(
                &self,
                now: EventTimestamp,
                lease: Duration,
                limit: usize,
            ) -> Result<Vec<OutboundJob>, StoreError> {
                let what = "claiming outbound work";
                let now_ms = sql_u64(now.unix_millis());
                let until =
                    now_ms.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                // The oldest pending row of each Jira issue, when due and not held by a live
                // claim (`d`: the dialect's row lock names it).
                let rows: Vec<OutboundRow> = ::sqlx::query_as(&format!(
                    "SELECT {OUTBOUND_COLUMNS} FROM jirasync_outbound d \
                     WHERE d.status = 'pending' AND d.due_at <= $1 \
                     AND (d.claimed_until IS NULL OR d.claimed_until <= $1) \
                     AND NOT EXISTS (SELECT 1 FROM jirasync_outbound p \
                     WHERE p.integration_id = d.integration_id AND p.issue_key = d.issue_key \
                     AND p.status = 'pending' AND p.id < d.id) \
                     ORDER BY d.id LIMIT $2{}",
                    <$store as Dialect>::SKIP_LOCKED
                ))
                .bind(now_ms)
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                let mut jobs = Vec::with_capacity(rows.len());
                for row in rows {
                    let work = outbound_from_row(row)?;
                    let token = ::jirasync_core::random_hex::<16>();
                    ::sqlx::query(
                        "UPDATE jirasync_outbound SET claim = $1, claimed_until = $2 \
                         WHERE id = $3",
                    )
                    .bind(&token)
                    .bind(until)
                    .bind(sql_id(work.id.get()))
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                    jobs.push(OutboundJob {
                        claim: OutboundClaim { id: work.id, token },
                        work,
                    });
                }
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                Ok(jobs)
            }

            async fn finish_outbound(
                &self,
                claim: &OutboundClaim,
                result: OutboundResult,
            ) -> Result<(), StoreError> {
                let (status, attempts_added, at, error) = match result {
                    OutboundResult::Done { at } => (OutboundStatus::Done, 0, at, None),
                    OutboundResult::Retry {
                        next_attempt_at,
                        error,
                    } => (OutboundStatus::Pending, 1, next_attempt_at, Some(error)),
                    OutboundResult::Failed { at, error } => {
                        (OutboundStatus::Failed, 1, at, Some(error))
                    }
                };
                let updated = ::sqlx::query(
                    "UPDATE jirasync_outbound SET status = $1, attempts = attempts + $2, \
                     due_at = $3, last_error = COALESCE($4, last_error), claim = NULL, \
                     claimed_until = NULL \
                     WHERE id = $5 AND status = 'pending' AND claim = $6",
                )
                .bind(status.as_str())
                .bind(attempts_added)
                .bind(sql_u64(at.unix_millis()))
                .bind(error)
                .bind(sql_id(claim.id.get()))
                .bind(&claim.token)
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("recording an outbound attempt", error))?;
                if updated.rows_affected() == 0 {
                    return Err(lost_outbound_claim(claim));
                }
                Ok(())
            }

            async fn outbound_work(
                &self,
                id: OutboundId,
            ) -> Result<Option<OutboundWork>, StoreError> {
                let mut connection =
                    $crate::sql::connection(&self.pool, "reading outbound work").await?;
                outbound_by_id(&mut connection, id).await
            }

            async fn list_outbound(
                &self,
                filter: OutboundFilter,
            ) -> Result<Vec<OutboundWork>, StoreError> {
                let limit = if filter.limit == 0 {
                    i64::MAX
                } else {
                    i64::try_from(filter.limit).unwrap_or(i64::MAX)
                };
                let rows: Vec<OutboundRow> = ::sqlx::query_as(&format!(
                    "SELECT {OUTBOUND_COLUMNS} FROM jirasync_outbound \
                     WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2"
                ))
                .bind(filter.status.map(OutboundStatus::as_str))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("listing outbound work", error))?;
                rows.into_iter().map(outbound_from_row).collect()
            }

            async fn retry_outbound(
                &self,
                id: OutboundId,
                now: EventTimestamp,
            ) -> Result<(), StoreError> {
                let what = "retrying outbound work";
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let work = outbound_by_id(&mut transaction, id)
                    .await?
                    .ok_or_else(|| missing_outbound(id))?;
                if work.status != OutboundStatus::Failed {
                    return Err(not_failed(id, work.status));
                }
                // A later change of the same field of the issue supersedes this one (never a
                // comment: each adds to the issue).
                let later: Vec<OutboundRow> = ::sqlx::query_as(&format!(
                    "SELECT {OUTBOUND_COLUMNS} FROM jirasync_outbound WHERE organization_id = $1 \
                     AND integration_id = $2 AND issue_key = $3 AND id > $4 ORDER BY id"
                ))
                .bind(sql_id(work.organization_id.get()))
                .bind(sql_id(work.integration_id.get()))
                .bind(work.issue_key.as_str())
                .bind(sql_id(id.get()))
                .fetch_all(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                for row in later {
                    let later = outbound_from_row(row)?;
                    if work.action.is_superseded_by(&later.action) {
                        return Err(superseded(id, later.id, &work.issue_key));
                    }
                }
                let at = sql_u64(now.unix_millis());
                ::sqlx::query(
                    "UPDATE jirasync_outbound SET status = 'pending', attempts = 0, \
                     pending_since = $1, due_at = $1, claim = NULL, claimed_until = NULL \
                     WHERE id = $2 AND status = 'failed'",
                )
                .bind(at)
                .bind(sql_id(id.get()))
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))
            }

            async fn purge_done_outbound(
                &self,
                before: EventTimestamp,
            ) -> Result<u64, StoreError> {
                let done = ::sqlx::query(
                    "DELETE FROM jirasync_outbound WHERE status = 'done' AND due_at < $1 \
                     AND NOT EXISTS (SELECT 1 FROM jirasync_outbound f \
                     WHERE f.status = 'failed' \
                     AND f.organization_id = jirasync_outbound.organization_id \
                     AND f.integration_id = jirasync_outbound.integration_id \
                     AND f.issue_key = jirasync_outbound.issue_key \
                     AND f.id < jirasync_outbound.id)",
                )
                .bind(sql_u64(before.unix_millis()))
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("purging done outbound work", error))?;
                Ok(done.rows_affected())
            }

            async fn expect_echo(&self, echo: &OutboundEcho) -> Result<(), StoreError> {
                ::sqlx::query(
                    "INSERT INTO jirasync_outbound_echoes (organization_id, integration_id, \
                     issue_key, field, value, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(sql_id(echo.organization_id.get()))
                .bind(sql_id(echo.integration_id.get()))
                .bind(echo.issue_key.as_str())
                .bind(echo.field.as_str())
                .bind(echo.value.to_lowercase())
                .bind(sql_u64(echo.expires_at.unix_millis()))
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("recording an expected echo", error))?;
                Ok(())
            }

            async fn take_echoes(
                &self,
                integration_id: IntegrationId,
                issue_key: &IssueKey,
                field: EchoField,
                value: &str,
                now: EventTimestamp,
            ) -> Result<Vec<OrganizationId>, StoreError> {
                let what = "reading expected echoes";
                // Most webhooks have no echo to expect: a read, without the write lock, says so.
                let any = match $direct::any_echo(self, integration_id, issue_key) {
                    Some(read) => read?,
                    None => ::sqlx::query_scalar::<_, i64>($crate::sql::outbound::ANY_ECHO)
                        .bind(sql_id(integration_id.get()))
                        .bind(issue_key.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|error| store_error(what, error))?
                        .is_some(),
                };
                if !any {
                    return Ok(Vec::new());
                }
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let taken: Vec<i64> = ::sqlx::query_scalar(
                    "DELETE FROM jirasync_outbound_echoes WHERE integration_id = $1 \
                     AND issue_key = $2 AND field = $3 AND value = $4 AND expires_at > $5 \
                     RETURNING organization_id",
                )
                .bind(sql_id(integration_id.get()))
                .bind(issue_key.as_str())
                .bind(field.as_str())
                .bind(value.to_lowercase())
                .bind(sql_u64(now.unix_millis()))
                .fetch_all(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                ::sqlx::query(
                    "DELETE FROM jirasync_outbound_echoes WHERE integration_id = $1 \
                     AND issue_key = $2 AND expires_at <= $3",
                )
                .bind(sql_id(integration_id.get()))
                .bind(issue_key.as_str())
                .bind(sql_u64(now.unix_millis()))
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                let mut organizations = taken
                    .into_iter()
                    .map(|id| {
                        $crate::sql::values::domain_id(id).map(OrganizationId::new)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                organizations.sort_unstable();
                organizations.dedup();
                Ok(organizations)
            }

            async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
                let rows: Vec<(String, i64)> = ::sqlx::query_as(
                    "SELECT status, COUNT(*) FROM jirasync_outbound \
                     WHERE status IN ('pending', 'failed') GROUP BY status",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("counting outbound work", error))?;
                let mut counts = OutboxCounts::default();
                for (status, count) in rows {
                    let count = u64::try_from(count).unwrap_or_default();
                    match status.as_str() {
                        "pending" => counts.pending = count,
                        "failed" => counts.failed = count,
                        _ => {}
                    }
                }
                Ok(counts)
            }
        }
    };
}

pub(crate) use outbound_store;
