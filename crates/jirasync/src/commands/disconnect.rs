//! `jirasync disconnect`: an organization leaves a Jira integration. When it is the last one,
//! the installation's webhooks are deleted from Jira first (with its credentials, while they
//! still exist), so a failure leaves everything as it was; then the store removes the link in
//! one transaction with its `integration.removed` event.

use std::io::Write;

use jirasync_client::WebhookApi;
use jirasync_service::{InstallerError, remove_installation_webhooks};

use crate::cli::DisconnectArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::installation::Installation;
use crate::organizations::Organizations;
use crate::store::open_store;

pub(super) async fn run(
    args: &DisconnectArgs,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let installation = Installation::find(store.as_ref(), &args.choice).await?;
    let integration = &installation.integration;
    let organizations = Organizations::load(store.as_ref()).await?;
    let name = organizations.name(installation.organization);
    let linked = store
        .organization_links(integration.id)
        .await
        .map_err(CliError::store(
            "look up the organizations of the integration",
        ))?;
    let last = linked
        .iter()
        .all(|link| link.link.organization_id == installation.organization);
    if last && !args.keep_webhook {
        let client = installation.client()?;
        let api: WebhookApi = client
            .webhook_api()
            .await
            .map_err(|error| CliError::DisconnectWebhooks(InstallerError::Webhook(error)))?;
        let removed =
            remove_installation_webhooks(&client, api, &integration.metadata.webhook_secrets, None)
                .await
                .map_err(CliError::DisconnectWebhooks)?;
        for webhook in &removed {
            writeln!(
                out,
                "Deleted webhook {} from Jira: {}",
                webhook.id, webhook.redacted_url
            )?;
        }
    }
    let removal = store
        .remove_link(installation.organization, integration.id)
        .await
        .map_err(CliError::store("remove the organization's link"))?;
    writeln!(
        out,
        "Disconnected organization {name} from {}: its credentials, issue links and external actors for it are removed.",
        integration.external_id
    )?;
    if removal.integration_removed {
        let webhooks = if args.keep_webhook {
            " Its webhooks were left in Jira (--keep-webhook): Jira's calls are refused until they are deleted."
        } else {
            ""
        };
        writeln!(
            out,
            "It was the last organization: the integration is removed.{webhooks}"
        )?;
    } else {
        let others: Vec<_> = linked
            .iter()
            .map(|link| link.link.organization_id)
            .filter(|id| *id != installation.organization)
            .collect();
        writeln!(
            out,
            "The integration stays for organizations {}.",
            organizations.names_of(&others).join(", ")
        )?;
    }
    Ok(())
}
