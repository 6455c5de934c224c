//! [`ClientJiraDirectory`]: the domain's Jira look-ups, answered by Jira's REST API with the
//! credentials of an organization linked to the integration.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use jirasync_client::{JiraClient, RetryPolicy};
use jirasync_domain::DirectoryError;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::integration::{Identity, Integration, LinkStatus};
use jirasync_domain::{IntegrationStore, JiraDirectory};
use jirasync_webhook::{JiraUser, StatusId};
use tokio::sync::OnceCell;

use crate::jira::KeptClients;

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
///
/// A look-up that arrives while the same one is under way (the same integration's statuses,
/// the same user of the same integration) waits for it and shares its answer, failures
/// included: a burst of deliveries, such as those in flight when the `done` statuses' cache
/// expires under load in inline mode, sends Jira one request, not one each. A look-up that
/// starts after the other finished asks Jira again. Clones share the look-ups under way.
///
/// The client built for an integration is kept and reused for as long as the integration's
/// URL and TLS setting and the identity's credentials stay the same: building one loads the
/// TLS roots and, for OAuth, parses the RSA key, and each client has its own connections, so
/// reusing it keeps Jira's connections open between look-ups. Clones share the clients.
#[derive(Clone)]
pub struct ClientJiraDirectory {
    store: Arc<dyn IntegrationStore>,
    retry: Option<RetryPolicy>,
    clients: Arc<KeptClients<IntegrationId>>,
    statuses: Arc<Shared<IntegrationId, Result<BTreeSet<StatusId>, DirectoryError>>>,
    users: Arc<Shared<UserLookup, Result<Option<JiraUser>, DirectoryError>>>,
}

/// A user look-up, as [`Shared`] tells one from another: the integration, the username, the
/// user key.
type UserLookup = (IntegrationId, Option<String>, Option<String>);

/// Calls under way by what they ask: a call made while an equal one is under way waits for it
/// and gets a clone of its answer.
struct Shared<K, V> {
    calls: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for Shared<K, V> {
    fn default() -> Self {
        Self {
            calls: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Shared<K, V> {
    /// `call`'s answer, or the answer of the equal call under way.
    async fn run<F, Fut>(&self, key: K, call: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = Arc::clone(self.lock().entry(key.clone()).or_default());
        let _leave = Leave {
            shared: self,
            key,
            cell: Arc::clone(&cell),
        };
        // If the caller running the call is dropped, one of those waiting runs it instead.
        cell.get_or_init(call).await.clone()
    }
}

impl<K, V> Shared<K, V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Arc<OnceCell<V>>>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends a caller's part in a shared call: the first to leave removes the call, so that a call
/// made after it asks again.
struct Leave<'s, K: Hash + Eq, V> {
    shared: &'s Shared<K, V>,
    key: K,
    cell: Arc<OnceCell<V>>,
}

impl<K: Hash + Eq, V> Drop for Leave<'_, K, V> {
    fn drop(&mut self) {
        let mut calls = self.shared.lock();
        if calls
            .get(&self.key)
            .is_some_and(|cell| Arc::ptr_eq(cell, &self.cell))
        {
            calls.remove(&self.key);
        }
    }
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
        Self {
            store,
            retry: None,
            clients: Arc::default(),
            statuses: Arc::default(),
            users: Arc::default(),
        }
    }

    /// Uses this retry policy for Jira calls instead of the client's default.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        // Clients built with the former policy are not reused.
        self.clients = Arc::default();
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
        self.clients
            .client(integration.id, integration, identity, self.retry)
            .map_err(|error| DirectoryError::Refused {
                message: error.to_string(),
            })
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
        let lookup = (integration.id, user.name.clone(), user.key.clone());
        self.users
            .run(lookup, || self.ask_for_user(integration, user))
            .await
    }

    async fn done_status_ids(
        &self,
        integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError> {
        self.statuses
            .run(integration.id, || self.ask_for_done_statuses(integration))
            .await
    }
}

impl ClientJiraDirectory {
    /// Asks Jira for `user`, by username, then by user key.
    async fn ask_for_user(
        &self,
        integration: &Integration,
        user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError> {
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

    /// Asks Jira for its statuses, and keeps those of the `done` category.
    async fn ask_for_done_statuses(
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

#[cfg(test)]
mod tests {
    use jirasync_domain::organization::OrganizationFeatures;
    use jirasync_domain::{InMemoryStore, Seed};

    use super::*;
    use crate::jira::tests::install;

    fn built(directory: &ClientJiraDirectory) -> usize {
        directory.clients.built()
    }

    #[tokio::test]
    async fn a_client_is_reused_until_the_integration_or_its_credentials_change() {
        let store = Arc::new(InMemoryStore::new());
        let acme = store
            .seed_organization("acme", OrganizationFeatures::all())
            .await
            .unwrap();
        let jira = "https://jira.example.com";
        let integration = install(&store, acme, jira, "first-token").await;
        let directory = ClientJiraDirectory::new(store.clone());

        directory.client(&integration).await.unwrap();
        directory.clone().client(&integration).await.unwrap();
        assert_eq!(built(&directory), 1, "clones share the kept client");

        let mut moved = integration.clone();
        moved.metadata.base_url = "https://jira2.example.com".to_owned();
        directory.client(&moved).await.unwrap();
        assert_eq!(built(&directory), 2, "another URL");

        // Installed again by the same organization, with a new token.
        let reinstalled = install(&store, acme, jira, "second-token").await;
        assert_eq!(reinstalled.id, integration.id);
        directory.client(&reinstalled).await.unwrap();
        assert_eq!(built(&directory), 3, "new credentials");
        directory.client(&reinstalled).await.unwrap();
        assert_eq!(built(&directory), 3);
    }

    #[tokio::test]
    async fn a_shared_call_whose_runner_is_dropped_is_run_by_one_of_those_waiting() {
        let shared: Arc<Shared<u8, u32>> = Arc::default();
        let started = Arc::new(tokio::sync::Notify::new());
        let runner = tokio::spawn({
            let (shared, started) = (Arc::clone(&shared), Arc::clone(&started));
            async move {
                shared
                    .run(1, || async move {
                        started.notify_one();
                        std::future::pending::<u32>().await
                    })
                    .await
            }
        });
        started.notified().await;

        let waiting = shared.run(1, || async { 7 });
        let cancel = async {
            // The waiting call is polled first, and finds the runner's call under way.
            tokio::task::yield_now().await;
            runner.abort();
            runner.await
        };
        let (answer, cancelled) = tokio::join!(waiting, cancel);

        assert!(cancelled.unwrap_err().is_cancelled());
        assert_eq!(answer, 7);
        assert!(shared.lock().is_empty(), "the call is forgotten once done");
    }
}
