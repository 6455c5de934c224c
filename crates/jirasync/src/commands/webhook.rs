//! `jirasync webhook list`, `jirasync webhook ensure` and `jirasync webhook delete ID` for an
//! installed integration.

use std::io::Write;

use jirasync_client::{
    EnsureWebhookOutcome, JiraClient, Webhook, WebhookAction, WebhookApi, WebhookId,
};
use jirasync_service::{ensure_issue_webhook, remove_stale_webhooks};
use jirasync_store::AnyStore;
use jirasync_webhook::redact_webhook_url;

use crate::cli::WebhookCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::installation::Installation;
use crate::store::open_store;

pub(super) async fn run(
    command: WebhookCommand,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let choice = match &command {
        WebhookCommand::List(choice)
        | WebhookCommand::Ensure(choice)
        | WebhookCommand::Delete { choice, .. } => choice,
    };
    let installation = Installation::find(store.as_ref(), choice).await?;
    let client = installation.client()?;
    match command {
        WebhookCommand::List(_) => list(&client, out).await,
        WebhookCommand::Ensure(_) => {
            ensure(&installation, &client, store.as_ref(), config, out).await
        }
        WebhookCommand::Delete { id, .. } => delete(&client, &id, out).await,
    }
}

/// The API generation Jira's version calls for.
async fn webhook_api(client: &JiraClient) -> Result<WebhookApi, CliError> {
    client
        .webhook_api()
        .await
        .map_err(CliError::jira("read Jira's version (serverInfo)"))
}

async fn list(client: &JiraClient, out: &mut dyn Write) -> Result<(), CliError> {
    let webhooks = client
        .list_webhooks(webhook_api(client).await?)
        .await
        .map_err(CliError::jira("list the webhooks"))?;
    if webhooks.is_empty() {
        writeln!(out, "no webhooks are registered in {}", client.base_url())?;
        return Ok(());
    }
    writeln!(out, "id\tname\turl\tevents")?;
    for webhook in &webhooks {
        writeln!(out, "{}", webhook_line(webhook))?;
    }
    Ok(())
}

async fn delete(client: &JiraClient, id: &str, out: &mut dyn Write) -> Result<(), CliError> {
    client
        .delete_webhook(webhook_api(client).await?, &WebhookId::new(id))
        .await
        .map_err(CliError::jira("delete the webhook"))?;
    writeln!(out, "deleted webhook {id} from {}", client.base_url())?;
    Ok(())
}

/// Makes sure Jira has exactly one issue webhook posting to the installation's webhook URL under
/// the public URL (configured, else saved by the install), as `connect` and the setup pages do;
/// then deletes this installation's webhooks that still post under an older public URL, and
/// saves the public URL for later commands.
async fn ensure(
    installation: &Installation,
    client: &JiraClient,
    store: &dyn AnyStore,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let external_id = &installation.integration.external_id;
    let public_url = crate::public_url::resolve(config, store).await?.url;
    // The first secret signs new tokens, as install_jira chooses it.
    let url = installation
        .webhook_urls(&public_url)
        .into_iter()
        .next()
        .ok_or_else(|| CliError::NoWebhookSecret {
            external_id: external_id.as_str().to_owned(),
        })?;
    let outcome = ensure_issue_webhook(client, external_id, &url)
        .await
        .map_err(CliError::EnsureWebhook)?;
    writeln!(out, "Jira at {}:", client.base_url())?;
    write_ensured(&outcome, &url, out)?;
    let removed = remove_stale_webhooks(
        client,
        outcome.api,
        &installation.integration.metadata.webhook_secrets,
        &public_url,
    )
    .await
    .map_err(CliError::EnsureWebhook)?;
    for webhook in &removed {
        writeln!(
            out,
            "Deleted webhook {} of this installation that posted to an old URL: {}",
            webhook.id, webhook.redacted_url
        )?;
    }
    store
        .save_public_url(&public_url)
        .await
        .map_err(CliError::store("save the public URL"))?;
    Ok(())
}

/// What [`ensure_issue_webhook`] did, for `webhook ensure` and `connect`: the webhook's id, whether
/// it was created, its URL with the token hidden, and any duplicates deleted.
pub(super) fn write_ensured(
    outcome: &EnsureWebhookOutcome,
    url: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let action = match outcome.action {
        WebhookAction::Created => "created",
        _ => "already registered",
    };
    let id = outcome
        .webhook
        .as_ref()
        .and_then(|webhook| webhook.id.as_ref())
        .map_or("-", WebhookId::as_str);
    writeln!(out, "Webhook {id} {action}: {}", redact_webhook_url(url))?;
    if !outcome.duplicates_removed.is_empty() {
        let removed: Vec<&str> = outcome
            .duplicates_removed
            .iter()
            .map(WebhookId::as_str)
            .collect();
        writeln!(out, "Deleted duplicate webhooks: {}", removed.join(", "))?;
    }
    Ok(())
}

/// One tab-separated line: id, name, URL with any token hidden, events.
fn webhook_line(webhook: &Webhook) -> String {
    format!(
        "{}\t{}\t{}\t{}",
        webhook.id.as_ref().map_or("-", WebhookId::as_str),
        webhook.name,
        redact_webhook_url(&webhook.url),
        webhook.events.join(","),
    )
}
