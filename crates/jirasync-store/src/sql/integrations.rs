//! [`IntegrationStore`](jirasync_domain::IntegrationStore) in SQL: integrations, their
//! organization links and identities, and the writes of an install as the install rule planned
//! them (`jirasync_domain::rules::install::merge_install`): the store checks that the rows are
//! still as the plan read them and writes what it says, nothing more.

use jirasync_domain::StoreError;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::integration::{
    ExternalId, Identity, Integration, IntegrationMetadata, JiraCredentials,
    OrganizationIntegration,
};
use jirasync_webhook::WebhookSecret;

use super::values::domain_id;
pub(crate) use crate::state_rows::{
    IdentityRow, IntegrationRow, OrganizationIntegrationRow as LinkRow,
};
use crate::state_rows::{identity_record, organization_integration_record};

/// The columns of an [`IntegrationRow`].
pub(crate) const SELECT_INTEGRATION: &str = "SELECT id, provider, external_id, name, base_url, domain_name, verify_ssl FROM jirasync_integrations";

/// The columns of a [`LinkRow`], from `jirasync_organization_integrations l`.
pub(crate) const LINK_COLUMNS: &str = "l.organization_id, l.integration_id, l.status, \
    l.sync_reverse_assignment, l.sync_status_reverse, l.sync_forward_assignment, \
    l.sync_status_forward, l.sync_comments, l.resolution_strategy, l.default_identity_id";

/// The columns of an [`IdentityRow`].
pub(crate) const SELECT_IDENTITY: &str = "SELECT id, organization_id, integration_id, \
    installed_by, credential_kind, consumer_key, private_key_pem, access_token, \
    access_token_secret, bearer_token FROM jirasync_identities";

/// The organizations linked to integration `$1`, with their links: the [`LINK_COLUMNS`], then the
/// organization's id, name, `issue_sync` and `external_actors`, in organization order.
pub(crate) fn select_organization_links() -> String {
    format!(
        "SELECT {LINK_COLUMNS}, o.id, o.name, o.issue_sync, o.external_actors \
         FROM jirasync_organization_integrations l \
         JOIN jirasync_organizations o ON o.id = l.organization_id \
         WHERE l.integration_id = $1 ORDER BY l.organization_id"
    )
}

/// The integration a row describes, with its webhook secrets in the order they were added.
pub(crate) fn integration_from_row(
    row: IntegrationRow,
    secrets: Vec<String>,
) -> Result<Integration, StoreError> {
    let (id, provider, external_id, name, base_url, domain_name, verify_ssl) = row;
    Ok(Integration {
        id: IntegrationId::new(domain_id(id)?),
        provider,
        external_id: ExternalId::new(external_id),
        name,
        metadata: IntegrationMetadata {
            base_url,
            domain_name,
            verify_ssl,
            webhook_secrets: secrets.into_iter().map(WebhookSecret::new).collect(),
        },
    })
}

/// The organization's link a row describes (read as the state file reads it, so both stay
/// alike).
pub(crate) fn link_from_row(row: LinkRow) -> Result<OrganizationIntegration, StoreError> {
    Ok(organization_integration_record(row)?.to_organization_integration())
}

/// The identity a row describes; incomplete credentials are an error. The state file reads
/// rows the same way, so both stay alike.
pub(crate) fn identity_from_row(row: IdentityRow) -> Result<Identity, StoreError> {
    Ok(identity_record(row)?.to_identity())
}

/// The credential columns of an identity: kind, consumer key, private key, access token, token
/// secret, bearer token.
pub(crate) type CredentialColumns<'a> = (
    &'static str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

/// The columns `credentials` are stored in.
pub(crate) fn credential_columns(
    credentials: &JiraCredentials,
) -> Result<CredentialColumns<'_>, StoreError> {
    match credentials {
        JiraCredentials::OAuth1 {
            consumer_key,
            private_key_pem,
            access_token,
            access_token_secret,
        } => Ok((
            "oauth1",
            Some(consumer_key.as_str()),
            Some(private_key_pem.expose_secret()),
            Some(access_token.as_str()),
            Some(access_token_secret.expose_secret()),
            None,
        )),
        JiraCredentials::Bearer { token } => Ok((
            "bearer",
            None,
            None,
            None,
            None,
            Some(token.expose_secret()),
        )),
        _ => Err(StoreError::invalid(
            "this store cannot keep this kind of Jira credentials",
        )),
    }
}

/// Binds the six columns of a sync configuration to `$query`, in table order: the five flags,
/// then the resolution strategy's name.
macro_rules! bind_sync_config {
    ($query:expr, $config:expr) => {{
        let config: ::jirasync_domain::integration::SyncConfig = $config;
        $query
            .bind(config.sync_reverse_assignment)
            .bind(config.sync_status_reverse)
            .bind(config.sync_forward_assignment)
            .bind(config.sync_status_forward)
            .bind(config.sync_comments)
            .bind($crate::sql::values::strategy_name(
                config.resolution_strategy,
            ))
    }};
}

pub(crate) use bind_sync_config;

/// A row that must exist because this transaction just wrote it.
pub(crate) fn written(what: &str) -> StoreError {
    StoreError::other(format!("{what} vanished inside its own transaction"))
}

/// The refusal of a plan made on rows that changed since it was read: nothing is written, and
/// the install rule plans again.
pub(crate) fn changed_meanwhile(what: &str) -> StoreError {
    StoreError::conflict(format!("{what} changed meanwhile"))
}

/// Implements `IntegrationStore` for `$store`, whose connections are `$connection`. The module
/// `$direct` (`sql/no_direct.rs`, `sqlite/direct.rs`) may answer `integration` and
/// `organization_links` itself; where it gives `None`, the shared statements run.
macro_rules! integration_store {
    ($store:ident, $connection:ty, direct = $direct:ident) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::ids::{IntegrationId, OrganizationId};
        use ::jirasync_domain::integration::{
            ExternalId, Identity, Integration, IntegrationMetadata, LinkStatus,
            OrganizationIntegration, SyncConfig,
        };
        use ::jirasync_domain::store::missing::missing_organization_link;
        use ::jirasync_domain::store::{
            IdentityWrite, InstallPlan, Installation, IntegrationWrite, LinkWrite,
            OrganizationLink,
        };
        use ::jirasync_domain::{IntegrationStore, StoreError};
        use ::sqlx::FromRow;

        use $crate::config_cache::ConfigCache;
        use $crate::sql::Dialect;
        use $crate::sql::integrations::{
            IdentityRow, IntegrationRow, LINK_COLUMNS, LinkRow, SELECT_IDENTITY,
            SELECT_INTEGRATION, bind_sync_config, changed_meanwhile, credential_columns,
            identity_from_row, integration_from_row, link_from_row, written,
        };
        use $crate::sql::organizations::{OrganizationRow, organization_from_row};
        use $crate::sql::values::{link_status_name, sql_id};
        use $crate::sql_error::store_error;

        /// The webhook secrets of an integration, in the order they were added.
        async fn secrets(
            connection: &mut $connection,
            integration_id: i64,
        ) -> Result<Vec<String>, StoreError> {
            ::sqlx::query_scalar(
                "SELECT secret FROM jirasync_integration_webhook_secrets \
                 WHERE integration_id = $1 ORDER BY position",
            )
            .bind(integration_id)
            .fetch_all(&mut *connection)
            .await
            .map_err(|error| store_error("reading webhook secrets", error))
        }

        /// The integration a row describes, with its webhook secrets read.
        async fn with_secrets(
            connection: &mut $connection,
            row: IntegrationRow,
        ) -> Result<Integration, StoreError> {
            let secrets = secrets(connection, row.0).await?;
            integration_from_row(row, secrets)
        }

        /// The integration with this id.
        async fn integration_by_id(
            connection: &mut $connection,
            id: i64,
        ) -> Result<Option<Integration>, StoreError> {
            let row: Option<IntegrationRow> =
                ::sqlx::query_as(&format!("{SELECT_INTEGRATION} WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(|error| store_error("reading an integration", error))?;
            match row {
                Some(row) => with_secrets(connection, row).await.map(Some),
                None => Ok(None),
            }
        }

        /// The link of (organization, integration).
        async fn link(
            connection: &mut $connection,
            organization_id: i64,
            integration_id: i64,
        ) -> Result<Option<OrganizationIntegration>, StoreError> {
            let row: Option<LinkRow> = ::sqlx::query_as(&format!(
                "SELECT {LINK_COLUMNS} FROM jirasync_organization_integrations l \
                 WHERE l.organization_id = $1 AND l.integration_id = $2"
            ))
            .bind(organization_id)
            .bind(integration_id)
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error("reading an organization's link", error))?;
            row.map(link_from_row).transpose()
        }

        /// The identity of (organization, integration).
        async fn identity(
            connection: &mut $connection,
            organization_id: i64,
            integration_id: i64,
        ) -> Result<Option<Identity>, StoreError> {
            let row: Option<IdentityRow> = ::sqlx::query_as(&format!(
                "{SELECT_IDENTITY} WHERE organization_id = $1 AND integration_id = $2"
            ))
            .bind(organization_id)
            .bind(integration_id)
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error("reading an identity", error))?;
            row.map(identity_from_row).transpose()
        }

        /// Writes the plan's webhook secrets as the integration's list, in their order.
        async fn write_secrets(
            connection: &mut $connection,
            integration_id: i64,
            metadata: &IntegrationMetadata,
            what: &str,
        ) -> Result<(), StoreError> {
            ::sqlx::query("DELETE FROM jirasync_integration_webhook_secrets WHERE integration_id = $1")
                .bind(integration_id)
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
            for (position, secret) in (0_i64..).zip(&metadata.webhook_secrets) {
                ::sqlx::query(
                    "INSERT INTO jirasync_integration_webhook_secrets \
                     (integration_id, position, secret) VALUES ($1, $2, $3)",
                )
                .bind(integration_id)
                .bind(position)
                .bind(secret.expose_secret())
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
            }
            Ok(())
        }

        /// Creates the integration, or updates the existing one the plan was made on; returns
        /// its id. The existing row is locked first (PostgreSQL), so two installs updating one
        /// integration take turns and the second finds the secrets changed.
        pub(super) async fn write_integration(
            connection: &mut $connection,
            write: &IntegrationWrite,
        ) -> Result<i64, StoreError> {
            let what = "recording the integration";
            match write {
                IntegrationWrite::Create {
                    provider,
                    external_id,
                    name,
                    metadata,
                } => {
                    // A concurrent create of the same integration fails the unique constraint:
                    // a conflict too.
                    let id: i64 = ::sqlx::query_scalar(
                        "INSERT INTO jirasync_integrations \
                         (provider, external_id, name, base_url, domain_name, verify_ssl) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (provider, external_id) DO NOTHING RETURNING id",
                    )
                    .bind(provider)
                    .bind(external_id.as_str())
                    .bind(name)
                    .bind(&metadata.base_url)
                    .bind(&metadata.domain_name)
                    .bind(metadata.verify_ssl)
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(|error| store_error(what, error))?
                    .ok_or_else(|| changed_meanwhile(&format!("integration {external_id}")))?;
                    write_secrets(connection, id, metadata, what).await?;
                    Ok(id)
                }
                IntegrationWrite::Update {
                    id,
                    expected_secrets,
                    metadata,
                } => {
                    let integration_id = sql_id(id.get());
                    let locked: Option<i64> = ::sqlx::query_scalar(&format!(
                        "SELECT id FROM jirasync_integrations WHERE id = $1{}",
                        <$store as Dialect>::FOR_UPDATE
                    ))
                    .bind(integration_id)
                    .fetch_optional(&mut *connection)
                    .await
                    .map_err(|error| store_error(what, error))?;
                    if locked.is_none() {
                        return Err(StoreError::not_found(format!("integration {id}")));
                    }
                    let stored = secrets(connection, integration_id).await?;
                    let expected: Vec<&str> =
                        expected_secrets.iter().map(|secret| secret.expose_secret()).collect();
                    if stored != expected {
                        return Err(changed_meanwhile(&format!(
                            "the webhook secrets of integration {id}"
                        )));
                    }
                    ::sqlx::query(
                        "UPDATE jirasync_integrations SET base_url = $1, domain_name = $2, \
                         verify_ssl = $3 WHERE id = $4",
                    )
                    .bind(&metadata.base_url)
                    .bind(&metadata.domain_name)
                    .bind(metadata.verify_ssl)
                    .bind(integration_id)
                    .execute(&mut *connection)
                    .await
                    .map_err(|error| store_error(what, error))?;
                    write_secrets(connection, integration_id, metadata, what).await?;
                    Ok(integration_id)
                }
            }
        }

        /// Creates the organization's identity, or replaces the credentials of the one the
        /// plan was made on; returns its id.
        async fn write_identity(
            connection: &mut $connection,
            organization_id: i64,
            integration_id: i64,
            write: &IdentityWrite,
        ) -> Result<i64, StoreError> {
            let what = "recording the identity";
            let stored: Option<i64> = ::sqlx::query_scalar(
                "SELECT id FROM jirasync_identities \
                 WHERE organization_id = $1 AND integration_id = $2",
            )
            .bind(organization_id)
            .bind(integration_id)
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error(what, error))?;
            if stored != write.existing.map(|id| sql_id(id.get())) {
                return Err(changed_meanwhile("the organization's identity"));
            }
            let (kind, consumer_key, private_key, access_token, token_secret, bearer_token) =
                credential_columns(&write.credentials)?;
            let installed_by = write.installed_by.map(|user| sql_id(user.get()));
            let statement = match stored {
                Some(_) => ::sqlx::query_scalar(
                    "UPDATE jirasync_identities SET installed_by = $3, credential_kind = $4, \
                     consumer_key = $5, private_key_pem = $6, access_token = $7, \
                     access_token_secret = $8, bearer_token = $9 \
                     WHERE organization_id = $1 AND integration_id = $2 RETURNING id",
                ),
                // A concurrent create fails the unique constraint: a conflict too.
                None => ::sqlx::query_scalar(
                    "INSERT INTO jirasync_identities (organization_id, integration_id, \
                     installed_by, credential_kind, consumer_key, private_key_pem, \
                     access_token, access_token_secret, bearer_token) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                ),
            };
            statement
                .bind(organization_id)
                .bind(integration_id)
                .bind(installed_by)
                .bind(kind)
                .bind(consumer_key)
                .bind(private_key)
                .bind(access_token)
                .bind(token_secret)
                .bind(bearer_token)
                .fetch_one(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))
        }

        /// Creates the organization's link or re-activates the existing one, as the plan
        /// says, with `identity_id` as its default.
        async fn write_link(
            connection: &mut $connection,
            organization_id: i64,
            integration_id: i64,
            write: &LinkWrite,
            identity_id: i64,
        ) -> Result<(), StoreError> {
            let what = "recording the organization's link";
            let active = link_status_name(LinkStatus::Active);
            match write {
                LinkWrite::Reactivate => {
                    let updated = ::sqlx::query(
                        "UPDATE jirasync_organization_integrations \
                         SET status = $1, default_identity_id = $2 \
                         WHERE organization_id = $3 AND integration_id = $4",
                    )
                    .bind(active)
                    .bind(identity_id)
                    .bind(organization_id)
                    .bind(integration_id)
                    .execute(&mut *connection)
                    .await
                    .map_err(|error| store_error(what, error))?;
                    if updated.rows_affected() == 0 {
                        return Err(changed_meanwhile("the organization's link"));
                    }
                }
                LinkWrite::Create { config } => {
                    let insert = ::sqlx::query(
                        "INSERT INTO jirasync_organization_integrations (organization_id, \
                         integration_id, status, sync_reverse_assignment, sync_status_reverse, \
                         sync_forward_assignment, sync_status_forward, sync_comments, \
                         resolution_strategy, default_identity_id) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                    )
                    .bind(organization_id)
                    .bind(integration_id)
                    .bind(active);
                    let inserted = bind_sync_config!(insert, *config)
                        .bind(identity_id)
                        .execute(&mut *connection)
                        .await
                        .map_err(|error| store_error(what, error))?;
                    if inserted.rows_affected() == 0 {
                        return Err(changed_meanwhile("the organization's link"));
                    }
                }
            }
            Ok(())
        }

        #[async_trait]
        impl IntegrationStore for $store {
            async fn integration(
                &self,
                id: IntegrationId,
            ) -> Result<Option<Integration>, StoreError> {
                if let Some(read) = $direct::integration(self, id) {
                    return read;
                }
                if let Some(kept) = self.config_cache().and_then(|cache| cache.integration(id)) {
                    return Ok(Some(kept));
                }
                let read_from = self.config_cache().map(ConfigCache::generation);
                let mut connection =
                    $crate::sql::connection(&self.pool, "reading an integration").await?;
                let integration = integration_by_id(&mut connection, sql_id(id.get())).await?;
                if let (Some(cache), Some(read_from), Some(integration)) =
                    (self.config_cache(), read_from, &integration)
                {
                    cache.keep_integration(read_from, integration);
                }
                Ok(integration)
            }

            async fn integrations(&self) -> Result<Vec<Integration>, StoreError> {
                let what = "reading integrations";
                let mut connection = $crate::sql::connection(&self.pool, what).await?;
                let rows: Vec<IntegrationRow> =
                    ::sqlx::query_as(&format!("{SELECT_INTEGRATION} ORDER BY id"))
                        .fetch_all(&mut *connection)
                        .await
                        .map_err(|error| store_error(what, error))?;
                let mut integrations = Vec::with_capacity(rows.len());
                for row in rows {
                    integrations.push(with_secrets(&mut connection, row).await?);
                }
                Ok(integrations)
            }

            async fn integration_by_external_id(
                &self,
                provider: &str,
                external_id: &ExternalId,
            ) -> Result<Option<Integration>, StoreError> {
                let mut connection =
                    $crate::sql::connection(&self.pool, "reading an integration").await?;
                let row: Option<IntegrationRow> = ::sqlx::query_as(&format!(
                    "{SELECT_INTEGRATION} WHERE provider = $1 AND external_id = $2"
                ))
                .bind(provider)
                .bind(external_id.as_str())
                .fetch_optional(&mut *connection)
                .await
                .map_err(|error| store_error("reading an integration", error))?;
                match row {
                    Some(row) => with_secrets(&mut connection, row).await.map(Some),
                    None => Ok(None),
                }
            }

            async fn organization_links(
                &self,
                integration_id: IntegrationId,
            ) -> Result<Vec<OrganizationLink>, StoreError> {
                let what = "reading an integration's links";
                if let Some(read) = $direct::organization_links(self, integration_id) {
                    return read;
                }
                if let Some(kept) = self.config_cache().and_then(|cache| cache.links(integration_id)) {
                    return Ok(kept);
                }
                let read_from = self.config_cache().map(ConfigCache::generation);
                let rows = ::sqlx::query(&$crate::sql::integrations::select_organization_links())
                .bind(sql_id(integration_id.get()))
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error(what, error))?;
                let links = rows.iter()
                    .map(|row| {
                        let link = link_from_row(
                            LinkRow::from_row(row).map_err(|e| store_error(what, e))?,
                        )?;
                        let organization: OrganizationRow = (
                            $crate::sql::values::column(row, "id", what)?,
                            $crate::sql::values::column(row, "name", what)?,
                            $crate::sql::values::column(row, "issue_sync", what)?,
                            $crate::sql::values::column(row, "external_actors", what)?,
                        );
                        Ok(OrganizationLink {
                            organization: organization_from_row(organization)?,
                            link,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                if let (Some(cache), Some(read_from)) = (self.config_cache(), read_from) {
                    cache.keep_links(read_from, integration_id, &links);
                }
                Ok(links)
            }

            async fn identity(
                &self,
                organization_id: OrganizationId,
                integration_id: IntegrationId,
            ) -> Result<Option<Identity>, StoreError> {
                let mut connection =
                    $crate::sql::connection(&self.pool, "reading an identity").await?;
                identity(
                    &mut connection,
                    sql_id(organization_id.get()),
                    sql_id(integration_id.get()),
                )
                .await
            }

            async fn save_install(&self, plan: InstallPlan) -> Result<Installation, StoreError> {
                let what = "recording an install";
                let organization_id = sql_id(plan.organization_id.get());
                // Any refusal below drops the transaction uncommitted: nothing is written.
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let organization_exists: Option<i64> =
                    ::sqlx::query_scalar("SELECT id FROM jirasync_organizations WHERE id = $1")
                        .bind(organization_id)
                        .fetch_optional(&mut *transaction)
                        .await
                        .map_err(|error| store_error(what, error))?;
                if organization_exists.is_none() {
                    return Err(StoreError::not_found(format!(
                        "organization {}",
                        plan.organization_id
                    )));
                }
                let integration_id = write_integration(&mut transaction, &plan.integration).await?;
                let identity_id = write_identity(
                    &mut transaction,
                    organization_id,
                    integration_id,
                    &plan.identity,
                )
                .await?;
                write_link(
                    &mut transaction,
                    organization_id,
                    integration_id,
                    &plan.link,
                    identity_id,
                )
                .await?;

                let integration = integration_by_id(&mut transaction, integration_id)
                    .await?
                    .ok_or_else(|| written("the integration"))?;
                let identity = identity(&mut transaction, organization_id, integration_id)
                    .await?
                    .ok_or_else(|| written("the identity"))?;
                let organization_integration =
                    link(&mut transaction, organization_id, integration_id)
                        .await?
                        .ok_or_else(|| written("the organization's link"))?;
                let installation = Installation {
                    integration,
                    organization_integration,
                    identity,
                    integration_created: matches!(plan.integration, IntegrationWrite::Create { .. }),
                    link_created: matches!(plan.link, LinkWrite::Create { .. }),
                };
                let events = self
                    .events
                    .stamp(vec![::jirasync_domain::events::NewEvent::of_install(&installation)]);
                super::events::append_events(&mut transaction, &events, self.host_pool().is_ok())
                    .await
                    .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                self.config_changed();
                self.events.appended();
                Ok(installation)
            }

            async fn update_sync_config(
                &self,
                organization_id: OrganizationId,
                integration_id: IntegrationId,
                config: SyncConfig,
            ) -> Result<OrganizationIntegration, StoreError> {
                let what = "updating a sync configuration";
                let organization = sql_id(organization_id.get());
                let integration = sql_id(integration_id.get());
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let update = ::sqlx::query(
                    "UPDATE jirasync_organization_integrations SET sync_reverse_assignment = $1, \
                     sync_status_reverse = $2, sync_forward_assignment = $3, \
                     sync_status_forward = $4, sync_comments = $5, resolution_strategy = $6 \
                     WHERE organization_id = $7 AND integration_id = $8",
                );
                bind_sync_config!(update, config)
                    .bind(organization)
                    .bind(integration)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                let updated = link(&mut transaction, organization, integration)
                    .await?
                    .ok_or_else(|| missing_organization_link(organization_id, integration_id))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                self.config_changed();
                Ok(updated)
            }

            async fn remove_link(
                &self,
                organization_id: OrganizationId,
                integration_id: IntegrationId,
            ) -> Result<::jirasync_domain::store::LinkRemoval, StoreError> {
                let what = "removing an organization's link to an integration";
                let organization = sql_id(organization_id.get());
                let integration = sql_id(integration_id.get());
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                let removed = ::sqlx::query(
                    "DELETE FROM jirasync_organization_integrations \
                     WHERE organization_id = $1 AND integration_id = $2",
                )
                .bind(organization)
                .bind(integration)
                .execute(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                if removed.rows_affected() == 0 {
                    return Err(missing_organization_link(organization_id, integration_id));
                }
                let stored = integration_by_id(&mut transaction, integration)
                    .await?
                    .ok_or_else(|| StoreError::other("a link names an integration that is gone"))?;
                // The organization's credentials, Jira issue links (with their watermarks; the
                // links to local issues cascade), external actors and status mappings for the integration.
                for table in [
                    "jirasync_identities",
                    "jirasync_external_issues",
                    "jirasync_external_actors",
                    "jirasync_status_mappings",
                ] {
                    ::sqlx::query(&format!(
                        "DELETE FROM {table} WHERE organization_id = $1 AND integration_id = $2"
                    ))
                    .bind(organization)
                    .bind(integration)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| store_error(what, error))?;
                }
                let others: i64 = ::sqlx::query_scalar(
                    "SELECT COUNT(*) FROM jirasync_organization_integrations \
                     WHERE integration_id = $1",
                )
                .bind(integration)
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| store_error(what, error))?;
                let last = others == 0;
                if last {
                    // Its secrets, delivery log and reconcile point go with it (cascades).
                    ::sqlx::query("DELETE FROM jirasync_integrations WHERE id = $1")
                        .bind(integration)
                        .execute(&mut *transaction)
                        .await
                        .map_err(|error| store_error(what, error))?;
                }
                let events = self.events.stamp(vec![
                    ::jirasync_domain::events::NewEvent::of_removal(organization_id, &stored),
                ]);
                super::events::append_events(&mut transaction, &events, self.host_pool().is_ok())
                    .await
                    .map_err(|error| store_error(what, error))?;
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error(what, error))?;
                self.config_changed();
                self.events.appended();
                Ok(::jirasync_domain::store::LinkRemoval::new(stored, last))
            }
        }
    };
}

pub(crate) use integration_store;
