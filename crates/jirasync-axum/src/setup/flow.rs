//! The pipeline's steps, shared by the pages and the JSON steps: get a request token and send the
//! user to Jira; come back, exchange for an access token, install.

use std::sync::Arc;

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use jirasync_client::{OAuthCallback, OAuthDance, WebhookAction, WebhookApi};
use jirasync_domain::StoreError;
use jirasync_domain::rules::install::InstallError;
use jirasync_service::{
    InstallationData, InstalledJira, InstallerError, JiraInstall, WebhookRegistration, install_jira,
};
use serde::Serialize;
use url::Url;

use super::SetupState;
use super::access::AccessRefusal;
use super::pipeline::{Pipeline, PipelineId, PipelineStage};

/// Why a setup step failed. Whatever the reason, nothing was recorded.
#[derive(Debug, thiserror::Error)]
pub(super) enum SetupError {
    /// No live pipeline for this browser.
    #[error(
        "Your setup session has expired or was not started in this browser. Open the set-up link \
         again (or ask for a new one: jirasync setup-link) to start over."
    )]
    SessionExpired,
    /// The CSRF token is missing or wrong.
    #[error(
        "The request did not carry this setup session's CSRF token. Reload the setup page and \
         submit the form from it."
    )]
    CsrfMismatch,
    /// The callback came before the form was accepted (reference §1.3: `Missing installation_data`).
    #[error("Missing installation_data: submit the installation form first.")]
    MissingInstallationData,
    /// Jira did not give a request token.
    #[error("Could not fetch a request token from Jira. {0}")]
    RequestToken(#[source] jirasync_client::Error),
    /// Jira's token answer or the callback lacked `oauth_token` (reference §1.3).
    #[error("Missing oauth_token")]
    MissingOAuthToken,
    /// The callback's `oauth_token` is not the request token of this session.
    #[error(
        "The oauth_token Jira sent back is not the one this setup session asked Jira to approve. \
         Start the setup again from this browser."
    )]
    CallbackTokenMismatch,
    /// Jira did not exchange the request token.
    #[error("Could not fetch an access token from Jira. {0}")]
    AccessToken(#[source] jirasync_client::Error),
    /// The webhook or the install record failed.
    #[error(transparent)]
    Install(#[from] InstallerError),
    /// The pipeline store failed.
    #[error("The setup session store failed: {0}")]
    Pipelines(#[source] StoreError),
    /// Reading the organizations failed.
    #[error("Could not read the organizations: {0}")]
    Store(#[source] StoreError),
    /// No credential, a wrong one, or a set-up link that no longer opens setup.
    #[error(transparent)]
    Access(#[from] AccessRefusal),
}

impl SetupError {
    /// The HTTP status of the JSON answer.
    pub(super) fn json_status(&self) -> StatusCode {
        match self {
            Self::Access(refusal) => refusal.status(),
            // No session is no credential: the setup must be opened again with one.
            Self::SessionExpired => StatusCode::UNAUTHORIZED,
            Self::CsrfMismatch => StatusCode::FORBIDDEN,
            Self::Pipelines(error) | Self::Store(error) => store_status(error),
            Self::Install(
                InstallerError::Store(error) | InstallerError::Record(InstallError::Store(error)),
            ) => store_status(error),
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The HTTP status of the "Setup Error" page: 200 as the reference, except a refused
    /// credential (401, 403), a CSRF refusal (403) and a store outage (503).
    pub(super) fn page_status(&self) -> StatusCode {
        if let Self::Access(refusal) = self {
            return refusal.status();
        }
        match self.json_status() {
            status @ (StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN
            | StatusCode::SERVICE_UNAVAILABLE) => status,
            _ => StatusCode::OK,
        }
    }
}

impl SetupError {
    /// Adds `WWW-Authenticate: Bearer` to a 401: the request lacks a credential.
    pub(super) fn decorate(&self, response: &mut Response) {
        if response.status() == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
    }
}

fn store_status(error: &StoreError) -> StatusCode {
    match error {
        StoreError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn dance(
    state: &SetupState,
    installation: &InstallationData,
) -> Result<OAuthDance, jirasync_client::Error> {
    OAuthDance::new(
        &state.client_options(installation.base_url.clone(), installation.verify_ssl),
        installation.consumer_key.clone(),
        Arc::new(installation.private_key.clone()),
    )
}

/// Step 2 (reference §1.3): gets a request token, keeps it in the pipeline with the form, and
/// gives the URL where the user approves it in Jira.
pub(super) async fn start_authorization(
    state: &SetupState,
    id: &PipelineId,
    mut pipeline: Pipeline,
    installation: InstallationData,
) -> Result<Url, SetupError> {
    let callback = OAuthCallback::url(&state.callback_url())
        .map_err(|error| SetupError::RequestToken(error.into()))?;
    let dance = dance(state, &installation).map_err(SetupError::RequestToken)?;
    let request_token = match dance.request_token(Some(&callback)).await {
        Ok(token) => token,
        Err(jirasync_client::Error::MissingOAuthToken { keys }) => {
            tracing::warn!(
                url = installation.base_url.as_str(),
                data_keys = ?keys,
                "identity.jira-server.oauth-token"
            );
            return Err(SetupError::MissingOAuthToken);
        }
        Err(error) => {
            tracing::warn!(
                url = installation.base_url.as_str(),
                %error,
                "identity.jira-server.request-token"
            );
            return Err(SetupError::RequestToken(error));
        }
    };
    let authorize_url = dance.authorize_url(&request_token);
    pipeline.stage = PipelineStage::Authorizing {
        installation: Box::new(installation),
        request_token,
    };
    state
        .pipelines
        .insert(id, pipeline)
        .await
        .map_err(SetupError::Pipelines)?;
    Ok(authorize_url)
}

/// Step 3 (reference §1.3): exchanges the approved request token and installs. The verifier is
/// `oauth_verifier` when Jira sent one, else the callback's `oauth_token` as the reference does.
/// `pipeline` was taken from the store: a request token is exchanged at most once.
pub(super) async fn finish_authorization(
    state: &SetupState,
    pipeline: Pipeline,
    oauth_token: Option<&str>,
    oauth_verifier: Option<&str>,
) -> Result<InstalledJira, SetupError> {
    let PipelineStage::Authorizing {
        installation,
        request_token,
    } = pipeline.stage
    else {
        return Err(SetupError::MissingInstallationData);
    };
    let oauth_token = oauth_token
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(SetupError::MissingOAuthToken)?;
    if oauth_token != request_token.token.as_str() {
        return Err(SetupError::CallbackTokenMismatch);
    }
    let verifier = oauth_verifier
        .map(str::trim)
        .filter(|verifier| !verifier.is_empty())
        .unwrap_or(oauth_token);

    let dance = dance(state, &installation).map_err(SetupError::AccessToken)?;
    let access_token = dance
        .access_token(&request_token, verifier)
        .await
        .map_err(|error| {
            tracing::warn!(
                url = installation.base_url.as_str(),
                %error,
                "identity.jira-server.access-token"
            );
            SetupError::AccessToken(error)
        })?;

    let InstallationData {
        organization_id,
        base_url,
        consumer_key,
        private_key_pem,
        private_key,
        verify_ssl,
        webhook_mode,
        ..
    } = *installation;
    let install = JiraInstall::new(
        organization_id,
        state.client_options(base_url, verify_ssl),
        consumer_key,
        private_key_pem,
        private_key,
        access_token,
    );
    // A set-up link installs once: use it before the install, give it back if the install fails.
    state.access.use_link(&pipeline.grant).await?;
    let installed = install_jira(
        state.store.as_ref(),
        install,
        &state.public_url,
        webhook_mode,
    )
    .await;
    let installed = match installed {
        Ok(installed) => installed,
        Err(error) => {
            state.access.release_link(&pipeline.grant).await;
            return Err(error.into());
        }
    };
    if let Some(links) = &state.access.links {
        // Later commands (webhook ensure, doctor, setup-link) reuse it; the install stands even
        // if this fails.
        if let Err(error) = links.save_public_url(&state.public_url).await {
            tracing::warn!(%error, "jira-server.setup.public-url-not-saved");
        }
    }
    Ok(installed)
}

/// What an install left, for the success page and the JSON answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InstallSummary {
    pub(super) integration: IntegrationSummary,
    pub(super) organization_id: u64,
    pub(super) identity_id: u64,
    pub(super) integration_created: bool,
    pub(super) webhook: WebhookSummary,
}

/// The installed integration.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IntegrationSummary {
    pub(super) id: u64,
    pub(super) external_id: String,
    pub(super) name: String,
    pub(super) base_url: String,
}

/// What became of the webhook.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "mode", rename_all = "camelCase")]
pub(super) enum WebhookSummary {
    /// jirasync made sure Jira has it.
    #[serde(rename_all = "camelCase")]
    Ensured {
        action: &'static str,
        id: Option<String>,
        api: &'static str,
        duplicates_removed: Vec<String>,
    },
    /// A Jira administrator must register this URL.
    Manual { url: String },
}

impl From<&InstalledJira> for InstallSummary {
    fn from(installed: &InstalledJira) -> Self {
        let installation = &installed.installation;
        let integration = &installation.integration;
        let webhook = match &installed.webhook {
            WebhookRegistration::Ensured(outcome) => WebhookSummary::Ensured {
                action: match outcome.action {
                    WebhookAction::Created => "created",
                    WebhookAction::Reused => "reused",
                    _ => "unknown",
                },
                id: outcome
                    .webhook
                    .as_ref()
                    .and_then(|webhook| webhook.id.as_ref())
                    .map(ToString::to_string),
                api: match outcome.api {
                    WebhookApi::Legacy => "legacy",
                    WebhookApi::Jira10 => "jira10",
                    _ => "unknown",
                },
                duplicates_removed: outcome
                    .duplicates_removed
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            },
            // Manual (or a later kind): the installing user needs the URL to hand to a Jira
            // administrator.
            _ => WebhookSummary::Manual {
                url: installed.webhook_url.expose_secret().to_owned(),
            },
        };
        Self {
            integration: IntegrationSummary {
                id: integration.id.get(),
                external_id: integration.external_id.as_str().to_owned(),
                name: integration.name.clone(),
                base_url: integration.metadata.base_url.clone(),
            },
            organization_id: installation.organization_integration.organization_id.get(),
            identity_id: installation.identity.id.get(),
            integration_created: installation.integration_created,
            webhook,
        }
    }
}
