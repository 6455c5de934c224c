//! Integrations (installed Jira instances), the per-organization link with its sync configuration,
//! and the identity (credentials) an organization uses.

use jirasync_webhook::WebhookSecret;

use crate::ids::{IdentityId, IntegrationId, OrganizationId, UserId};
use crate::secret::SecretString;

/// The provider key of every integration this project installs.
pub const JIRA_SERVER_PROVIDER: &str = "jira_server";

/// The provider's display name, recorded in activity data (`provider`).
pub const JIRA_SERVER_PROVIDER_NAME: &str = "Jira Server";

/// The longest external id an integration may have; longer ones are cut (reference §1.6).
pub const EXTERNAL_ID_MAX_CHARS: usize = 64;

jirasync_core::string_newtype! {
    /// An integration's external id: `<host[:port]>:<consumer_key>`, at most 64 characters.
    /// [`ExternalId::new`] wraps a stored id as it is.
    pub struct ExternalId;
}

impl ExternalId {
    /// Builds the id of a Jira instance the reference's way: `<host[:port]>:<consumer_key>`,
    /// cut to its first 64 characters (on a character boundary, never inside one).
    pub fn for_jira(host: &str, consumer_key: &str) -> Self {
        let full = format!("{host}:{consumer_key}");
        Self(full.chars().take(EXTERNAL_ID_MAX_CHARS).collect())
    }
}

/// An installed Jira instance, shared by every organization that installed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// The integration's id.
    pub id: IntegrationId,
    /// The provider key, [`JIRA_SERVER_PROVIDER`].
    pub provider: String,
    /// `<host[:port]>:<consumer_key>`, unique per provider.
    pub external_id: ExternalId,
    /// A display name: the consumer key at install time.
    pub name: String,
    /// Where and how to reach the instance.
    pub metadata: IntegrationMetadata,
}

/// What an integration needs to reach its Jira instance and check its webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationMetadata {
    /// The base URL without a trailing `/`, e.g. `https://jira.example.com`.
    pub base_url: String,
    /// The host and any `:port` of the base URL.
    pub domain_name: String,
    /// Whether TLS certificates are verified when calling Jira.
    pub verify_ssl: bool,
    /// The secrets that sign webhook URL tokens. Any of them is accepted, so a secret can be
    /// rotated (two valid during the switch) and a second organization can add its own.
    pub webhook_secrets: Vec<WebhookSecret>,
}

/// Whether an organization's link to an integration is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkStatus {
    /// The link is in use.
    #[default]
    Active,
    /// The link is switched off; nothing syncs through it.
    Disabled,
}

/// What an organization resolves its issues to when Jira moves an issue into a done status.
///
/// Only [`ResolutionStrategy::Resolve`] changes anything in this crate: the release variants of
/// the reference need a release model the host may not have, so they resolve plainly too and the
/// host may refine the resolution from the activity it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResolutionStrategy {
    /// Resolve (the default).
    #[default]
    Resolve,
    /// Resolve in the current release.
    ResolveCurrentRelease,
    /// Resolve in the next release.
    ResolveNextRelease,
}

/// An organization's sync configuration for one integration (reference §4.1, §4.6). Every flag
/// is off for a new link, as the reference's empty config is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncConfig {
    /// Jira → host assignee (`sync_reverse_assignment`).
    pub sync_reverse_assignment: bool,
    /// Jira → host resolve / unresolve (`sync_status_reverse`).
    pub sync_status_reverse: bool,
    /// Host → Jira assignee (`sync_forward_assignment`).
    pub sync_forward_assignment: bool,
    /// Host → Jira transitions (`sync_status_forward`).
    pub sync_status_forward: bool,
    /// Host notes → Jira comments (`sync_comments`).
    pub sync_comments: bool,
    /// How a resolve from Jira is applied.
    pub resolution_strategy: ResolutionStrategy,
}

impl SyncConfig {
    /// Every sync direction on, default resolution strategy.
    pub const fn all_on() -> Self {
        Self {
            sync_reverse_assignment: true,
            sync_status_reverse: true,
            sync_forward_assignment: true,
            sync_status_forward: true,
            sync_comments: true,
            resolution_strategy: ResolutionStrategy::Resolve,
        }
    }

    /// The flag that governs `direction`.
    pub const fn allows(&self, direction: SyncDirection) -> bool {
        match direction {
            SyncDirection::InboundAssignee => self.sync_reverse_assignment,
            SyncDirection::InboundStatus => self.sync_status_reverse,
            SyncDirection::OutboundAssignee => self.sync_forward_assignment,
            SyncDirection::OutboundStatus => self.sync_status_forward,
            SyncDirection::Comments => self.sync_comments,
        }
    }
}

/// What is synced, and which way (the reference's `should_sync` attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncDirection {
    /// Jira → host assignee.
    InboundAssignee,
    /// Jira → host resolve / unresolve.
    InboundStatus,
    /// Host → Jira assignee.
    OutboundAssignee,
    /// Host → Jira transitions.
    OutboundStatus,
    /// Host notes → Jira comments.
    Comments,
}

/// An organization's link to an integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationIntegration {
    /// The organization.
    pub organization_id: OrganizationId,
    /// The integration.
    pub integration_id: IntegrationId,
    /// Whether the link is in use.
    pub status: LinkStatus,
    /// What syncs through it.
    pub config: SyncConfig,
    /// The identity used for calls to Jira on this organization's behalf.
    pub default_identity_id: Option<IdentityId>,
}

/// The credentials an organization uses to call its Jira instance.
///
/// This is the domain's own type, so the crate needs no HTTP client; an adapter turns it into the
/// client's credentials. Secrets are [`SecretString`]s: `Debug` never shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JiraCredentials {
    /// OAuth 1.0a with RSA-SHA1, from the three-legged dance.
    OAuth1 {
        /// The consumer key of the Application Link.
        consumer_key: String,
        /// The RSA private key, PEM text.
        private_key_pem: SecretString,
        /// The access token.
        access_token: String,
        /// The access token's secret.
        access_token_secret: SecretString,
    },
    /// A personal access token, sent as `Authorization: Bearer`.
    Bearer {
        /// The token.
        token: SecretString,
    },
}

/// The credentials one organization holds for one integration (reference: the user identity of
/// type `jira_server`, the org link's default identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The identity's id.
    pub id: IdentityId,
    /// The organization that owns it.
    pub organization_id: OrganizationId,
    /// The integration it is for.
    pub integration_id: IntegrationId,
    /// The user who installed, if known.
    pub installed_by: Option<UserId>,
    /// The credentials.
    pub credentials: JiraCredentials,
}
