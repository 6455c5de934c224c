//! [`IntegrationStore`](jirasync_domain::IntegrationStore) in SQL: integrations, their
//! organization links and identities, and installs.

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
pub(crate) const SELECT_INTEGRATION: &str =
    "SELECT id, provider, external_id, name, base_url, domain_name, verify_ssl FROM integrations";

/// The columns of a [`LinkRow`], from `organization_integrations l`.
pub(crate) const LINK_COLUMNS: &str = "l.organization_id, l.integration_id, l.status, \
    l.sync_reverse_assignment, l.sync_status_reverse, l.sync_forward_assignment, \
    l.sync_status_forward, l.sync_comments, l.resolution_strategy, l.default_identity_id";

/// The columns of an [`IdentityRow`].
pub(crate) const SELECT_IDENTITY: &str = "SELECT id, organization_id, integration_id, \
    installed_by, credential_kind, consumer_key, private_key_pem, access_token, \
    access_token_secret, bearer_token FROM identities";

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
            Some(private_key_pem.expose()),
            Some(access_token.as_str()),
            Some(access_token_secret.expose()),
            None,
        )),
        JiraCredentials::Bearer { token } => {
            Ok(("bearer", None, None, None, None, Some(token.expose())))
        }
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

/// Implements `IntegrationStore` for `$store`, whose connections are `$connection`.
macro_rules! integration_store {
    ($store:ident, $connection:ty) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::ids::{IntegrationId, OrganizationId};
        use ::jirasync_domain::integration::{
            ExternalId, Identity, Integration, JIRA_SERVER_PROVIDER, LinkStatus,
            OrganizationIntegration, SyncConfig,
        };
        use ::jirasync_domain::organization::{Organization, OrganizationFeatures};
        use ::jirasync_domain::store::{InstallRecord, Installation, OrganizationLink};
        use ::jirasync_domain::{IntegrationStore, StoreError};
        use ::sqlx::FromRow;

        use $crate::sql::integrations::{
            IdentityRow, IntegrationRow, LINK_COLUMNS, LinkRow, SELECT_IDENTITY,
            SELECT_INTEGRATION, credential_columns, identity_from_row, integration_from_row,
            bind_sync_config, link_from_row, written,
        };
        use ::jirasync_domain::store::missing::missing_organization_link;
        use $crate::sql::values::{column, link_status_name, sql_id};
        use $crate::sql_error::store_error;

        /// The integration a row describes, with its webhook secrets read.
        async fn with_secrets(
            connection: &mut $connection,
            row: IntegrationRow,
        ) -> Result<Integration, StoreError> {
            let secrets: Vec<String> = ::sqlx::query_scalar(
                "SELECT secret FROM integration_webhook_secrets WHERE integration_id = $1 \
                 ORDER BY position",
            )
            .bind(row.0)
            .fetch_all(&mut *connection)
            .await
            .map_err(|error| store_error("reading webhook secrets", error))?;
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
                "SELECT {LINK_COLUMNS} FROM organization_integrations l \
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

        /// Gets or creates the `jira_server` integration of the record and brings its metadata
        /// up to date; returns its id and whether it was created.
        async fn upsert_integration(
            connection: &mut $connection,
            record: &InstallRecord,
        ) -> Result<(i64, bool), StoreError> {
            let what = "recording the integration";
            let metadata = &record.metadata;
            let existing: Option<i64> = ::sqlx::query_scalar(
                "SELECT id FROM integrations WHERE provider = $1 AND external_id = $2",
            )
            .bind(JIRA_SERVER_PROVIDER)
            .bind(record.external_id.as_str())
            .fetch_optional(&mut *connection)
            .await
            .map_err(|error| store_error(what, error))?;
            let (id, created) = match existing {
                Some(id) => {
                    ::sqlx::query(
                        "UPDATE integrations SET base_url = $1, domain_name = $2, \
                         verify_ssl = $3 WHERE id = $4",
                    )
                    .bind(&metadata.base_url)
                    .bind(&metadata.domain_name)
                    .bind(metadata.verify_ssl)
                    .bind(id)
                    .execute(&mut *connection)
                    .await
                    .map_err(|error| store_error(what, error))?;
                    (id, false)
                }
                None => {
                    let id = ::sqlx::query_scalar(
                        "INSERT INTO integrations \
                         (provider, external_id, name, base_url, domain_name, verify_ssl) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(JIRA_SERVER_PROVIDER)
                    .bind(record.external_id.as_str())
                    .bind(&record.name)
                    .bind(&metadata.base_url)
                    .bind(&metadata.domain_name)
                    .bind(metadata.verify_ssl)
                    .fetch_one(&mut *connection)
                    .await
                    .map_err(|error| store_error(what, error))?;
                    (id, true)
                }
            };
            // Keep every secret already there, so other organizations' tokens stay valid.
            for secret in &metadata.webhook_secrets {
                ::sqlx::query(
                    "INSERT INTO integration_webhook_secrets (integration_id, position, secret) \
                     SELECT $1, (SELECT COALESCE(MAX(position) + 1, 0) \
                                 FROM integration_webhook_secrets WHERE integration_id = $1), $2 \
                     WHERE NOT EXISTS (SELECT 1 FROM integration_webhook_secrets \
                                       WHERE integration_id = $1 AND secret = $2)",
                )
                .bind(id)
                .bind(secret.expose())
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error("recording a webhook secret", error))?;
            }
            Ok((id, created))
        }

        /// Creates or replaces the organization's identity for the integration; returns its id.
        async fn upsert_identity(
            connection: &mut $connection,
            organization_id: i64,
            integration_id: i64,
            record: &InstallRecord,
        ) -> Result<i64, StoreError> {
            let (kind, consumer_key, private_key, access_token, token_secret, bearer_token) =
                credential_columns(&record.credentials)?;
            ::sqlx::query_scalar(
                "INSERT INTO identities (organization_id, integration_id, installed_by, \
                 credential_kind, consumer_key, private_key_pem, access_token, \
                 access_token_secret, bearer_token) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (organization_id, integration_id) DO UPDATE SET \
                 installed_by = excluded.installed_by, \
                 credential_kind = excluded.credential_kind, \
                 consumer_key = excluded.consumer_key, \
                 private_key_pem = excluded.private_key_pem, \
                 access_token = excluded.access_token, \
                 access_token_secret = excluded.access_token_secret, \
                 bearer_token = excluded.bearer_token \
                 RETURNING id",
            )
            .bind(organization_id)
            .bind(integration_id)
            .bind(record.installed_by.map(|user| sql_id(user.get())))
            .bind(kind)
            .bind(consumer_key)
            .bind(private_key)
            .bind(access_token)
            .bind(token_secret)
            .bind(bearer_token)
            .fetch_one(&mut *connection)
            .await
            .map_err(|error| store_error("recording the identity", error))
        }

        /// Creates the organization's link (empty config) or re-activates it keeping its
        /// config, with `identity_id` as default; returns whether it was created.
        async fn upsert_link(
            connection: &mut $connection,
            organization_id: i64,
            integration_id: i64,
            identity_id: i64,
        ) -> Result<bool, StoreError> {
            let what = "recording the organization's link";
            let updated = ::sqlx::query(
                "UPDATE organization_integrations SET status = $1, default_identity_id = $2 \
                 WHERE organization_id = $3 AND integration_id = $4",
            )
            .bind(link_status_name(LinkStatus::Active))
            .bind(identity_id)
            .bind(organization_id)
            .bind(integration_id)
            .execute(&mut *connection)
            .await
            .map_err(|error| store_error(what, error))?;
            if updated.rows_affected() > 0 {
                return Ok(false);
            }
            let insert = ::sqlx::query(
                "INSERT INTO organization_integrations (organization_id, integration_id, status, \
                 sync_reverse_assignment, sync_status_reverse, sync_forward_assignment, \
                 sync_status_forward, sync_comments, resolution_strategy, default_identity_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(organization_id)
            .bind(integration_id)
            .bind(link_status_name(LinkStatus::Active));
            bind_sync_config!(insert, SyncConfig::default())
                .bind(identity_id)
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error(what, error))?;
            Ok(true)
        }

        #[async_trait]
        impl IntegrationStore for $store {
            async fn integration(
                &self,
                id: IntegrationId,
            ) -> Result<Option<Integration>, StoreError> {
                let mut connection =
                    $crate::sql::connection(&self.pool, "reading an integration").await?;
                integration_by_id(&mut connection, sql_id(id.get())).await
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
                let rows = ::sqlx::query(&format!(
                    "SELECT {LINK_COLUMNS}, o.name, o.issue_sync, o.external_actors \
                     FROM organization_integrations l \
                     JOIN organizations o ON o.id = l.organization_id \
                     WHERE l.integration_id = $1 ORDER BY l.organization_id"
                ))
                .bind(sql_id(integration_id.get()))
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error(what, error))?;
                rows.iter()
                    .map(|row| {
                        let link = link_from_row(
                            LinkRow::from_row(row).map_err(|e| store_error(what, e))?,
                        )?;
                        Ok(OrganizationLink {
                            organization: Organization {
                                id: link.organization_id,
                                name: column(row, "name", what)?,
                                features: OrganizationFeatures {
                                    issue_sync: column(row, "issue_sync", what)?,
                                    external_actors: column(row, "external_actors", what)?,
                                },
                            },
                            link,
                        })
                    })
                    .collect()
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

            async fn install(&self, record: InstallRecord) -> Result<Installation, StoreError> {
                let mut transaction =
                    $crate::sql::begin_write::<Self>(&self.pool, "recording an install").await?;
                let organization_id = sql_id(record.organization_id.get());
                let organization_exists: Option<i64> =
                    ::sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1")
                        .bind(organization_id)
                        .fetch_optional(&mut *transaction)
                        .await
                        .map_err(|error| store_error("recording an install", error))?;
                if organization_exists.is_none() {
                    return Err(StoreError::not_found(format!(
                        "organization {}",
                        record.organization_id
                    )));
                }
                let (integration_id, integration_created) =
                    upsert_integration(&mut transaction, &record).await?;
                let identity_id =
                    upsert_identity(&mut transaction, organization_id, integration_id, &record)
                        .await?;
                let link_created = upsert_link(
                    &mut transaction,
                    organization_id,
                    integration_id,
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
                transaction
                    .commit()
                    .await
                    .map_err(|error| store_error("committing an install", error))?;
                Ok(Installation {
                    integration,
                    organization_integration,
                    identity,
                    integration_created,
                    link_created,
                })
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
                    "UPDATE organization_integrations SET sync_reverse_assignment = $1, \
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
                Ok(updated)
            }
        }
    };
}

pub(crate) use integration_store;
