//! [`IssueSyncStore`](jirasync_domain::IssueSyncStore) in SQL: the ordering-guard watermarks and
//! the delivery log, read when a sync of one Jira issue starts and written when it commits.
//!
//! How the syncs of one Jira issue are serialised differs per back-end (`sqlite/session.rs`: a
//! lease row taken and released in short transactions; `postgres/session.rs`: the issue's
//! `jirasync_external_issues` rows locked by a transaction held until the commit). What a
//! session reads and writes is the same SQL on both, here: the delivery log check, the
//! watermarks of the request's organizations, and the commit's writes.
//!
//! The one rule kept in SQL: a watermark never moves back (`WHERE col IS NULL OR col < new`),
//! so that a commit can never undo a newer one, whatever the rule asked.

use jirasync_domain::ids::OrganizationId;
use jirasync_domain::store::{IssueSyncRequest, SyncKind};
use jirasync_webhook::EventTime;

/// The column holding the watermark of `kind`; `None` for comments, which have none.
pub(crate) const fn watermark_column(kind: SyncKind) -> Option<&'static str> {
    match kind {
        SyncKind::Assignee => Some("assignee_updated_at"),
        SyncKind::Status => Some("status_updated_at"),
        SyncKind::Comment => None,
    }
}

/// Whether delivery key `$3` was recorded for kind `$2` and integration `$1` (one boolean).
pub(crate) const DELIVERY_LOGGED: &str = "SELECT EXISTS (SELECT 1 FROM jirasync_seen_deliveries \
    WHERE integration_id = $1 AND kind = $2 AND delivery_key = $3)";

/// Records delivery key `$3` for kind `$2` and integration `$1` (once).
#[cfg(feature = "sqlite")]
pub(crate) const RECORD_DELIVERY: &str = "INSERT INTO jirasync_seen_deliveries \
    (integration_id, kind, delivery_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

/// The (organization, watermark of `kind`) rows of the Jira issue `$2` of integration `$1` in
/// the organizations `$3`… (`organizations` of them), in organization order. A kind without a
/// watermark reads `NULL`.
pub(crate) fn select_watermarks(kind: SyncKind, organizations: usize) -> String {
    format!(
        "SELECT organization_id, {} FROM jirasync_external_issues \
         WHERE integration_id = $1 AND key = $2 AND organization_id IN ({}) \
         ORDER BY organization_id",
        watermark_column(kind).unwrap_or("CAST(NULL AS BIGINT)"),
        super::values::placeholders(3, organizations),
    )
}

/// Moves the watermark `column` of organization `$1`'s row of the Jira issue `$3` of
/// integration `$2` to `$4`, never back; the row is created when missing.
#[cfg(feature = "sqlite")]
pub(crate) fn advance_watermark(column: &str) -> String {
    format!(
        "INSERT INTO jirasync_external_issues \
         (organization_id, integration_id, key, {column}) VALUES ($1, $2, $3, $4) {}",
        never_back(column)
    )
}

/// [`advance_watermark`] for several organizations in one statement (PostgreSQL): the rows of
/// the organizations `$1` (an array) move to the times `$4` (an array, in the same order).
#[cfg(feature = "postgres")]
pub(crate) fn advance_watermarks(column: &str) -> String {
    format!(
        "INSERT INTO jirasync_external_issues \
         (organization_id, integration_id, key, {column}) \
         SELECT organization, $2, $3, at FROM unnest($1::BIGINT[], $4::BIGINT[]) \
         AS advance (organization, at) {}",
        never_back(column)
    )
}

/// The end of an insert into `jirasync_external_issues` that moves the watermark `column` of a
/// row already there to the inserted time, only forward.
fn never_back(column: &str) -> String {
    format!(
        "ON CONFLICT (organization_id, integration_id, key) DO UPDATE \
         SET {column} = excluded.{column} \
         WHERE jirasync_external_issues.{column} IS NULL \
         OR jirasync_external_issues.{column} < excluded.{column}"
    )
}

/// The watermark of each organization of `request`, in the request's order, from the `stored`
/// (organization, watermark) rows.
pub(crate) fn watermarks_in_request_order(
    request: &IssueSyncRequest,
    stored: &[(i64, Option<i64>)],
) -> Vec<(OrganizationId, Option<EventTime>)> {
    request
        .organizations
        .iter()
        .map(|organization| {
            let watermark = stored
                .iter()
                .find(|(stored, _)| *stored == super::values::sql_id(organization.get()))
                .and_then(|(_, watermark)| *watermark)
                .map(EventTime::from_unix_millis);
            (*organization, watermark)
        })
        .collect()
}

/// Implements `IssueSyncStore` for `$store`, whose connections are `$connection`, with
/// `begin_issue_sync` delegated to `$begin` (`async fn(&$store, IssueSyncRequest) ->
/// Result<IssueSyncStart, StoreError>`). The sessions read the delivery log and the watermarks
/// their own way (`sqlite/session.rs` on the writer, `postgres/issue_sync.rs` in one statement
/// that also locks); the reads here are outside any session.
macro_rules! issue_sync_store {
    ($store:ident, $connection:ty, begin = $begin:path) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::ids::{IntegrationId, OrganizationId};
        use ::jirasync_domain::store::{IssueSyncRequest, IssueSyncStart, SyncKind};
        use ::jirasync_domain::{IssueSyncStore, StoreError};
        use ::jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

        use $crate::sql::issue_sync::{DELIVERY_LOGGED, select_watermarks};
        use $crate::sql::values::sql_id;
        use $crate::sql_error::store_error;

        /// Whether `delivery_key` was recorded for `kind` and the integration.
        async fn delivery_logged(
            connection: &mut $connection,
            integration_id: i64,
            kind: SyncKind,
            delivery_key: &DeliveryKey,
        ) -> Result<bool, ::sqlx::Error> {
            ::sqlx::query_scalar(DELIVERY_LOGGED)
                .bind(integration_id)
                .bind(kind.as_str())
                .bind(delivery_key.as_str())
                .fetch_one(connection)
                .await
        }

        /// The stored watermarks of `kind` for the organizations (stored ids) that have an
        /// external issue row of (integration, key), in organization order.
        async fn stored_watermarks(
            connection: &mut $connection,
            integration_id: i64,
            key: &IssueKey,
            kind: SyncKind,
            organizations: &[i64],
        ) -> Result<Vec<(i64, Option<i64>)>, ::sqlx::Error> {
            if organizations.is_empty() {
                return Ok(Vec::new());
            }
            let sql = select_watermarks(kind, organizations.len());
            let mut query = ::sqlx::query_as::<_, (i64, Option<i64>)>(&sql)
                .bind(integration_id)
                .bind(key.as_str());
            for organization in organizations {
                query = query.bind(*organization);
            }
            query.fetch_all(connection).await
        }

        #[async_trait]
        impl IssueSyncStore for $store {
            async fn begin_issue_sync(
                &self,
                request: IssueSyncRequest,
            ) -> Result<IssueSyncStart, StoreError> {
                $begin(self, request).await
            }

            async fn watermark(
                &self,
                organization_id: OrganizationId,
                integration_id: IntegrationId,
                key: &IssueKey,
                kind: SyncKind,
            ) -> Result<Option<EventTime>, StoreError> {
                let what = "reading a watermark";
                let mut connection = $crate::sql::connection(&self.pool, what).await?;
                let stored = stored_watermarks(
                    &mut connection,
                    sql_id(integration_id.get()),
                    key,
                    kind,
                    &[sql_id(organization_id.get())],
                )
                .await
                .map_err(|error| store_error(what, error))?;
                Ok(stored
                    .first()
                    .and_then(|(_, watermark)| *watermark)
                    .map(EventTime::from_unix_millis))
            }

            async fn delivery_seen(
                &self,
                integration_id: IntegrationId,
                kind: SyncKind,
                delivery_key: &DeliveryKey,
            ) -> Result<bool, StoreError> {
                let what = "checking the delivery log";
                let mut connection = $crate::sql::connection(&self.pool, what).await?;
                delivery_logged(
                    &mut connection,
                    sql_id(integration_id.get()),
                    kind,
                    delivery_key,
                )
                .await
                .map_err(|error| store_error(what, error))
            }
        }
    };
}

pub(crate) use issue_sync_store;
