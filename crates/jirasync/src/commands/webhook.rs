//! `jirasync webhook list` and `jirasync webhook delete ID` for an installed integration.

use std::io::Write;

use jirasync_client::{Webhook, WebhookId};
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
        WebhookCommand::List(choice) | WebhookCommand::Delete { choice, .. } => choice,
    };
    let installation = Installation::find(store.as_ref(), choice).await?;
    let client = installation.client()?;
    let api = client
        .webhook_api()
        .await
        .map_err(CliError::jira("read Jira's version (serverInfo)"))?;
    match command {
        WebhookCommand::List(_) => {
            let webhooks = client
                .list_webhooks(api)
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
        }
        WebhookCommand::Delete { id, .. } => {
            client
                .delete_webhook(api, &WebhookId::new(&*id))
                .await
                .map_err(CliError::jira("delete the webhook"))?;
            writeln!(out, "deleted webhook {id} from {}", client.base_url())?;
        }
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
