//! [`ReconcileStore`](jirasync_domain::ReconcileStore) in SQL: an integration's linked keys in
//! batches (keyset pagination on the `(integration_id, key)` index of
//! `jirasync_external_issues`), and `jirasync_reconcile_points` (migration 5): the reconcile point,
//! which only moves forward, and the lease, taken with one conditional upsert so that two
//! instances sharing PostgreSQL never both hold it.

/// Implements `ReconcileStore` for `$store`.
macro_rules! reconcile_store {
    ($store:ident) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::ids::IntegrationId;
        use ::jirasync_domain::{ReconcileStore, StoreError};
        use ::jirasync_webhook::{EventTime, IssueKey};

        use $crate::sql::values::{sql_id, unix_millis};
        use $crate::sql_error::store_error;

        /// The linked keys of one integration, in key order: those after `$2` when the query
        /// has it.
        const LINKED_KEYS: &str = "SELECT DISTINCT e.key FROM jirasync_external_issues e \
             WHERE e.integration_id = $1 \
             AND EXISTS (SELECT 1 FROM jirasync_external_issue_links l \
             WHERE l.external_issue_id = e.id)";

        impl $store {
            /// [`StoreError::NotFound`] unless the integration exists.
            async fn require_integration(
                &self,
                integration_id: IntegrationId,
                what: &str,
            ) -> Result<(), StoreError> {
                let exists: bool = ::sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM jirasync_integrations WHERE id = $1)",
                )
                .bind(sql_id(integration_id.get()))
                .fetch_one(&self.pool)
                .await
                .map_err(|error| store_error(what, error))?;
                if exists {
                    Ok(())
                } else {
                    Err(StoreError::not_found(format!(
                        "integration {integration_id}"
                    )))
                }
            }
        }

        #[async_trait]
        impl ReconcileStore for $store {
            async fn linked_issue_keys(
                &self,
                integration_id: IntegrationId,
                after: Option<&IssueKey>,
                limit: u32,
            ) -> Result<Vec<IssueKey>, StoreError> {
                let what = "reading the linked issue keys of an integration";
                let integration_id = sql_id(integration_id.get());
                let limit = i64::from(limit);
                let keys: Vec<String> = match after {
                    None => {
                        ::sqlx::query_scalar(&format!("{LINKED_KEYS} ORDER BY e.key LIMIT $2"))
                            .bind(integration_id)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await
                    }
                    Some(after) => {
                        ::sqlx::query_scalar(&format!(
                            "{LINKED_KEYS} AND e.key > $2 ORDER BY e.key LIMIT $3"
                        ))
                        .bind(integration_id)
                        .bind(after.as_str())
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await
                    }
                }
                .map_err(|error| store_error(what, error))?;
                Ok(keys.into_iter().map(IssueKey::new).collect())
            }

            async fn reconcile_point(
                &self,
                integration_id: IntegrationId,
            ) -> Result<Option<EventTime>, StoreError> {
                let point: Option<Option<i64>> = ::sqlx::query_scalar(
                    "SELECT reconciled_to FROM jirasync_reconcile_points WHERE integration_id = $1",
                )
                .bind(sql_id(integration_id.get()))
                .fetch_optional(&self.pool)
                .await
                .map_err(|error| store_error("reading a reconcile point", error))?;
                Ok(point.flatten().map(EventTime::from_unix_millis))
            }

            async fn advance_reconcile_point(
                &self,
                integration_id: IntegrationId,
                point: EventTime,
            ) -> Result<(), StoreError> {
                let what = "moving a reconcile point";
                self.require_integration(integration_id, what).await?;
                ::sqlx::query(
                    "INSERT INTO jirasync_reconcile_points (integration_id, reconciled_to) \
                     VALUES ($1, $2) ON CONFLICT (integration_id) DO UPDATE \
                     SET reconciled_to = excluded.reconciled_to \
                     WHERE jirasync_reconcile_points.reconciled_to IS NULL \
                     OR jirasync_reconcile_points.reconciled_to < excluded.reconciled_to",
                )
                .bind(sql_id(integration_id.get()))
                .bind(point.unix_millis())
                .execute(&self.pool)
                .await
                .map_err(|error| store_error(what, error))?;
                Ok(())
            }

            async fn acquire_reconcile_lease(
                &self,
                integration_id: IntegrationId,
                holder: &str,
                now: ::std::time::SystemTime,
                until: ::std::time::SystemTime,
            ) -> Result<bool, StoreError> {
                let what = "taking a reconcile lease";
                self.require_integration(integration_id, what).await?;
                // One statement: the row is created free, or taken when it is free, already
                // this holder's, or expired; otherwise nothing is written.
                let taken = ::sqlx::query(
                    "INSERT INTO jirasync_reconcile_points \
                     (integration_id, lease_holder, lease_expires_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (integration_id) DO UPDATE \
                     SET lease_holder = excluded.lease_holder, \
                     lease_expires_at = excluded.lease_expires_at \
                     WHERE jirasync_reconcile_points.lease_holder IS NULL \
                     OR jirasync_reconcile_points.lease_holder = excluded.lease_holder \
                     OR jirasync_reconcile_points.lease_expires_at <= $4",
                )
                .bind(sql_id(integration_id.get()))
                .bind(holder)
                .bind(unix_millis(until)?)
                .bind(unix_millis(now)?)
                .execute(&self.pool)
                .await
                .map_err(|error| store_error(what, error))?
                .rows_affected();
                Ok(taken == 1)
            }

            async fn release_reconcile_lease(
                &self,
                integration_id: IntegrationId,
                holder: &str,
            ) -> Result<(), StoreError> {
                ::sqlx::query(
                    "UPDATE jirasync_reconcile_points \
                     SET lease_holder = NULL, lease_expires_at = NULL \
                     WHERE integration_id = $1 AND lease_holder = $2",
                )
                .bind(sql_id(integration_id.get()))
                .bind(holder)
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("releasing a reconcile lease", error))?;
                Ok(())
            }
        }
    };
}

pub(crate) use reconcile_store;
