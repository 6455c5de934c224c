//! A Jira REST client for an installed integration: the domain's stored metadata and credentials
//! turned into `jirasync-client`'s options and credentials.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use jirasync_client::{
    AccessToken, BaseUrl, BearerToken, ClientOptions, ConsumerKey, Credentials, JiraClient,
    PrivateKey, RetryPolicy, TokenSecret,
};
use jirasync_domain::integration::{Identity, Integration, JiraCredentials};

/// Why no client could be built for an integration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JiraClientError {
    /// The stored base URL is not a usable Jira URL.
    #[error("the integration's Jira URL {base_url:?} is not usable: {source}")]
    BaseUrl {
        /// The stored URL.
        base_url: String,
        /// Why it was refused.
        #[source]
        source: jirasync_client::ConfigError,
    },
    /// The stored private key does not load.
    #[error("the integration's stored private key does not load ({source}): reinstall it")]
    PrivateKey {
        /// Why it was refused.
        #[source]
        source: jirasync_client::KeyError,
    },
    /// The stored credentials are of a kind this build cannot use.
    #[error("the integration's stored credentials are of an unknown kind: reinstall it")]
    UnknownCredentials,
    /// The HTTP client could not be set up.
    #[error("could not set up the Jira client: {source}")]
    Client {
        /// The client's error.
        #[source]
        source: jirasync_client::Error,
    },
}

/// The client options for an integration: its base URL and TLS verification flag, with the
/// client's default timeouts and retry policy.
pub fn client_options(integration: &Integration) -> Result<ClientOptions, JiraClientError> {
    let base_url = &integration.metadata.base_url;
    let parsed = BaseUrl::parse(base_url).map_err(|source| JiraClientError::BaseUrl {
        base_url: base_url.clone(),
        source,
    })?;
    Ok(ClientOptions::new(parsed).verify_ssl(integration.metadata.verify_ssl))
}

/// The client's credentials for the domain's stored ones.
pub fn client_credentials(credentials: &JiraCredentials) -> Result<Credentials, JiraClientError> {
    match credentials {
        JiraCredentials::OAuth1 {
            consumer_key,
            private_key_pem,
            access_token,
            access_token_secret,
        } => {
            let key = PrivateKey::from_pem(private_key_pem.expose_secret())
                .map_err(|source| JiraClientError::PrivateKey { source })?;
            Ok(Credentials::oauth1_rsa(
                ConsumerKey::new(consumer_key.as_str()),
                key,
                AccessToken::new(access_token.as_str()),
                TokenSecret::from(access_token_secret.as_secret().clone()),
            ))
        }
        JiraCredentials::Bearer { token } => Ok(Credentials::bearer(BearerToken::from(
            token.as_secret().clone(),
        ))),
        _ => Err(JiraClientError::UnknownCredentials),
    }
}

/// A client for `integration`'s Jira, authenticating with `credentials` (an organization's
/// identity for it).
pub fn jira_client(
    integration: &Integration,
    credentials: &JiraCredentials,
) -> Result<JiraClient, JiraClientError> {
    jira_client_with(&client_options(integration)?, credentials)
}

/// A client with these options (usually [`client_options`] with a change, such as the retry
/// policy), authenticating with `credentials`.
pub fn jira_client_with(
    options: &ClientOptions,
    credentials: &JiraCredentials,
) -> Result<JiraClient, JiraClientError> {
    let credentials = client_credentials(credentials)?;
    JiraClient::new(options, credentials).map_err(|source| JiraClientError::Client { source })
}

/// Jira clients kept by `K` (an integration; an integration and an organization), each with the
/// URL, TLS setting and identity it was built with, to be reused while those are unchanged:
/// building a client loads the TLS roots and, for OAuth, parses the RSA key, and each client has
/// its own connections, so a kept client saves that and keeps Jira's connections open.
pub(crate) struct KeptClients<K> {
    kept: Mutex<HashMap<K, KeptClient>>,
    /// How many clients were kept, that is, built.
    built: AtomicUsize,
}

/// A client, and the URL, TLS setting and identity it was built with.
struct KeptClient {
    base_url: String,
    verify_ssl: bool,
    identity: Identity,
    client: JiraClient,
}

impl<K> Default for KeptClients<K> {
    fn default() -> Self {
        Self {
            kept: Mutex::new(HashMap::new()),
            built: AtomicUsize::new(0),
        }
    }
}

impl<K: Hash + Eq> KeptClients<K> {
    fn lock(&self) -> MutexGuard<'_, HashMap<K, KeptClient>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The client kept for `key` if it was built with `integration`'s URL and TLS setting and
    /// with `identity`; else a client built for them (with `retry`, else the client's default
    /// policy; one owner of these clients passes the same `retry` every time), kept as `key`'s
    /// in place of the one before.
    pub(crate) fn client(
        &self,
        key: K,
        integration: &Integration,
        identity: Identity,
        retry: Option<RetryPolicy>,
    ) -> Result<JiraClient, JiraClientError> {
        if let Some(kept) = self.lock().get(&key) {
            let same = kept.base_url == integration.metadata.base_url
                && kept.verify_ssl == integration.metadata.verify_ssl
                && kept.identity == identity;
            if same {
                return Ok(kept.client.clone());
            }
        }
        let mut options = client_options(integration)?;
        if let Some(retry) = retry {
            options = options.retry(retry);
        }
        let client = jira_client_with(&options, &identity.credentials)?;
        self.built.fetch_add(1, Ordering::Relaxed);
        let kept = KeptClient {
            base_url: integration.metadata.base_url.clone(),
            verify_ssl: integration.metadata.verify_ssl,
            identity,
            client: client.clone(),
        };
        self.lock().insert(key, kept);
        Ok(client)
    }

    /// How many clients were built.
    #[cfg(test)]
    pub(crate) fn built(&self) -> usize {
        self.built.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use jirasync_domain::ids::{IntegrationId, OrganizationId};
    use jirasync_domain::integration::{ExternalId, IntegrationMetadata};
    use jirasync_domain::rules::install::{InstallRequest, install_jira_server};
    use jirasync_domain::{InMemoryStore, SecretString};
    use jirasync_webhook::WebhookSecret;

    use super::*;

    /// `organization` installs the Jira at `base_url` with the personal access token `token`.
    pub(crate) async fn install(
        store: &InMemoryStore,
        organization: OrganizationId,
        base_url: &str,
        token: &str,
    ) -> Integration {
        let request = InstallRequest {
            organization_id: organization,
            base_url: base_url.to_owned(),
            consumer_key: "jirasync".to_owned(),
            verify_ssl: true,
            webhook_secret: WebhookSecret::generate(),
            credentials: JiraCredentials::Bearer {
                token: SecretString::new(token),
            },
            installed_by: None,
        };
        install_jira_server(store, request)
            .await
            .unwrap()
            .integration
    }

    fn integration(base_url: &str) -> Integration {
        Integration {
            id: IntegrationId::new(1),
            provider: "jira_server".to_owned(),
            external_id: ExternalId::for_jira("jira.example.com", "jirasync"),
            name: "jirasync".to_owned(),
            metadata: IntegrationMetadata {
                base_url: base_url.to_owned(),
                domain_name: "jira.example.com".to_owned(),
                verify_ssl: false,
                webhook_secrets: Vec::new(),
            },
        }
    }

    #[test]
    fn builds_a_bearer_client_for_a_stored_integration() {
        let credentials = JiraCredentials::Bearer {
            token: SecretString::new("pat"),
        };
        let client = jira_client(&integration("https://jira.example.com"), &credentials);
        assert!(client.is_ok(), "{client:?}");
    }

    #[test]
    fn refuses_a_stored_url_that_is_not_a_jira_url() {
        let credentials = JiraCredentials::Bearer {
            token: SecretString::new("pat"),
        };
        let error = jira_client(&integration("not a url"), &credentials)
            .err()
            .map(|error| error.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|message| message.contains("\"not a url\" is not usable")),
            "{error:?}"
        );
    }

    #[test]
    fn refuses_a_stored_private_key_that_does_not_load() {
        let credentials = JiraCredentials::OAuth1 {
            consumer_key: "jirasync".to_owned(),
            private_key_pem: SecretString::new("-----BEGIN NOTHING-----"),
            access_token: "token".to_owned(),
            access_token_secret: SecretString::new("secret"),
        };
        let error = jira_client(&integration("https://jira.example.com"), &credentials)
            .err()
            .map(|error| error.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|message| message.contains("private key does not load")),
            "{error:?}"
        );
    }
}
