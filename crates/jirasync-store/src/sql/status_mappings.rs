//! [`StatusMappingStore`](jirasync_domain::StatusMappingStore) in SQL
//! (`jirasync_status_mappings`, migration 10), written once for both back-ends.

/// The columns of a mapping row, in [`StatusMapping`](jirasync_domain::outbound::StatusMapping)
/// order.
pub(crate) const MAPPING_COLUMNS: &str =
    "organization_id, integration_id, project_id, project_key, on_resolve, on_unresolve";

macro_rules! status_mapping_store {
    ($store:ident) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::StoreError;
        use ::jirasync_domain::ids::{IntegrationId, OrganizationId};
        use ::jirasync_domain::outbound::StatusMapping;
        use ::jirasync_domain::store::StatusMappingStore;

        use $crate::sql::status_mappings::MAPPING_COLUMNS;
        use $crate::sql::values::{domain_id, sql_id};
        use $crate::sql_error::store_error;

        #[async_trait]
        impl StatusMappingStore for $store {
            async fn put_status_mapping(&self, mapping: &StatusMapping) -> Result<(), StoreError> {
                ::sqlx::query(&format!(
                    "INSERT INTO jirasync_status_mappings ({MAPPING_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (organization_id, integration_id, project_id) DO UPDATE SET \
                     project_key = excluded.project_key, on_resolve = excluded.on_resolve, \
                     on_unresolve = excluded.on_unresolve"
                ))
                .bind(sql_id(mapping.organization_id.get()))
                .bind(sql_id(mapping.integration_id.get()))
                .bind(&mapping.project_id)
                .bind(&mapping.project_key)
                .bind(&mapping.on_resolve)
                .bind(&mapping.on_unresolve)
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("storing a status mapping", error))?;
                Ok(())
            }

            async fn status_mappings(
                &self,
                organization: OrganizationId,
                integration: IntegrationId,
            ) -> Result<Vec<StatusMapping>, StoreError> {
                let what = "reading status mappings";
                let rows: Vec<(i64, i64, String, String, String, String)> =
                    ::sqlx::query_as(&format!(
                        "SELECT {MAPPING_COLUMNS} FROM jirasync_status_mappings \
                         WHERE organization_id = $1 AND integration_id = $2 \
                         ORDER BY project_key, project_id"
                    ))
                    .bind(sql_id(organization.get()))
                    .bind(sql_id(integration.get()))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|error| store_error(what, error))?;
                rows.into_iter()
                    .map(
                        |(organization, integration, project_id, project_key, on_resolve, on_unresolve)| {
                            Ok(StatusMapping {
                                organization_id: OrganizationId::new(domain_id(organization)?),
                                integration_id: IntegrationId::new(domain_id(integration)?),
                                project_id,
                                project_key,
                                on_resolve,
                                on_unresolve,
                            })
                        },
                    )
                    .collect()
            }

            async fn remove_status_mapping(
                &self,
                organization: OrganizationId,
                integration: IntegrationId,
                project: &str,
            ) -> Result<bool, StoreError> {
                let removed = ::sqlx::query(
                    "DELETE FROM jirasync_status_mappings \
                     WHERE organization_id = $1 AND integration_id = $2 \
                     AND (project_id = $3 OR project_key = $3)",
                )
                .bind(sql_id(organization.get()))
                .bind(sql_id(integration.get()))
                .bind(project)
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("removing a status mapping", error))?;
                Ok(removed.rows_affected() > 0)
            }
        }
    };
}

pub(crate) use status_mapping_store;
