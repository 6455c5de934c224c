//! Connecting a Jira instance over HTTP ([`setup_router`]): the installation form and the OAuth
//! 1.0a dance as pages and as JSON steps.

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
use jirasync_domain::SyncStore;
use jirasync_domain::ids::OrganizationId;

use pipeline::{InMemoryPipelineStore, PipelineStore};

/// The setup page, and the OAuth callback URL to set on Jira's Application Link (under the public
/// URL).
pub const SETUP_PATH: &str = "/extensions/jira-server/setup/";

/// The JSON steps.
pub const SETUP_API_PATH: &str = "/extensions/jira-server/setup/api/";

/// The largest request body the setup routes read: a form with a 4096-bit key fits many times.
pub const SETUP_BODY_LIMIT: usize = 64 * 1024;

/// What the setup routes need: jirasync's store (installs are recorded there), where pipelines
/// live, and how to reach Jira.
#[derive(Clone)]
pub struct SetupState {
    store: Arc<dyn SyncStore>,
    pipelines: Arc<dyn PipelineStore>,
    public_url: String,
    organization: Option<OrganizationId>,
    /// Connect and whole-request timeouts for Jira; the client's defaults when `None`.
    timeouts: Option<(Duration, Duration)>,
}

impl std::fmt::Debug for SetupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupState")
            .field("pipelines", &self.pipelines)
            .field("public_url", &self.public_url)
            .field("organization", &self.organization)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl SetupState {
    /// Setup against `store`, with pipelines in memory ([`InMemoryPipelineStore::default`]).
    /// `public_url` is where Jira and browsers reach this service (webhook and callback URLs are
    /// built under it). The form asks for the organization; see
    /// [`with_organization`](Self::with_organization).
    pub fn new(store: Arc<dyn SyncStore>, public_url: impl Into<String>) -> Self {
        Self {
            store,
            pipelines: Arc::new(InMemoryPipelineStore::default()),
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            organization: None,
            timeouts: None,
        }
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
/// Pipeline state lives server-side ([`PipelineStore`]) under a random id in an `HttpOnly`,
/// `SameSite=Lax` cookie; every state-changing request must carry the pipeline's CSRF token (a
/// hidden form field, or the `X-CSRF-Token` header for JSON). Any failure shows its message and
/// records nothing. The routes do not authenticate the person installing: mount them where only
/// administrators reach them (behind the host's own authentication layer).
///
/// The form's rules ([`validate_installation`]) and, after the dance, the install itself
/// ([`install_jira`], which the command line calls too) are `jirasync-service`'s; these routes
/// translate HTTP to them and back.
///
/// ```no_run
/// use std::sync::Arc;
///
/// use jirasync_axum::{SetupState, setup_router};
/// use jirasync_domain::InMemoryStore;
/// use jirasync_domain::ids::OrganizationId;
///
/// let store = Arc::new(InMemoryStore::new());
/// let state = SetupState::new(store, "https://sync.example.com")
///     .with_organization(OrganizationId::new(1));
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
        .layer(DefaultBodyLimit::max(SETUP_BODY_LIMIT))
        .layer(axum::middleware::from_fn(crate::detach::detached))
        .with_state(state)
}
