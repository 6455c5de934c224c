//! Recording an install (reference §1.6): the integration, the organization's identity and link.
//!
//! The caller registers the webhook in Jira **before** calling [`install_jira_server`], so a
//! refused webhook leaves no record.

use jirasync_webhook::WebhookSecret;

use crate::ids::{IdentityId, OrganizationId, UserId};
use crate::integration::{
    ExternalId, Integration, IntegrationMetadata, JIRA_SERVER_PROVIDER, JiraCredentials, SyncConfig,
};
use crate::store::{
    IdentityWrite, InstallPlan, Installation, IntegrationWrite, LinkWrite, StoreError, SyncStore,
};

/// What the setup flow learnt, to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRequest {
    /// The installing organization.
    pub organization_id: OrganizationId,
    /// The Jira base URL as entered, e.g. `https://jira.example.com/`.
    pub base_url: String,
    /// The consumer key of the Application Link (also the integration's name).
    pub consumer_key: String,
    /// Whether TLS certificates are verified when calling Jira.
    pub verify_ssl: bool,
    /// The secret that signs this install's webhook URL token.
    pub webhook_secret: WebhookSecret,
    /// The credentials from the OAuth dance, or a personal access token.
    pub credentials: JiraCredentials,
    /// The installing user, if known.
    pub installed_by: Option<UserId>,
}

/// Why an install could not be recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// The base URL is not an `http://` or `https://` URL with a host.
    #[error(
        "the Jira URL {base_url:?} is not an http(s) URL with a host, e.g. https://jira.example.com"
    )]
    InvalidBaseUrl {
        /// The URL as given.
        base_url: String,
    },
    /// The consumer key is empty.
    #[error("the consumer key is empty: enter the one of the Application Link in Jira")]
    EmptyConsumerKey,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The base URL without surrounding blanks and trailing `/`.
pub fn strip_base_url(base_url: &str) -> &str {
    base_url.trim().trim_end_matches('/')
}

/// The host and any `:port` of an `http(s)` URL (Python's `netloc` without user info).
pub fn jira_host(base_url: &str) -> Result<&str, InstallError> {
    let invalid = || InstallError::InvalidBaseUrl {
        base_url: base_url.to_owned(),
    };
    let trimmed = base_url.trim();
    let (scheme, rest) = trimmed.split_once("://").ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(invalid());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host.is_empty() || host.starts_with(':') || host.contains(char::is_whitespace) {
        return Err(invalid());
    }
    Ok(host)
}

/// How many times an install is planned at most. A plan is refused only when another install
/// changed the same rows after it was read, that is when another install made progress: with
/// up to this many installs of one Jira at once, every one of them succeeds.
const INSTALL_ATTEMPTS: usize = 10;

/// What the store holds for an install before it is written: read by [`install_jira_server`],
/// merged by [`merge_install`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExistingInstall {
    /// The integration with the install's provider and external id.
    pub integration: Option<Integration>,
    /// The organization's identity for that integration.
    pub identity: Option<IdentityId>,
    /// Whether the organization has a link to that integration.
    pub link: bool,
}

/// The install merge (reference §1.6, with jirasync's changes): what `record` writes given what
/// the store holds.
///
/// - The integration is created, or the existing one's base URL, domain name and TLS flag are
///   replaced and the record's webhook secrets it lacks are **added** after its own (another
///   organization's tokens stay valid); its name is kept.
/// - The organization's identity is created, or its credentials replaced (its id kept).
/// - The organization's link is created with an empty configuration, or re-activated keeping
///   its configuration; either way the identity becomes its default.
pub fn merge_install(existing: &ExistingInstall, record: InstallRecord) -> InstallPlan {
    let InstallRecord {
        organization_id,
        external_id,
        name,
        metadata,
        credentials,
        installed_by,
    } = record;
    let integration = match &existing.integration {
        None => IntegrationWrite::Create {
            provider: JIRA_SERVER_PROVIDER.to_owned(),
            external_id,
            name,
            metadata,
        },
        Some(stored) => {
            let mut secrets = stored.metadata.webhook_secrets.clone();
            for secret in metadata.webhook_secrets {
                if !secrets.contains(&secret) {
                    secrets.push(secret);
                }
            }
            IntegrationWrite::Update {
                id: stored.id,
                expected_secrets: stored.metadata.webhook_secrets.clone(),
                metadata: IntegrationMetadata {
                    webhook_secrets: secrets,
                    ..metadata
                },
            }
        }
    };
    InstallPlan {
        organization_id,
        integration,
        identity: IdentityWrite {
            existing: existing.identity,
            installed_by,
            credentials,
        },
        link: if existing.link {
            LinkWrite::Reactivate
        } else {
            LinkWrite::Create {
                config: SyncConfig::default(),
            }
        },
    }
}

/// Records an install: the integration with external id `<host[:port]>:<consumer_key>` (cut to
/// 64 characters), named after the consumer key, with metadata {base_url, domain_name,
/// verify_ssl, webhook secret}; the organization's identity; and its link, all in one store
/// write planned by [`merge_install`].
///
/// A second organization installing the same Jira with the same consumer key shares the
/// integration and adds its own identity and link; installing again is idempotent (the
/// credentials are replaced, the link's config kept). Two installs at once do not fail: the one
/// whose write finds the rows changed since its read plans again.
///
/// # Errors
///
/// [`InstallError::InvalidBaseUrl`] and [`InstallError::EmptyConsumerKey`] for bad input;
/// [`InstallError::Store`] with [`StoreError::NotFound`] when the organization does not exist.
pub async fn install_jira_server<S: SyncStore + ?Sized>(
    store: &S,
    request: InstallRequest,
) -> Result<Installation, InstallError> {
    install_jira_server_accepting(store, request, Vec::new()).await
}

/// [`install_jira_server`], with the integration also accepting URL tokens signed with
/// `also_accepted` (such as the reference's secrets,
/// [`WebhookSecret::reference_candidates`]): they are added after the install's own secret,
/// and a reinstall keeps them, as it keeps every stored secret.
///
/// # Errors
///
/// As [`install_jira_server`].
pub async fn install_jira_server_accepting<S: SyncStore + ?Sized>(
    store: &S,
    request: InstallRequest,
    also_accepted: Vec<WebhookSecret>,
) -> Result<Installation, InstallError> {
    let mut webhook_secrets = vec![request.webhook_secret];
    for secret in also_accepted {
        if !webhook_secrets.contains(&secret) {
            webhook_secrets.push(secret);
        }
    }
    let host = jira_host(&request.base_url)?;
    let consumer_key = request.consumer_key.trim();
    if consumer_key.is_empty() {
        return Err(InstallError::EmptyConsumerKey);
    }
    if store.organization(request.organization_id).await?.is_none() {
        return Err(
            StoreError::not_found(format!("organization {}", request.organization_id)).into(),
        );
    }
    let record = InstallRecord {
        organization_id: request.organization_id,
        external_id: ExternalId::for_jira(host, consumer_key),
        name: consumer_key.to_owned(),
        metadata: IntegrationMetadata {
            base_url: strip_base_url(&request.base_url).to_owned(),
            domain_name: host.to_owned(),
            verify_ssl: request.verify_ssl,
            webhook_secrets,
        },
        credentials: request.credentials,
        installed_by: request.installed_by,
    };
    let mut attempt = 1;
    loop {
        let existing = existing_install(store, &record).await?;
        match store
            .save_install(merge_install(&existing, record.clone()))
            .await
        {
            Err(StoreError::Conflict { message }) if attempt < INSTALL_ATTEMPTS => {
                tracing::info!(%message, attempt, "install-replanned");
                attempt += 1;
            }
            result => return Ok(result?),
        }
    }
}

/// What the store holds for `record`'s integration and organization.
async fn existing_install<S: SyncStore + ?Sized>(
    store: &S,
    record: &InstallRecord,
) -> Result<ExistingInstall, StoreError> {
    let Some(integration) = store
        .integration_by_external_id(JIRA_SERVER_PROVIDER, &record.external_id)
        .await?
    else {
        return Ok(ExistingInstall::default());
    };
    let identity = store
        .identity(record.organization_id, integration.id)
        .await?
        .map(|identity| identity.id);
    let link = store
        .organization_links(integration.id)
        .await?
        .iter()
        .any(|link| link.organization.id == record.organization_id);
    Ok(ExistingInstall {
        integration: Some(integration),
        identity,
        link,
    })
}

/// Everything an install writes, before it is merged with what the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallRecord {
    /// The installing organization.
    pub organization_id: OrganizationId,
    /// `<host[:port]>:<consumer_key>`, at most 64 characters.
    pub external_id: ExternalId,
    /// The integration's name (the consumer key).
    pub name: String,
    /// Base URL, domain name, TLS verification and the webhook secret(s) of this install.
    pub metadata: IntegrationMetadata,
    /// The organization's credentials.
    pub credentials: JiraCredentials,
    /// The installing user, if known.
    pub installed_by: Option<UserId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keeps_the_port_and_drops_path_and_user_info() {
        assert_eq!(
            jira_host("https://jira.example.com:8443/jira/").unwrap(),
            "jira.example.com:8443"
        );
        assert_eq!(
            jira_host(" http://admin:pw@jira.example.com?x=1").unwrap(),
            "jira.example.com"
        );
        assert_eq!(
            jira_host("HTTPS://Jira.Example.com").unwrap(),
            "Jira.Example.com"
        );
    }

    #[test]
    fn host_refuses_what_is_not_an_http_url_with_a_host() {
        for url in [
            "jira.example.com",
            "ftp://jira.example.com",
            "https://",
            "https:///path",
            "https://:8080",
            "https://a b",
        ] {
            assert!(
                matches!(jira_host(url), Err(InstallError::InvalidBaseUrl { .. })),
                "{url}"
            );
        }
    }

    fn record(secret: &str) -> InstallRecord {
        InstallRecord {
            organization_id: OrganizationId::new(1),
            external_id: ExternalId::for_jira("jira.example.com", "jirasync"),
            name: "jirasync".into(),
            metadata: IntegrationMetadata {
                base_url: "https://jira.example.com".into(),
                domain_name: "jira.example.com".into(),
                verify_ssl: false,
                webhook_secrets: vec![WebhookSecret::new(secret)],
            },
            credentials: JiraCredentials::Bearer {
                token: crate::secret::SecretString::new("pat"),
            },
            installed_by: None,
        }
    }

    #[test]
    fn a_first_install_creates_everything_with_an_empty_configuration() {
        let plan = merge_install(&ExistingInstall::default(), record("s1"));
        assert!(matches!(
            &plan.integration,
            IntegrationWrite::Create { provider, metadata, .. }
                if provider == JIRA_SERVER_PROVIDER
                    && metadata.webhook_secrets == [WebhookSecret::new("s1")]
        ));
        assert_eq!(plan.identity.existing, None);
        assert_eq!(
            plan.link,
            LinkWrite::Create {
                config: SyncConfig::default()
            }
        );
    }

    #[test]
    fn a_reinstall_adds_missing_secrets_after_the_existing_ones_and_keeps_the_rest() {
        let stored = Integration {
            id: crate::ids::IntegrationId::new(9),
            provider: JIRA_SERVER_PROVIDER.into(),
            external_id: ExternalId::for_jira("jira.example.com", "jirasync"),
            name: "renamed".into(),
            metadata: IntegrationMetadata {
                base_url: "https://old.example.com".into(),
                domain_name: "old.example.com".into(),
                verify_ssl: true,
                webhook_secrets: vec![WebhookSecret::new("s0"), WebhookSecret::new("s1")],
            },
        };
        let existing = ExistingInstall {
            integration: Some(stored.clone()),
            identity: Some(IdentityId::new(4)),
            link: true,
        };
        for (secret, expected) in [("s1", vec!["s0", "s1"]), ("s2", vec!["s0", "s1", "s2"])] {
            let plan = merge_install(&existing, record(secret));
            let IntegrationWrite::Update {
                id,
                expected_secrets,
                metadata,
            } = plan.integration
            else {
                panic!("an existing integration is updated");
            };
            assert_eq!(id, stored.id);
            assert_eq!(expected_secrets, stored.metadata.webhook_secrets);
            let secrets: Vec<&str> = metadata
                .webhook_secrets
                .iter()
                .map(WebhookSecret::expose_secret)
                .collect();
            assert_eq!(secrets, expected);
            assert_eq!(metadata.base_url, "https://jira.example.com");
            assert!(!metadata.verify_ssl);
            assert_eq!(plan.identity.existing, Some(IdentityId::new(4)));
            assert_eq!(plan.link, LinkWrite::Reactivate);
        }
    }

    #[test]
    fn base_url_loses_trailing_slashes_and_blanks() {
        assert_eq!(
            strip_base_url(" https://jira.example.com/jira// "),
            "https://jira.example.com/jira"
        );
    }
}
