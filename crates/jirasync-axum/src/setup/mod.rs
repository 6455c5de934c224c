//! Connecting a Jira instance over HTTP ([`setup_router`]): the installation form and the OAuth
//! 1.0a dance as pages and as JSON steps.

mod access;
mod flow;
mod html;
mod json;
pub(crate) mod pipeline;
mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use jirasync_client::{BaseUrl, ClientOptions};
use jirasync_core::{Clock, SystemClock};
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::{SetupStore, SyncStore};
use jirasync_service::JiraHosts;

use access::SetupAccess;
pub use access::SetupGrant;
use pipeline::{InMemoryPipelineStore, PipelineStore};

use crate::admin::AdminToken;

/// The setup page, and the OAuth callback URL to set on Jira's Application Link (under the public
/// URL).
pub const SETUP_PATH: &str = "/extensions/jira-server/setup/";

/// The JSON steps.
pub const SETUP_API_PATH: &str = "/extensions/jira-server/setup/api/";

/// The query parameter of a one-time set-up link: `<public url>/extensions/jira-server/setup/?setup_token=<token>`.
pub const SETUP_TOKEN_PARAMETER: &str = "setup_token";

/// The largest request body the setup routes read: a form with a 4096-bit key fits many times.
pub const SETUP_BODY_LIMIT: usize = 64 * 1024;

/// What the setup routes need: jirasync's store (installs are recorded there), where pipelines
/// live, how to reach Jira, and who may connect one (the admin token, one-time set-up links).
#[derive(Clone)]
pub struct SetupState {
    store: Arc<dyn SyncStore>,
    pipelines: Arc<dyn PipelineStore>,
    public_url: String,
    organization: Option<OrganizationId>,
    /// Connect and whole-request timeouts for Jira; the client's defaults when `None`.
    timeouts: Option<(Duration, Duration)>,
    access: SetupAccess,
    jira_hosts: JiraHosts,
}

impl std::fmt::Debug for SetupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupState")
            .field("pipelines", &self.pipelines)
            .field("public_url", &self.public_url)
            .field("organization", &self.organization)
            .field("timeouts", &self.timeouts)
            .field("access", &self.access)
            .field("jira_hosts", &self.jira_hosts)
            .finish_non_exhaustive()
    }
}

impl SetupState {
    /// Setup against `store`, with pipelines in memory ([`InMemoryPipelineStore::default`]).
    /// `public_url` is where Jira and browsers reach this service (webhook and callback URLs are
    /// built under it). The form asks for the organization; see
    /// [`with_organization`](Self::with_organization).
    ///
    /// Every route is refused (401) until a credential is configured: the admin token
    /// ([`with_admin_token`](Self::with_admin_token)) and/or one-time set-up links
    /// ([`with_setup_links`](Self::with_setup_links)). Any Jira host may be named until
    /// [`with_jira_hosts`](Self::with_jira_hosts) narrows them.
    pub fn new(store: Arc<dyn SyncStore>, public_url: impl Into<String>) -> Self {
        Self {
            store,
            pipelines: Arc::new(InMemoryPipelineStore::default()),
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            organization: None,
            timeouts: None,
            access: SetupAccess {
                admin_token: None,
                links: None,
                clock: Arc::new(SystemClock),
            },
            jira_hosts: JiraHosts::any(),
        }
    }

    /// Lets the holder of the admin token use the setup routes (`Authorization: Bearer`).
    #[must_use]
    pub fn with_admin_token(mut self, token: AdminToken) -> Self {
        self.access.admin_token = Some(token);
        self
    }

    /// Lets the holder of a one-time set-up link kept in `links` use the setup routes, and saves
    /// the public URL there at each install.
    #[must_use]
    pub fn with_setup_links(mut self, links: Arc<dyn SetupStore>) -> Self {
        self.access.links = Some(links);
        self
    }

    /// Only these Jira hosts may be named in the form ([`JiraHosts`]); any by default.
    #[must_use]
    pub fn with_jira_hosts(mut self, hosts: JiraHosts) -> Self {
        self.jira_hosts = hosts;
        self
    }

    /// The clock set-up links expire on (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.access.clock = clock;
        self
    }

    /// Keeps pipelines in `pipelines` (shared between instances, for example).
    #[must_use]
    pub fn with_pipeline_store(mut self, pipelines: Arc<dyn PipelineStore>) -> Self {
        self.pipelines = pipelines;
        self
    }

    /// Installs for this organization only: the form does not ask.
    #[must_use]
    pub fn with_organization(mut self, organization: OrganizationId) -> Self {
        self.organization = Some(organization);
        self
    }

    /// How long to wait for Jira: to connect, and for a whole answer.
    #[must_use]
    pub fn with_timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.timeouts = Some((connect, request));
        self
    }

    /// The OAuth callback URL: the setup page under the public URL.
    pub fn callback_url(&self) -> String {
        format!("{}{SETUP_PATH}", self.public_url)
    }

    fn client_options(&self, base_url: BaseUrl, verify_ssl: bool) -> ClientOptions {
        let options = ClientOptions::new(base_url).verify_ssl(verify_ssl);
        match self.timeouts {
            Some((connect, request)) => options.connect_timeout(connect).request_timeout(request),
            None => options,
        }
    }

    /// The organization a session installs for: the link's, else the service's; `None` lets the
    /// form ask.
    fn organization_for(&self, grant: &SetupGrant) -> Option<OrganizationId> {
        match grant {
            SetupGrant::Link {
                organization: Some(organization),
                ..
            } => Some(*organization),
            _ => self.organization,
        }
    }

    /// Whether the session cookie may only travel over HTTPS.
    fn secure_cookie(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The setup routes, ready to merge into the application's router; each request runs to its end
/// even when its client hangs up.
///
/// Connecting a Jira instance: the installation form, the OAuth 1.0a dance, the webhook and the
/// install record (reference-behaviour §1.3, §1.4, §2), as server-rendered pages and as JSON steps.
///
/// | route | what |
/// |---|---|
/// | `GET /extensions/jira-server/setup/` | the form; with `oauth_token` in the query, Jira's callback |
/// | `POST /extensions/jira-server/setup/` | submit the form (302 to Jira's approval page) |
/// | `POST /extensions/jira-server/setup/api/` | the JSON steps (`docs/setup-api.md`) |
///
/// Only the holder of the admin token (`Authorization: Bearer <token>`,
/// [`SetupState::with_admin_token`]) or of a one-time set-up link
/// (`/extensions/jira-server/setup/?setup_token=<token>`, [`SetupState::with_setup_links`])
/// starts a setup; without either the routes answer 401 (an expired or used link 403) with a
/// page or JSON saying what to do. Pipeline state lives server-side ([`PipelineStore`]) under a
/// random id in an `HttpOnly`, `SameSite=Lax` cookie, with the grant that opened it: the later
/// pages and steps of that one setup need only the cookie. A link is used when the install
/// through it completes. Every state-changing request must carry the pipeline's CSRF token (a
/// hidden form field, or the `X-CSRF-Token` header for JSON). Any failure shows its message and
/// records nothing. The Jira URL must name an allowed host ([`SetupState::with_jira_hosts`]);
/// the client never follows redirects.
///
/// The form's rules ([`validate_installation`]) and, after the dance, the install itself
/// ([`install_jira`], which the command line calls too) are `jirasync-service`'s; these routes
/// translate HTTP to them and back.
///
/// ```no_run
/// use std::sync::Arc;
///
/// use jirasync_axum::{AdminToken, SetupState, setup_router};
/// use jirasync_domain::InMemoryStore;
/// use jirasync_domain::ids::OrganizationId;
///
/// let store = Arc::new(InMemoryStore::new());
/// let state = SetupState::new(store.clone(), "https://sync.example.com")
///     .with_organization(OrganizationId::new(1))
///     .with_admin_token(AdminToken::new("a-long-random-admin-token").unwrap())
///     .with_setup_links(store);
/// let app: axum::Router = setup_router(state);
/// # let _ = app;
/// ```
///
/// [`validate_installation`]: jirasync_service::validate_installation
/// [`install_jira`]: jirasync_service::install_jira
pub fn setup_router(state: SetupState) -> Router {
    Router::new()
        .route(
            SETUP_PATH,
            get(html::show_form_or_callback).post(html::submit_form),
        )
        .route(SETUP_API_PATH, post(json::step))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::check_credentials,
        ))
        .layer(DefaultBodyLimit::max(SETUP_BODY_LIMIT))
        .layer(axum::middleware::from_fn(crate::detach::detached))
        .with_state(state)
}
