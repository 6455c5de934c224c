//! What happens after the OAuth dance, for the web flow and the command line alike: choose the
//! installation's webhook secret, make sure Jira posts to the webhook URL, and only then record the
//! install (reference-behaviour §1.6, §2).
//!
//! Nothing here knows about HTTP servers: [`install_jira`] takes the dance's results and a store;
//! the setup pages and JSON steps call it, and so does the command line.

use jirasync_client::{
    AccessTokenPair, ClientOptions, ConsumerKey, Credentials, DEFAULT_WEBHOOK_NAME,
    EnsureWebhookOutcome, JiraClient, NewWebhook, PrivateKey, WebhookAction, WebhookApi, WebhookId,
};
use jirasync_domain::SecretString;
use jirasync_domain::SyncStore;
use jirasync_domain::ids::{OrganizationId, UserId};
use jirasync_domain::integration::{ExternalId, JIRA_SERVER_PROVIDER, JiraCredentials};
use jirasync_domain::rules::install::{
    InstallError, InstallRequest, install_jira_server_accepting, jira_host,
};
use jirasync_domain::store::{Installation, StoreError};
use jirasync_webhook::{
    WEBHOOK_PATH_PREFIX, WebhookSecret, mint_token, redact_webhook_url, verify_token, webhook_url,
};

/// How the issue webhook gets into Jira.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WebhookRegistrationMode {
    /// jirasync registers it (list first, reuse a match, remove duplicates). The approving Jira
    /// user must be a Jira administrator.
    #[default]
    Ensure,
    /// jirasync registers nothing and hands back the URL for a Jira administrator to register.
    Manual,
}

/// A Jira approved by the OAuth dance, to be installed for an organization.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JiraInstall {
    /// The organization that installs.
    pub organization_id: OrganizationId,
    /// Where Jira is and how to reach it (base URL, TLS verification, timeouts).
    pub client_options: ClientOptions,
    /// The consumer key of the Application Link.
    pub consumer_key: ConsumerKey,
    /// The consumer's RSA private key, as PEM text (stored with the credentials).
    pub private_key_pem: SecretString,
    /// The private key, loaded from [`private_key_pem`](Self::private_key_pem).
    pub private_key: PrivateKey,
    /// The access token from the dance.
    pub access_token: AccessTokenPair,
    /// The installing user of the host application, if known.
    pub installed_by: Option<UserId>,
    /// Also accept webhook URL tokens signed the reference's way (SHA-1 of the private key PEM),
    /// for a Jira still posting to the reference's URLs (`docs/migrating-from-sentry.md`).
    pub accept_reference_tokens: bool,
}

impl JiraInstall {
    /// An install of the Jira at `client_options.base_url` for `organization_id`.
    pub fn new(
        organization_id: OrganizationId,
        client_options: ClientOptions,
        consumer_key: ConsumerKey,
        private_key_pem: SecretString,
        private_key: PrivateKey,
        access_token: AccessTokenPair,
    ) -> Self {
        Self {
            organization_id,
            client_options,
            consumer_key,
            private_key_pem,
            private_key,
            access_token,
            installed_by: None,
            accept_reference_tokens: false,
        }
    }

    /// Also accepts the webhook URL tokens a Jira wired to the reference (Sentry) posts: the
    /// secrets [`WebhookSecret::reference_candidates`] derives from the private key are added to
    /// the integration's webhook secrets. The webhook jirasync registers keeps its own secret.
    #[must_use]
    pub fn accept_reference_tokens(mut self) -> Self {
        self.accept_reference_tokens = true;
        self
    }

    /// Records the installing user.
    #[must_use]
    pub fn installed_by(mut self, user: UserId) -> Self {
        self.installed_by = Some(user);
        self
    }
}

/// What became of the webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookRegistration {
    /// Jira has exactly one webhook posting to the URL.
    Ensured(EnsureWebhookOutcome),
    /// Nothing was registered: a Jira administrator must create a webhook with this URL for the
    /// events `jira:issue_created` and `jira:issue_updated`.
    Manual,
}

/// A finished install.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstalledJira {
    /// What the store now holds: integration, identity, organization link.
    pub installation: Installation,
    /// The URL Jira posts issue events to. It carries the URL token, a secret: it prints as
    /// `<redacted>`.
    pub webhook_url: SecretString,
    /// What was done about the webhook.
    pub webhook: WebhookRegistration,
}

/// Why an install failed. In every case nothing was recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallerError {
    /// The Jira base URL has no host an external id can be made of.
    #[error(transparent)]
    Record(#[from] InstallError),
    /// Looking up an existing install failed.
    #[error("could not read the existing installs: {0}")]
    Store(#[from] StoreError),
    /// The Jira client could not be set up (for example the TLS set-up failed).
    #[error("could not set up the Jira client: {0}")]
    Client(#[source] jirasync_client::Error),
    /// Jira did not take the webhook: `Could not create issue webhook in Jira. <details>`
    /// (reference-behaviour §2.3).
    #[error("{0}")]
    Webhook(#[source] jirasync_client::Error),
}

/// Installs an approved Jira for an organization.
///
/// 1. The webhook secret: the existing integration's first secret when this Jira and consumer key
///    are installed already (so the webhook URL Jira knows stays valid), else a fresh random one.
/// 2. The webhook URL `<public_url>/extensions/jira-server/issue-updated/<token>/`.
/// 3. [`WebhookRegistrationMode::Ensure`]: makes sure Jira has exactly one webhook with that URL; a failure
///    ends the install with nothing recorded. [`WebhookRegistrationMode::Manual`] skips this.
/// 4. Records the integration, the organization's identity and link in one store call.
pub async fn install_jira<S: SyncStore + ?Sized>(
    store: &S,
    install: JiraInstall,
    public_url: &str,
    mode: WebhookRegistrationMode,
) -> Result<InstalledJira, InstallerError> {
    let base_url = install.client_options.base_url.as_str().to_owned();
    let consumer_key = install.consumer_key.as_str().trim().to_owned();
    let external_id = ExternalId::for_jira(jira_host(&base_url)?, &consumer_key);
    let webhook_secret = store
        .integration_by_external_id(JIRA_SERVER_PROVIDER, &external_id)
        .await?
        .and_then(|existing| existing.metadata.webhook_secrets.into_iter().next())
        .unwrap_or_else(WebhookSecret::generate);
    let webhook_url = webhook_url(
        public_url,
        &mint_token(external_id.as_str(), &webhook_secret),
    );

    let (jira, webhook) = match mode {
        WebhookRegistrationMode::Ensure => {
            let credentials = Credentials::oauth1_rsa(
                install.consumer_key.clone(),
                install.private_key,
                install.access_token.token.clone(),
                install.access_token.secret.clone(),
            );
            let jira = JiraClient::new(&install.client_options, credentials)
                .map_err(InstallerError::Client)?;
            let outcome = ensure_issue_webhook(&jira, &external_id, &webhook_url).await?;
            (Some(jira), WebhookRegistration::Ensured(outcome))
        }
        WebhookRegistrationMode::Manual => (None, WebhookRegistration::Manual),
    };

    let also_accepted = if install.accept_reference_tokens {
        WebhookSecret::reference_candidates(install.private_key_pem.expose_secret())
    } else {
        Vec::new()
    };
    let recorded = install_jira_server_accepting(
        store,
        InstallRequest {
            organization_id: install.organization_id,
            base_url,
            consumer_key: consumer_key.clone(),
            verify_ssl: install.client_options.verify_ssl,
            webhook_secret,
            credentials: JiraCredentials::OAuth1 {
                consumer_key,
                private_key_pem: install.private_key_pem,
                access_token: install.access_token.token.as_str().to_owned(),
                access_token_secret: SecretString::from(
                    install.access_token.secret.as_secret().clone(),
                ),
            },
            installed_by: install.installed_by,
        },
        also_accepted,
    )
    .await;
    let installation = match recorded {
        Ok(installation) => installation,
        Err(error) => {
            if let (Some(jira), WebhookRegistration::Ensured(outcome)) = (&jira, &webhook) {
                remove_created_webhook(jira, &external_id, outcome).await;
            }
            return Err(error.into());
        }
    };
    Ok(InstalledJira {
        installation,
        webhook_url: SecretString::new(webhook_url),
        webhook,
    })
}

/// Undoes the webhook this install created when the install could not be recorded: a fresh
/// secret would otherwise give the next attempt another URL, and the first webhook would stay in
/// Jira posting tokens nothing accepts. A reused webhook is left alone (it serves the existing
/// install); a failed removal is logged, not raised: the install's own error is what matters.
async fn remove_created_webhook(
    jira: &JiraClient,
    external_id: &ExternalId,
    outcome: &EnsureWebhookOutcome,
) {
    if outcome.action != WebhookAction::Created {
        return;
    }
    let Some(id) = outcome
        .webhook
        .as_ref()
        .and_then(|webhook| webhook.id.as_ref())
    else {
        return;
    };
    if let Err(error) = jira.delete_webhook(outcome.api, id).await {
        tracing::warn!(
            %error,
            external_id = external_id.as_str(),
            "jira-server.webhook.orphaned"
        );
    }
}

/// Makes sure `jira` has exactly one issue webhook (named [`DEFAULT_WEBHOOK_NAME`], events
/// `jira:issue_created` and `jira:issue_updated`) posting to `webhook_url`: lists first, reuses a
/// match, removes duplicates, creates one only when none exists. [`install_jira`] calls it, and so
/// does `jirasync webhook ensure` for an installed integration. `webhook_url` holds the URL token:
/// it is never logged.
///
/// # Errors
///
/// [`InstallerError::Webhook`] with Jira's explanation when Jira does not take the webhook.
pub async fn ensure_issue_webhook(
    jira: &JiraClient,
    external_id: &ExternalId,
    webhook_url: &str,
) -> Result<EnsureWebhookOutcome, InstallerError> {
    jira.ensure_webhook(&NewWebhook::issue_sync(DEFAULT_WEBHOOK_NAME, webhook_url))
        .await
        .map_err(|error| {
            tracing::warn!(
                %error,
                external_id = external_id.as_str(),
                "jira-server.webhook.failed"
            );
            InstallerError::Webhook(error)
        })
}

/// A webhook of this installation, left behind at an older public URL, that
/// [`remove_stale_webhooks`] deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemovedWebhook {
    /// Its id in Jira.
    pub id: WebhookId,
    /// The URL it posted to, with the token hidden.
    pub redacted_url: String,
}

/// Deletes the webhooks in Jira that belong to this installation but post under another public
/// URL than `public_url`: left behind when jirasync moved. A webhook belongs to the installation
/// when its URL carries a token that verifies with one of `secrets` (so the webhooks of another
/// jirasync using the same Jira are never touched). Answers what was deleted.
///
/// # Errors
///
/// [`InstallerError::Webhook`] when Jira does not list or delete them.
pub async fn remove_stale_webhooks(
    jira: &JiraClient,
    api: WebhookApi,
    secrets: &[WebhookSecret],
    public_url: &str,
) -> Result<Vec<RemovedWebhook>, InstallerError> {
    remove_installation_webhooks(jira, api, secrets, Some(public_url)).await
}

/// Deletes every webhook in Jira that belongs to this installation (as
/// [`remove_stale_webhooks`] tells them), except, with `keep`, those posting under that public
/// URL: `jirasync disconnect` passes `None` when the last organization leaves. Answers what was
/// deleted; a webhook already gone (404) counts as deleted.
///
/// # Errors
///
/// [`InstallerError::Webhook`] when Jira does not list or delete them.
pub async fn remove_installation_webhooks(
    jira: &JiraClient,
    api: WebhookApi,
    secrets: &[WebhookSecret],
    keep: Option<&str>,
) -> Result<Vec<RemovedWebhook>, InstallerError> {
    let keep = keep.map(|url| url.trim_end_matches('/'));
    let webhooks = jira
        .list_webhooks(api)
        .await
        .map_err(InstallerError::Webhook)?;
    let mut removed = Vec::new();
    for webhook in webhooks {
        let Some((base, after_prefix)) = webhook.url.split_once(WEBHOOK_PATH_PREFIX) else {
            continue;
        };
        let token = after_prefix.split('/').next().unwrap_or_default();
        let ours = verify_token(token, secrets).is_ok();
        if !ours || keep == Some(base.trim_end_matches('/')) {
            continue;
        }
        let Some(id) = webhook.id else { continue };
        match jira.delete_webhook(api, &id).await {
            // Another instance may have removed it first.
            Ok(()) => {}
            Err(jirasync_client::Error::Api(answer)) if answer.status == 404 => {}
            Err(error) => return Err(InstallerError::Webhook(error)),
        }
        removed.push(RemovedWebhook {
            id,
            redacted_url: redact_webhook_url(&webhook.url),
        });
    }
    Ok(removed)
}
