//! What an install writes, as the install rule planned it
//! ([`crate::rules::install::merge_install`]), and what it left in the store.

use jirasync_webhook::WebhookSecret;

use crate::ids::{IdentityId, IntegrationId, OrganizationId, UserId};
use crate::integration::{
    ExternalId, Identity, Integration, IntegrationMetadata, JiraCredentials,
    OrganizationIntegration, SyncConfig,
};

/// One install's writes, for [`IntegrationStore::save_install`](super::IntegrationStore::save_install).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallPlan {
    /// The installing organization.
    pub organization_id: OrganizationId,
    /// The integration: created, or the existing one updated.
    pub integration: IntegrationWrite,
    /// The organization's identity for the integration.
    pub identity: IdentityWrite,
    /// The organization's link to the integration.
    pub link: LinkWrite,
}

/// The integration part of an [`InstallPlan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrationWrite {
    /// No integration has the provider and external id: create it. [`StoreError::Conflict`]
    /// when one exists by the time of the write.
    ///
    /// [`StoreError::Conflict`]: super::StoreError::Conflict
    Create {
        /// The provider (`jira_server`).
        provider: String,
        /// `<host[:port]>:<consumer_key>`, at most 64 characters.
        external_id: ExternalId,
        /// The integration's name (the consumer key).
        name: String,
        /// Base URL, domain name, TLS verification, webhook secrets.
        metadata: IntegrationMetadata,
    },
    /// Replace the metadata of the existing integration. [`StoreError::Conflict`] when its
    /// webhook secrets are no longer `expected_secrets` (another install added one since the
    /// plan was made).
    ///
    /// [`StoreError::Conflict`]: super::StoreError::Conflict
    Update {
        /// The integration.
        id: IntegrationId,
        /// Its webhook secrets as the plan read them.
        expected_secrets: Vec<WebhookSecret>,
        /// The new metadata (the secrets merged).
        metadata: IntegrationMetadata,
    },
}

/// The identity part of an [`InstallPlan`]: the organization's credentials for the integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityWrite {
    /// The identity the organization has for the integration, which keeps its id; `None`
    /// creates one ([`StoreError::Conflict`](super::StoreError::Conflict) when one exists by the
    /// time of the write).
    pub existing: Option<IdentityId>,
    /// The installing user, if known.
    pub installed_by: Option<UserId>,
    /// The new credentials.
    pub credentials: JiraCredentials,
}

/// The link part of an [`InstallPlan`]; either way the link ends active with the identity as its
/// default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkWrite {
    /// The organization has no link to the integration: create it with this configuration.
    /// [`StoreError::Conflict`](super::StoreError::Conflict) when one exists by the time of the
    /// write.
    Create {
        /// The new link's configuration.
        config: SyncConfig,
    },
    /// Re-activate the existing link, keeping its configuration.
    Reactivate,
}

/// What an install left in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The integration (new, or the existing one for this provider and external id).
    pub integration: Integration,
    /// The organization's link, active, with its default identity.
    pub organization_integration: OrganizationIntegration,
    /// The organization's identity with the new credentials.
    pub identity: Identity,
    /// Whether the integration row was created by this call.
    pub integration_created: bool,
    /// Whether the organization's link was created by this call.
    pub link_created: bool,
}
