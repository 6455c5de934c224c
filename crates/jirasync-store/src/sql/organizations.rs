//! [`OrganizationStore`](jirasync_domain::OrganizationStore) in SQL: the application's
//! organizations as jirasync knows them (an id, a name, feature flags).

use jirasync_domain::StoreError;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::organization::{Organization, OrganizationFeatures};

use super::values::domain_id;
pub(crate) use crate::state_rows::OrganizationRow;

/// The columns of an [`OrganizationRow`].
pub(crate) const SELECT_ORGANIZATION: &str =
    "SELECT id, name, issue_sync, external_actors FROM jirasync_organizations";

/// The organization a row describes.
pub(crate) fn organization_from_row(row: OrganizationRow) -> Result<Organization, StoreError> {
    let (id, name, issue_sync, external_actors) = row;
    Ok(Organization {
        id: OrganizationId::new(domain_id(id)?),
        name,
        features: OrganizationFeatures {
            issue_sync,
            external_actors,
        },
    })
}

/// Implements `OrganizationStore` for `$store`. `$follow_ids` (`async fn(&mut connection,
/// table) -> Result<(), StoreError>`) makes the ids the database assigns later follow an id
/// written explicitly into `table`.
macro_rules! organization_store {
    ($store:ident, follow_ids = $follow_ids:path) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::ids::OrganizationId;
        use ::jirasync_domain::organization::Organization;
        use ::jirasync_domain::{OrganizationStore, StoreError};

        use $crate::sql::organizations::{
            OrganizationRow, SELECT_ORGANIZATION, organization_from_row,
        };
        use $crate::sql::values::{chosen_id, sql_id};
        use $crate::sql_error::store_error;

        #[async_trait]
        impl OrganizationStore for $store {
            async fn organization(
                &self,
                id: OrganizationId,
            ) -> Result<Option<Organization>, StoreError> {
                let row: Option<OrganizationRow> =
                    ::sqlx::query_as(&format!("{SELECT_ORGANIZATION} WHERE id = $1"))
                        .bind(sql_id(id.get()))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|error| store_error("reading an organization", error))?;
                row.map(organization_from_row).transpose()
            }

            async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
                let rows: Vec<OrganizationRow> =
                    ::sqlx::query_as(&format!("{SELECT_ORGANIZATION} ORDER BY id"))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|error| store_error("reading organizations", error))?;
                rows.into_iter().map(organization_from_row).collect()
            }

            async fn save_organization(
                &self,
                organization: Organization,
            ) -> Result<(), StoreError> {
                let what = "saving an organization";
                let id = chosen_id(organization.id.get(), "organization")?;
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                ::sqlx::query(
                    "INSERT INTO jirasync_organizations (id, name, issue_sync, external_actors) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET \
                     name = excluded.name, issue_sync = excluded.issue_sync, \
                     external_actors = excluded.external_actors",
                )
                .bind(id)
                .bind(&organization.name)
                .bind(organization.features.issue_sync)
                .bind(organization.features.external_actors)
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                $follow_ids(&mut transaction, "jirasync_organizations").await?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                self.config_changed();
                Ok(())
            }
        }
    };
}

pub(crate) use organization_store;
