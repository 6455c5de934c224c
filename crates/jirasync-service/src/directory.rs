//! [`ClientJiraDirectory`]: the domain's Jira look-ups, answered by Jira's REST API with the
//! credentials of an organization linked to the integration.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use jirasync_client::{JiraClient, RetryPolicy};
use jirasync_domain::DirectoryError;
use jirasync_domain::integration::{Identity, Integration, LinkStatus};
use jirasync_domain::{IntegrationStore, JiraDirectory};
use jirasync_webhook::{JiraUser, StatusId};

use crate::jira::{client_options, jira_client_with};

/// A [`JiraDirectory`] that calls Jira with `jirasync-client`.
///
/// The credentials are those of the first active organization link (in organization id order)
/// that has a default identity. The `done` statuses are not cached here: [`jirasync_domain::InboundSync`]
/// keeps them in its `DoneStatusCache` for 240 s.
///
/// Errors: Jira unreachable, timing out or answering 5xx/429 → [`DirectoryError::Unreachable`]
/// (retry later); any other refusal (401, 403, an `oauth_problem`, unusable stored credentials) →
/// [`DirectoryError::Refused`]; no linked organization with credentials →
/// [`DirectoryError::NoCredentials`].
#[derive(Clone)]
pub struct ClientJiraDirectory {
    store: Arc<dyn IntegrationStore>,
    retry: Option<RetryPolicy>,
}

impl fmt::Debug for ClientJiraDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientJiraDirectory")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientJiraDirectory {
    /// A directory reading integrations' credentials from `store` (jirasync's
    /// [`SyncStore`](jirasync_domain::SyncStore), or any store of integrations).
    pub fn new(store: Arc<dyn IntegrationStore>) -> Self {
        Self { store, retry: None }
    }

    /// Uses this retry policy for Jira calls instead of the client's default.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The identity to call `integration`'s Jira with.
    async fn identity(&self, integration: &Integration) -> Result<Identity, DirectoryError> {
        let store_failed = |error: jirasync_domain::StoreError| DirectoryError::Unreachable {
            message: format!("could not read the integration's credentials: {error}"),
        };
        let links = self
            .store
            .organization_links(integration.id)
            .await
            .map_err(store_failed)?;
        for link in links {
            let link = link.link;
            let Some(default_identity) = link.default_identity_id else {
                continue;
            };
            if link.status != LinkStatus::Active {
                continue;
            }
            let identity = self
                .store
                .identity(link.organization_id, integration.id)
                .await
                .map_err(store_failed)?;
            if let Some(identity) = identity.filter(|identity| identity.id == default_identity) {
                return Ok(identity);
            }
        }
        Err(DirectoryError::NoCredentials {
            integration_id: integration.id,
        })
    }

    /// A client for `integration`'s Jira with the credentials this directory uses (also the
    /// reconcile's searches).
    pub(crate) async fn client(
        &self,
        integration: &Integration,
    ) -> Result<JiraClient, DirectoryError> {
        let identity = self.identity(integration).await?;
        let refused = |error: crate::jira::JiraClientError| DirectoryError::Refused {
            message: error.to_string(),
        };
        let mut options = client_options(integration).map_err(refused)?;
        if let Some(retry) = self.retry {
            options = options.retry(retry);
        }
        jira_client_with(&options, &identity.credentials).map_err(refused)
    }
}

/// Unreachable (retry later) when Jira could not be reached or answered with a server error;
/// refused otherwise.
pub(crate) fn directory_error(error: &jirasync_client::Error) -> DirectoryError {
    let message = error.to_string();
    let unreachable = match error {
        jirasync_client::Error::Timeout { .. }
        | jirasync_client::Error::Connect { .. }
        | jirasync_client::Error::Transport { .. } => true,
        _ => error
            .status()
            .is_some_and(|status| status >= 500 || status == 429),
    };
    if unreachable {
        DirectoryError::Unreachable { message }
    } else {
        DirectoryError::Refused { message }
    }
}

/// The webhook crate's user for a user the REST API returned.
pub(crate) fn domain_user(user: jirasync_client::JiraUser) -> JiraUser {
    JiraUser {
        name: user.name,
        key: user.key,
        email_address: user.email_address,
        display_name: user.display_name,
        active: user.active,
    }
}

#[async_trait]
impl JiraDirectory for ClientJiraDirectory {
    async fn find_user(
        &self,
        integration: &Integration,
        user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError> {
        if user.name.is_none() && user.key.is_none() {
            return Ok(None);
        }
        let client = self.client(integration).await?;
        if let Some(name) = &user.name {
            let found = client
                .user_by_username(name)
                .await
                .map_err(|error| directory_error(&error))?;
            if let Some(found) = found {
                return Ok(Some(domain_user(found)));
            }
        }
        if let Some(key) = &user.key {
            let found = client
                .user_by_key(key)
                .await
                .map_err(|error| directory_error(&error))?;
            return Ok(found.map(domain_user));
        }
        Ok(None)
    }

    async fn done_status_ids(
        &self,
        integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError> {
        let statuses = self
            .client(integration)
            .await?
            .statuses()
            .await
            .map_err(|error| directory_error(&error))?;
        Ok(statuses
            .into_iter()
            .filter(|status| status.is_done())
            .map(|status| StatusId::new(status.id))
            .collect())
    }
}
