//! [`ExternalActorStore`](jirasync_domain::ExternalActorStore) in SQL: external names mapped to
//! users and teams. The uniqueness rule (one actor per organization, provider, exact name and
//! target) is the schema's unique indexes; case-insensitive look-ups use `external_name_lower`,
//! lower-cased by the application.

use jirasync_domain::StoreError;
use jirasync_domain::external_actor::{ActorTarget, ExternalActor, ExternalProvider};
use jirasync_domain::ids::{ExternalActorId, IntegrationId, OrganizationId, TeamId, UserId};

use super::values::{domain_id, sql_id, unknown};
use crate::sql_error::store_error;

/// The columns of an [`ActorRow`].
pub(crate) const SELECT_ACTOR: &str = "SELECT id, organization_id, integration_id, provider, \
    external_name, external_id, user_id, team_id FROM jirasync_external_actors";

/// An `external_actors` row: id, organization, integration, provider, name, external id, user,
/// team.
pub(crate) type ActorRow = (
    i64,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

/// The message of the uniqueness rule, as the in-memory store words it.
const CLASH: &str = "an external actor with this provider, external name and user or team exists";

/// The external actor a row describes.
pub(crate) fn actor_from_row(row: ActorRow) -> Result<ExternalActor, StoreError> {
    let (id, organization_id, integration_id, provider, external_name, external_id, user, team) =
        row;
    let target = match (user, team) {
        (Some(user), None) => ActorTarget::User(UserId::new(domain_id(user)?)),
        (None, Some(team)) => ActorTarget::Team(TeamId::new(domain_id(team)?)),
        _ => {
            return Err(StoreError::other(format!(
                "external actor {id} has no single target"
            )));
        }
    };
    Ok(ExternalActor {
        id: ExternalActorId::new(domain_id(id)?),
        organization_id: OrganizationId::new(domain_id(organization_id)?),
        integration_id: IntegrationId::new(domain_id(integration_id)?),
        provider: ExternalProvider::from_name(&provider)
            .ok_or_else(|| unknown("external actor provider", &provider))?,
        external_name,
        external_id,
        target,
    })
}

/// The (user, team) columns of a target.
pub(crate) fn target_columns(target: ActorTarget) -> (Option<i64>, Option<i64>) {
    match target {
        ActorTarget::User(user) => (Some(sql_id(user.get())), None),
        ActorTarget::Team(team) => (None, Some(sql_id(team.get()))),
    }
}

/// The column a target is stored in, and its id.
pub(crate) fn target_column(target: ActorTarget) -> (&'static str, i64) {
    match target {
        ActorTarget::User(user) => ("user_id", sql_id(user.get())),
        ActorTarget::Team(team) => ("team_id", sql_id(team.get())),
    }
}

/// A uniqueness violation worded as the domain expects; other errors as usual.
pub(crate) fn actor_write_error(what: &str, error: sqlx::Error) -> StoreError {
    match store_error(what, error) {
        StoreError::Conflict { .. } => StoreError::conflict(CLASH),
        other => other,
    }
}

/// Implements `ExternalActorStore` for `$store`.
macro_rules! external_actor_store {
    ($store:ident) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::external_actor::{
            ActorFilter, ActorTarget, ExternalActor, ExternalProvider, NewExternalActor,
        };
        use ::jirasync_domain::ids::{ExternalActorId, IntegrationId, OrganizationId, UserId};
        use ::jirasync_domain::{ExternalActorStore, StoreError};

        use $crate::sql::external_actors::{
            ActorRow, SELECT_ACTOR, actor_from_row, actor_write_error, target_column,
            target_columns,
        };
        use $crate::sql::values::{domain_id, placeholders, sql_id};
        use $crate::sql_error::store_error;

        #[async_trait]
        impl ExternalActorStore for $store {
            async fn external_actor(
                &self,
                organization_id: OrganizationId,
                id: ExternalActorId,
            ) -> Result<Option<ExternalActor>, StoreError> {
                let row: Option<ActorRow> = ::sqlx::query_as(&format!(
                    "{SELECT_ACTOR} WHERE id = $1 AND organization_id = $2"
                ))
                .bind(sql_id(id.get()))
                .bind(sql_id(organization_id.get()))
                .fetch_optional(&self.pool)
                .await
                .map_err(|error| store_error("reading an external actor", error))?;
                row.map(actor_from_row).transpose()
            }

            async fn external_actors(
                &self,
                organization_id: OrganizationId,
                filter: ActorFilter,
            ) -> Result<Vec<ExternalActor>, StoreError> {
                // An actor has exactly one target (the schema checks it), so a target is
                // matched by its one column.
                let (condition, target_id) = match filter {
                    ActorFilter::All => (String::new(), None),
                    ActorFilter::Users => (" AND user_id IS NOT NULL".to_owned(), None),
                    ActorFilter::Teams => (" AND team_id IS NOT NULL".to_owned(), None),
                    ActorFilter::Target(target) => {
                        let (column, id) = target_column(target);
                        (format!(" AND {column} = $2"), Some(id))
                    }
                };
                let sql =
                    format!("{SELECT_ACTOR} WHERE organization_id = $1{condition} ORDER BY id");
                let mut query =
                    ::sqlx::query_as::<_, ActorRow>(&sql).bind(sql_id(organization_id.get()));
                if let Some(target_id) = target_id {
                    query = query.bind(target_id);
                }
                let rows = query
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|error| store_error("listing external actors", error))?;
                rows.into_iter().map(actor_from_row).collect()
            }

            async fn external_actors_named(
                &self,
                organization_id: OrganizationId,
                provider: ExternalProvider,
                target: ActorTarget,
                external_name: &str,
            ) -> Result<Vec<ExternalActor>, StoreError> {
                let (target_column, target_id) = target_column(target);
                let rows: Vec<ActorRow> = ::sqlx::query_as(&format!(
                    "{SELECT_ACTOR} WHERE organization_id = $1 AND provider = $2 \
                     AND {target_column} = $3 AND external_name_lower = $4 ORDER BY id"
                ))
                .bind(sql_id(organization_id.get()))
                .bind(provider.as_str())
                .bind(target_id)
                .bind(external_name.to_lowercase())
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("reading external actors", error))?;
                rows.into_iter().map(actor_from_row).collect()
            }

            async fn users_with_external_name(
                &self,
                integration_id: IntegrationId,
                provider: ExternalProvider,
                names: &[&str],
            ) -> Result<Vec<UserId>, StoreError> {
                if names.is_empty() {
                    return Ok(Vec::new());
                }
                // reference §5.2: names compared ignoring case.
                let sql = format!(
                    "SELECT DISTINCT user_id FROM jirasync_external_actors \
                     WHERE integration_id = $1 AND provider = $2 AND user_id IS NOT NULL \
                     AND external_name_lower IN ({}) ORDER BY user_id",
                    placeholders(3, names.len())
                );
                let mut query = ::sqlx::query_scalar::<_, i64>(&sql)
                    .bind(sql_id(integration_id.get()))
                    .bind(provider.as_str());
                for name in names {
                    query = query.bind(name.to_lowercase());
                }
                query
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|error| store_error("finding users by external name", error))?
                    .into_iter()
                    .map(|id| domain_id(id).map(UserId::new))
                    .collect()
            }

            async fn insert_external_actor(
                &self,
                actor: NewExternalActor,
            ) -> Result<ExternalActor, StoreError> {
                let what = "inserting an external actor";
                let (user, team) = target_columns(actor.target);
                let id: i64 = ::sqlx::query_scalar(
                    "INSERT INTO jirasync_external_actors (organization_id, integration_id, provider, \
                     external_name, external_name_lower, external_id, user_id, team_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(sql_id(actor.organization_id.get()))
                .bind(sql_id(actor.integration_id.get()))
                .bind(actor.provider.as_str())
                .bind(&actor.external_name)
                .bind(actor.external_name.to_lowercase())
                .bind(actor.external_id.as_deref())
                .bind(user)
                .bind(team)
                .fetch_one(&self.pool)
                .await
                .map_err(|error| actor_write_error(what, error))?;
                Ok(ExternalActor {
                    id: ExternalActorId::new(domain_id(id)?),
                    organization_id: actor.organization_id,
                    integration_id: actor.integration_id,
                    provider: actor.provider,
                    external_name: actor.external_name,
                    external_id: actor.external_id,
                    target: actor.target,
                })
            }

            async fn update_external_actor(
                &self,
                actor: ExternalActor,
            ) -> Result<ExternalActor, StoreError> {
                let what = "updating an external actor";
                let (user, team) = target_columns(actor.target);
                // One statement: it finds the actor in its organization and applies the
                // uniqueness rule atomically; no row changed means no such actor there.
                let updated = ::sqlx::query(
                    "UPDATE jirasync_external_actors SET integration_id = $1, provider = $2, \
                     external_name = $3, external_name_lower = $4, external_id = $5, \
                     user_id = $6, team_id = $7 WHERE id = $8 AND organization_id = $9",
                )
                .bind(sql_id(actor.integration_id.get()))
                .bind(actor.provider.as_str())
                .bind(&actor.external_name)
                .bind(actor.external_name.to_lowercase())
                .bind(actor.external_id.as_deref())
                .bind(user)
                .bind(team)
                .bind(sql_id(actor.id.get()))
                .bind(sql_id(actor.organization_id.get()))
                .execute(&self.pool)
                .await
                .map_err(|error| actor_write_error(what, error))?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::not_found(format!(
                        "external actor {}",
                        actor.id
                    )));
                }
                Ok(actor)
            }

            async fn delete_external_actor(
                &self,
                organization_id: OrganizationId,
                id: ExternalActorId,
            ) -> Result<(), StoreError> {
                let deleted = ::sqlx::query(
                    "DELETE FROM jirasync_external_actors WHERE id = $1 AND organization_id = $2",
                )
                .bind(sql_id(id.get()))
                .bind(sql_id(organization_id.get()))
                .execute(&self.pool)
                .await
                .map_err(|error| store_error("deleting an external actor", error))?;
                if deleted.rows_affected() == 0 {
                    return Err(StoreError::not_found(format!("external actor {id}")));
                }
                Ok(())
            }
        }
    };
}

pub(crate) use external_actor_store;
