//! Jira's webhook resource, in both generations: list, create, delete, and `ensure_webhook`, which
//! makes registration idempotent.
//!
//! Jira up to 9 serves `/rest/webhooks/1.0/webhook`; Jira 10 moved webhooks to
//! `/rest/jira-webhook/1.0/webhooks`. The create body is the same on both (`name`, `url`,
//! `events`). Atlassian documents little of the newer resource, so its answers are read
//! tolerantly: a list may be a JSON array or an object holding the array under `values`,
//! `webhooks` or `results`; a webhook's id may be a number or a string, or only appear at the end
//! of its `self` link; `enabled` may be called `active`.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use super::optional_string_or_number;
use super::server_info::JiraVersion;
use crate::client::JiraClient;
use crate::error::Error;
use crate::oauth1::percent_encode;
use crate::response::{Call, check_status, parse_json};

/// The events jirasync subscribes to.
pub const ISSUE_EVENTS: [&str; 2] = ["jira:issue_created", "jira:issue_updated"];

/// The webhook name used when the host gives none.
pub const DEFAULT_WEBHOOK_NAME: &str = "jirasync Issue Sync";

/// Which generation of Jira's webhook REST resource to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WebhookApi {
    /// `/rest/webhooks/1.0/webhook`, Jira 9 and older.
    Legacy,
    /// `/rest/jira-webhook/1.0/webhooks`, Jira 10 and newer.
    Jira10,
}

impl WebhookApi {
    /// The generation for a Jira version: [`Jira10`](Self::Jira10) from major version 10 on.
    pub fn for_version(version: JiraVersion) -> Self {
        if version.major >= 10 {
            Self::Jira10
        } else {
            Self::Legacy
        }
    }

    /// The collection path, relative to the Jira base URL.
    pub fn collection_path(self) -> &'static str {
        match self {
            Self::Legacy => "/rest/webhooks/1.0/webhook",
            Self::Jira10 => "/rest/jira-webhook/1.0/webhooks",
        }
    }

    fn item_path(self, id: &WebhookId) -> String {
        format!("{}/{}", self.collection_path(), percent_encode(id.as_str()))
    }
}

jirasync_core::string_newtype! {
    /// The id Jira gave a webhook.
    pub struct WebhookId;
}

/// A webhook registered in Jira.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Webhook {
    /// Its id, from `id` or from the end of its `self` link; `None` if Jira gave neither.
    pub id: Option<WebhookId>,
    /// Its name.
    pub name: String,
    /// The URL Jira posts to.
    pub url: String,
    /// The events it fires on.
    pub events: Vec<String>,
    /// Whether it is enabled, when Jira says.
    pub enabled: Option<bool>,
    /// Its `self` link.
    pub self_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookWire {
    #[serde(default, deserialize_with = "optional_string_or_number")]
    id: Option<String>,
    #[serde(default, rename = "self")]
    self_link: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    active: Option<bool>,
}

impl From<WebhookWire> for Webhook {
    fn from(wire: WebhookWire) -> Self {
        let id_from_link = wire.self_link.as_deref().and_then(|link| {
            link.trim_end_matches('/')
                .rsplit('/')
                .next()
                .filter(|segment| {
                    !segment.is_empty()
                        && segment
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-')
                })
                .map(str::to_owned)
        });
        Self {
            id: wire.id.or(id_from_link).map(WebhookId),
            name: wire.name.unwrap_or_default(),
            url: wire.url.unwrap_or_default(),
            events: wire.events,
            enabled: wire.enabled.or(wire.active),
            self_link: wire.self_link,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WebhookList {
    Array(Vec<WebhookWire>),
    Wrapped {
        #[serde(alias = "webhooks", alias = "results")]
        values: Vec<WebhookWire>,
    },
}

/// The webhook to register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NewWebhook {
    /// Its name, shown to Jira administrators.
    pub name: String,
    /// The URL Jira posts to.
    pub url: String,
    /// The events it fires on.
    pub events: Vec<String>,
}

impl NewWebhook {
    /// A webhook for issue created and issue updated events (what inbound sync needs).
    pub fn issue_sync(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            events: ISSUE_EVENTS
                .iter()
                .map(|event| (*event).to_owned())
                .collect(),
        }
    }
}

/// What [`JiraClient::ensure_webhook`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookAction {
    /// No webhook had the URL; one was created.
    Created,
    /// A webhook with the URL already existed and was kept.
    Reused,
}

/// The result of [`JiraClient::ensure_webhook`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnsureWebhookOutcome {
    /// The API generation used.
    pub api: WebhookApi,
    /// Created or reused.
    pub action: WebhookAction,
    /// The webhook that now serves the URL; `None` when Jira created it but answered without a body.
    pub webhook: Option<Webhook>,
    /// Ids of extra webhooks with the same URL that were deleted.
    pub duplicates_removed: Vec<WebhookId>,
}

/// Whether two webhook URLs are the same: equal once parsed (so host case and a default port do not
/// matter), or equal as text when either does not parse.
fn same_url(left: &str, right: &str) -> bool {
    match (Url::parse(left.trim()), Url::parse(right.trim())) {
        (Ok(left), Ok(right)) => left == right,
        _ => left.trim() == right.trim(),
    }
}

fn webhook_not_created(error: Error) -> Error {
    match error {
        Error::WebhookNotCreated { .. } => error,
        other => {
            let details = match &other {
                Error::Api(api) => api.first_message.clone().unwrap_or_else(|| api.to_string()),
                other => other.to_string(),
            };
            Error::WebhookNotCreated {
                details,
                source: Box::new(other),
            }
        }
    }
}

impl JiraClient {
    /// The webhook API generation of this Jira, read from `serverInfo`.
    pub async fn webhook_api(&self) -> Result<WebhookApi, Error> {
        self.server_info().await?.webhook_api()
    }

    /// Lists the registered webhooks.
    pub async fn list_webhooks(&self, api: WebhookApi) -> Result<Vec<Webhook>, Error> {
        let list: WebhookList = self.get_json(api.collection_path(), &[]).await?;
        let wires = match list {
            WebhookList::Array(wires) | WebhookList::Wrapped { values: wires } => wires,
        };
        Ok(wires.into_iter().map(Webhook::from).collect())
    }

    /// Registers a webhook. Jira answers 201 with the webhook or 204 without a body; the latter
    /// gives `Ok(None)`. A refusal is [`Error::WebhookNotCreated`] with Jira's first message
    /// (reference-behaviour §2.3). Never retried.
    pub async fn create_webhook(
        &self,
        api: WebhookApi,
        webhook: &NewWebhook,
    ) -> Result<Option<Webhook>, Error> {
        self.create_webhook_inner(api, webhook)
            .await
            .map_err(webhook_not_created)
    }

    async fn create_webhook_inner(
        &self,
        api: WebhookApi,
        webhook: &NewWebhook,
    ) -> Result<Option<Webhook>, Error> {
        let path = api.collection_path();
        let call = Call {
            method: "POST",
            path,
        };
        let body = serde_json::to_vec(webhook).map_err(|error| Error::UnexpectedBody {
            method: call.method.to_owned(),
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
        let response = self.send_unretried(Method::POST, path, Some(body)).await?;
        check_status(call, &response)?;
        if response.body.trim().is_empty() {
            return Ok(None);
        }
        let wire: WebhookWire = parse_json(call, &response)?;
        Ok(Some(wire.into()))
    }

    /// Deletes a webhook. Never retried.
    pub async fn delete_webhook(&self, api: WebhookApi, id: &WebhookId) -> Result<(), Error> {
        let path = api.item_path(id);
        let response = self.send_unretried(Method::DELETE, &path, None).await?;
        check_status(
            Call {
                method: "DELETE",
                path: &path,
            },
            &response,
        )
    }

    /// Makes sure exactly one webhook posts to `webhook.url`: lists the webhooks, keeps the first
    /// one with that URL and deletes any other with the same URL, and creates one only when none
    /// exists. Running it again changes nothing.
    pub async fn ensure_webhook(
        &self,
        webhook: &NewWebhook,
    ) -> Result<EnsureWebhookOutcome, Error> {
        self.ensure_webhook_inner(webhook)
            .await
            .map_err(webhook_not_created)
    }

    async fn ensure_webhook_inner(
        &self,
        webhook: &NewWebhook,
    ) -> Result<EnsureWebhookOutcome, Error> {
        let api = self.webhook_api().await?;
        let mut matching = self
            .list_webhooks(api)
            .await?
            .into_iter()
            .filter(|existing| same_url(&existing.url, &webhook.url));
        let Some(kept) = matching.next() else {
            let created = self.create_webhook_inner(api, webhook).await?;
            return Ok(EnsureWebhookOutcome {
                api,
                action: WebhookAction::Created,
                webhook: created,
                duplicates_removed: Vec::new(),
            });
        };
        let mut duplicates_removed = Vec::new();
        for duplicate in matching {
            let Some(id) = duplicate.id else { continue };
            if kept.id.as_ref() == Some(&id) {
                continue;
            }
            match self.delete_webhook(api, &id).await {
                // Another instance may have removed it first.
                Ok(()) => duplicates_removed.push(id),
                Err(Error::Api(api)) if api.status == 404 => {
                    duplicates_removed.push(id);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(EnsureWebhookOutcome {
            api,
            action: WebhookAction::Reused,
            webhook: Some(kept),
            duplicates_removed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_id_from_self_link_when_absent() {
        let wire: WebhookWire = serde_json::from_str(
            r#"{"name":"n","url":"https://x/","self":"https://jira/rest/webhooks/1.0/webhook/42","events":[]}"#,
        )
        .unwrap();
        assert_eq!(Webhook::from(wire).id, Some(WebhookId::new("42")));
    }

    #[test]
    fn reads_numeric_ids_and_wrapped_lists() {
        let list: WebhookList =
            serde_json::from_str(r#"{"values":[{"id":7,"name":"n","url":"u","active":true}]}"#)
                .unwrap();
        let WebhookList::Wrapped { values } = list else {
            panic!("not wrapped")
        };
        let webhook = Webhook::from(values.into_iter().next().unwrap());
        assert_eq!(webhook.id, Some(WebhookId::new("7")));
        assert_eq!(webhook.enabled, Some(true));
    }

    #[test]
    fn chooses_api_by_major_version() {
        assert_eq!(
            WebhookApi::for_version(JiraVersion::new(9, 17, 5)),
            WebhookApi::Legacy
        );
        assert_eq!(
            WebhookApi::for_version(JiraVersion::new(10, 0, 1)),
            WebhookApi::Jira10
        );
    }

    #[test]
    fn compares_urls_after_parsing() {
        assert!(same_url(
            "https://Sync.Example.com:443/a/",
            "https://sync.example.com/a/"
        ));
        assert!(!same_url(
            "https://sync.example.com/a/",
            "https://sync.example.com/a"
        ));
    }
}
