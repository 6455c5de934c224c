//! The installed integration a command works on, the credentials it uses, and its Jira client.

use jirasync_client::JiraClient;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::integration::{
    ExternalId, Integration, JIRA_SERVER_PROVIDER, JiraCredentials,
};
use jirasync_store::AnyStore;
use jirasync_webhook::{mint_token, webhook_url};

use crate::cli::IntegrationChoice;
use crate::error::CliError;
use crate::organizations::Organizations;

/// An integration and the credentials of the organization chosen to act on it.
#[derive(Debug)]
pub(crate) struct Installation {
    /// The integration.
    pub(crate) integration: Integration,
    /// The organization whose credentials are used.
    pub(crate) organization: OrganizationId,
    /// Its credentials.
    pub(crate) credentials: JiraCredentials,
}

impl Installation {
    /// Finds the integration `choice` names (or the only one installed) and the credentials of
    /// the organization it names (or the only one that installed it).
    pub(crate) async fn find(
        store: &dyn AnyStore,
        choice: &IntegrationChoice,
    ) -> Result<Self, CliError> {
        let external_id = match &choice.integration {
            Some(external_id) => external_id.clone(),
            None => only_integration(store).await?,
        };
        let integration = store
            .integration_by_external_id(JIRA_SERVER_PROVIDER, &ExternalId::new(&*external_id))
            .await
            .map_err(CliError::store("look up the integration"))?
            .ok_or_else(|| CliError::IntegrationNotFound {
                external_id: external_id.clone(),
            })?;
        let linked: Vec<OrganizationId> = store
            .organization_links(integration.id)
            .await
            .map_err(CliError::store(
                "look up the organizations of the integration",
            ))?
            .iter()
            .map(|link| link.link.organization_id)
            .collect();
        let organizations = Organizations::load(store).await?;
        let organization = match (&choice.organization, linked.as_slice()) {
            (Some(reference), _) => {
                let chosen = organizations.resolve(reference)?;
                if !linked.contains(&chosen) {
                    return Err(CliError::OrganizationNotLinked {
                        organization: organizations.name(chosen),
                        external_id,
                        organizations: organizations.names_of(&linked),
                    });
                }
                chosen
            }
            (None, [only]) => *only,
            (None, []) => return Err(CliError::NoOrganization { external_id }),
            (None, _) => {
                return Err(CliError::SeveralOrganizations {
                    external_id,
                    organizations: organizations.names_of(&linked),
                });
            }
        };
        let identity = store
            .identity(organization, integration.id)
            .await
            .map_err(CliError::store("read the organization's credentials"))?
            .ok_or_else(|| CliError::NoCredentials {
                organization: organizations.name(organization),
                external_id: external_id.clone(),
            })?;
        tracing::debug!(
            integration = %integration.external_id,
            organization = organization.get(),
            "using the stored credentials"
        );
        Ok(Self {
            integration,
            organization,
            credentials: identity.credentials,
        })
    }

    /// A Jira client acting with the chosen organization's credentials.
    pub(crate) fn client(&self) -> Result<JiraClient, CliError> {
        Ok(jirasync_service::jira_client(
            &self.integration,
            &self.credentials,
        )?)
    }

    /// The webhook URLs Jira may call for this integration at `public_url`: one per webhook
    /// secret, since a token signed with any of them is accepted. They hold tokens: never log them.
    pub(crate) fn webhook_urls(&self, public_url: &str) -> Vec<String> {
        self.integration
            .metadata
            .webhook_secrets
            .iter()
            .map(|secret| {
                webhook_url(
                    public_url,
                    &mint_token(self.integration.external_id.as_str(), secret),
                )
            })
            .collect()
    }
}

/// The external id of the only integration installed.
async fn only_integration(store: &dyn AnyStore) -> Result<String, CliError> {
    let external_ids: Vec<String> = store
        .integrations()
        .await
        .map_err(CliError::store("list the installed integrations"))?
        .into_iter()
        .filter(|integration| integration.provider == JIRA_SERVER_PROVIDER)
        .map(|integration| integration.external_id.as_str().to_owned())
        .collect();
    match external_ids.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(CliError::NoIntegration),
        _ => Err(CliError::SeveralIntegrations { external_ids }),
    }
}
