//! The binary's error: every way a sub-command fails, with a message an operator can act on, and
//! the exit code it ends the process with.

use std::path::PathBuf;

use jirasync_domain::StoreError;
use jirasync_domain::state::StateError;

use crate::config::ConfigError;
use crate::logging::LoggingError;

/// The exit code of a failure.
pub const EXIT_FAILURE: u8 = 1;
/// The exit code of a usage error: a bad flag, variable or configuration value.
pub const EXIT_USAGE: u8 = 2;

/// Why a sub-command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Logging could not be set up.
    #[error(transparent)]
    Logging(#[from] LoggingError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {source}")]
    Runtime {
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Open(#[from] jirasync_store::OpenError),
    /// The database failed a read or write.
    #[error("cannot {what}: {source}")]
    Store {
        /// What was being done, e.g. `list the inbox`.
        what: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// A file could not be read or written.
    #[error("cannot {what} {}: {source}", path.display())]
    File {
        /// What was being done, e.g. `write`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file exists and `--force` was not given.
    #[error("{} already exists: pass --force to replace it (Jira's Application Link then needs the new public key)", path.display())]
    WouldOverwrite {
        /// The file.
        path: PathBuf,
    },
    /// A key could not be generated or encoded.
    #[error(transparent)]
    Key(#[from] jirasync_client::KeyError),
    /// A state file was refused or the state could not be read or written. Nothing was imported.
    #[error("{0}")]
    State(#[from] StateError),
    /// No integration matches `--integration`.
    #[error(
        "no Jira integration has the external id {external_id:?}: the external id is HOST[:PORT]:CONSUMER_KEY, as `jirasync state export` shows"
    )]
    IntegrationNotFound {
        /// The external id given.
        external_id: String,
    },
    /// No integration is installed.
    #[error("no Jira integration is installed: connect one first")]
    NoIntegration,
    /// Several integrations are installed and none was chosen.
    #[error("several Jira integrations are installed ({}): choose one with --integration EXTERNAL_ID", external_ids.join(", "))]
    SeveralIntegrations {
        /// Their external ids.
        external_ids: Vec<String>,
    },
    /// The chosen organization has not installed the integration.
    #[error(
        "organization {organization} has not installed the integration {external_id}; the organizations that have: {}",
        list_or_none(organizations)
    )]
    OrganizationNotLinked {
        /// The organization given.
        organization: String,
        /// The integration.
        external_id: String,
        /// The organizations that installed it.
        organizations: Vec<String>,
    },
    /// Several organizations installed the integration and none was chosen.
    #[error(
        "the integration {external_id} is installed by organizations {}: choose whose credentials to use with --organization ORG",
        list_or_none(organizations)
    )]
    SeveralOrganizations {
        /// The integration.
        external_id: String,
        /// The organizations that installed it.
        organizations: Vec<String>,
    },
    /// No organization installed the integration.
    #[error("no organization has installed the integration {external_id}: connect it again")]
    NoOrganization {
        /// The integration.
        external_id: String,
    },
    /// The organization holds no credentials for the integration.
    #[error(
        "organization {organization} holds no credentials for the integration {external_id}: connect it again"
    )]
    NoCredentials {
        /// The organization.
        organization: String,
        /// The integration.
        external_id: String,
    },
    /// No Jira client could be built from the stored integration.
    #[error(transparent)]
    JiraClient(#[from] jirasync_service::JiraClientError),
    /// A call to Jira failed.
    #[error("cannot {what}: {source}")]
    Jira {
        /// What was being done, e.g. `list the webhooks`.
        what: &'static str,
        /// The client's error, with Jira's explanation and advice.
        #[source]
        source: jirasync_client::Error,
    },
    /// No inbox delivery has this id.
    #[error("no inbox delivery has the id {id}: `jirasync inbox list` shows the ids")]
    DeliveryNotFound {
        /// The id given.
        id: i64,
    },
    /// The delivery is not dead, so it cannot be replayed.
    #[error(
        "inbox delivery {id} is not dead: only dead deliveries can be replayed (`jirasync inbox list --state dead`)"
    )]
    DeliveryNotDead {
        /// The id given.
        id: i64,
    },
    /// `doctor` found problems; each was printed with what to fix.
    #[error("{failed} doctor check(s) failed: fix what the lines marked FAIL say")]
    ChecksFailed {
        /// How many checks failed.
        failed: usize,
    },
    /// The listen address could not be bound.
    #[error(
        "cannot listen on {address}: {source} (is another process using the port? choose another with --listen or JIRASYNC_LISTEN)"
    )]
    Bind {
        /// The configured address.
        address: std::net::SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP server failed while serving.
    #[error("the HTTP server stopped with an error: {source}")]
    Serve {
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The termination signals could not be watched.
    #[error("cannot watch for SIGINT and SIGTERM: {source}")]
    Signals {
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The sync service could not be built from the configuration.
    #[error("cannot set up the webhook service: {0}")]
    Service(#[from] jirasync_service::BuildError),
    /// The HTTP state could not be built from the configuration.
    #[error("cannot set up the webhook service: {0}")]
    AppState(#[from] jirasync_axum::BuildError),
    /// The event dispatcher's HTTP client could not be built.
    #[error("cannot start the event dispatcher: {source}")]
    EventDispatcher {
        /// Why.
        #[source]
        source: jirasync_service::events::DispatcherError,
    },
    /// `events replay` with an id that is not an event id.
    #[error("{0}")]
    EventId(#[source] jirasync_domain::events::EventIdError),
    /// `events replay` with an event the database does not hold.
    #[error("no event {id} in the database: `jirasync events list` shows the ids")]
    EventNotFound {
        /// The id given.
        id: String,
    },
    /// `outbox retry` with work the database does not hold.
    #[error("no outbound work {id} in the database: `jirasync outbox list` shows the numbers")]
    OutboundNotFound {
        /// The number given.
        id: u64,
    },
    /// `outbox retry` with work that did not fail.
    #[error("{message}")]
    OutboundNotFailed {
        /// The store's words.
        message: String,
    },
    /// The configured admin token cannot be used.
    #[error("the admin token (--admin-token / JIRASYNC_ADMIN_TOKEN) cannot be used: {0}")]
    AdminToken(#[source] jirasync_axum::AdminTokenError),
    /// `connect` without `--organization` and no organization in the database.
    #[error(
        "the database holds no organization to install for: create it through the host API first (PUT /api/v1/organizations, docs/api.md) or import a state file that holds it (jirasync state import FILE)"
    )]
    NoOrganizationToInstall,
    /// `connect` without `--organization` and several organizations in the database.
    #[error(
        "the database holds several organizations ({}): choose the one that installs with --organization ORG",
        list_or_none(organizations)
    )]
    SeveralOrganizationsToInstall {
        /// Their names (application ids, or numbers for those without one).
        organizations: Vec<String>,
    },
    /// `connect`'s flags were refused, with the setup form's messages.
    #[error("cannot connect: {}", messages.join(" "))]
    ConnectRefused {
        /// One message per refused flag, naming it.
        messages: Vec<String>,
    },
    /// No verification code was given to `connect`.
    #[error(
        "no verification code was given: paste the code Jira shows after you allow access, or pass --verifier CODE"
    )]
    MissingVerifier,
    /// Standard input could not be read.
    #[error("cannot read the verification code from standard input: {source}")]
    Input {
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The install after the OAuth dance failed; nothing was stored.
    #[error("cannot install the Jira integration (nothing was stored): {0}")]
    Install(#[from] jirasync_service::InstallerError),
    /// `webhook ensure` failed: Jira did not list, create or delete the webhook.
    #[error("cannot make sure Jira has the webhook: {0}")]
    EnsureWebhook(#[source] jirasync_service::InstallerError),
    /// `disconnect` could not delete the webhooks from Jira; nothing was removed.
    #[error(
        "cannot delete the webhooks from Jira, so nothing was disconnected: {0} (run it again once Jira answers, or pass --keep-webhook to disconnect anyway and delete them in Jira yourself)"
    )]
    DisconnectWebhooks(#[source] jirasync_service::InstallerError),
    /// The integration has no webhook secret, so no webhook URL can be made.
    #[error(
        "the integration {external_id} has no webhook secret: connect it again (`jirasync connect`) to get one"
    )]
    NoWebhookSecret {
        /// The integration.
        external_id: String,
    },
    /// A reconcile failed for some integrations (each failure was printed); their reconciled
    /// point stayed, so the next reconcile reads the same changes again.
    #[error("the reconcile failed for {failed} of {total} integrations (see above)")]
    ReconcileFailed {
        /// How many failed.
        failed: usize,
        /// How many were reconciled.
        total: usize,
    },
    /// A sync configuration setting was refused; nothing was stored.
    #[error("{0} (nothing was changed)")]
    SyncConfig(#[from] jirasync_domain::rules::sync_config::SyncConfigError),
    /// No link of the organization could be chosen.
    #[error(transparent)]
    LinkChoice(#[from] jirasync_domain::rules::organization_links::LinkChoiceError),
    /// The issue could not be linked.
    #[error("cannot link the issue: {0}")]
    IssueLink(#[from] jirasync_domain::rules::issue_links::IssueLinkError),
    /// No organization has the application id given.
    #[error(
        "no organization has the id {organization:?}; the organizations: {}",
        list_or_none_text(known)
    )]
    UnknownOrganization {
        /// The id given.
        organization: String,
        /// The organizations the database holds.
        known: Vec<String>,
    },
    /// `--organization` was left out and the database does not hold exactly one organization.
    #[error(
        "choose the organization with --organization ORG; the organizations: {}",
        list_or_none_text(known)
    )]
    ChooseOrganization {
        /// The organizations the database holds.
        known: Vec<String>,
    },
    /// No issue of the organization has the application id given.
    #[error("organization {organization:?} has no issue with the application id {issue:?}")]
    UnknownIssue {
        /// The organization.
        organization: String,
        /// The issue id given.
        issue: String,
    },
    /// A status mapping was refused; nothing was stored.
    #[error(transparent)]
    StatusMapping(#[from] StatusMappingError),
    /// There is no status mapping for the project.
    #[error(
        "organization {organization:?} has no status mapping for project {project:?} (integration {integration})"
    )]
    NoStatusMapping {
        /// The organization.
        organization: String,
        /// The project given.
        project: String,
        /// The integration.
        integration: u64,
    },
    /// Standard output could not be written.
    #[error("cannot write to standard output: {source}")]
    Output {
        /// The operating system's error.
        #[from]
        source: std::io::Error,
    },
    /// `setup-link` while the setup pages are turned off.
    #[error(
        "the setup pages are turned off (--no-setup, JIRASYNC_NO_SETUP or no_setup in the configuration file), so a set-up link would only find 404: turn them on, or connect from the terminal with jirasync connect"
    )]
    SetupDisabled,
    /// No Jira issue was created.
    #[error("cannot create the Jira issue: {0}")]
    JiraCreation(#[from] jirasync_domain::rules::jira_creation::JiraCreationError),
    /// Jira created the issue, but linking it failed.
    #[error(
        "Jira created {key} but it could not be linked: {source}; link it with jirasync link \
         {issue} {key}"
    )]
    CreatedNotLinked {
        /// The application's id of the issue.
        issue: String,
        /// The created issue's key.
        key: String,
        /// Why the link failed.
        source: jirasync_domain::rules::issue_links::IssueLinkError,
    },
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn list_or_none_text(ids: &[String]) -> String {
    if ids.is_empty() {
        "none (create one through the host API, docs/api.md)".to_owned()
    } else {
        ids.join(", ")
    }
}

use jirasync_domain::rules::status_mappings::StatusMappingError;

impl CliError {
    /// The process exit code for this failure: [`EXIT_USAGE`] for configuration refusals,
    /// [`EXIT_FAILURE`] otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Logging(_) | Self::SyncConfig(_) => EXIT_USAGE,
            Self::StatusMapping(error)
                if !matches!(error, StatusMappingError::JiraUnavailable { .. }) =>
            {
                EXIT_USAGE
            }
            _ => EXIT_FAILURE,
        }
    }

    /// A [`CliError::Store`] maker for `map_err`, saying what was being done.
    pub(crate) fn store(what: impl Into<String>) -> impl FnOnce(StoreError) -> Self {
        let what = what.into();
        move |source| Self::Store { what, source }
    }

    /// A [`CliError::Jira`] maker for `map_err`, saying what was being done.
    pub(crate) fn jira(what: &'static str) -> impl FnOnce(jirasync_client::Error) -> Self {
        move |source| Self::Jira { what, source }
    }
}
