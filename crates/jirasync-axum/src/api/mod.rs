//! The host API ([`api_router`]): JSON under `/api/v1/…`, behind the admin bearer token, through
//! which an application keeps jirasync's copy of its data (organizations, users, memberships,
//! teams, projects, issues), its issue links and its sync configuration up to date, by its own
//! ids. `docs/api.md` has every route with curl examples; the OpenAPI document is served at
//! `GET /api/v1/openapi.json` ([`api_document`]), without the token.
//!
//! | route | what |
//! |---|---|
//! | `PUT /api/v1/organizations` | create or replace organizations (batch) |
//! | `GET\|DELETE /api/v1/organizations/{org}` | one organization |
//! | `GET\|PUT /api/v1/organizations/{org}/members` | the members; add users (batch) |
//! | `DELETE /api/v1/organizations/{org}/members/{user}` | remove a member |
//! | `PUT /api/v1/users` | create or replace users (batch) |
//! | `GET\|DELETE /api/v1/users/{user}` | one user |
//! | `PUT /api/v1/organizations/{org}/teams` | create or replace teams with their members (batch) |
//! | `GET\|DELETE /api/v1/organizations/{org}/teams/{team}` | one team |
//! | `PUT /api/v1/organizations/{org}/projects` | create or replace projects with their teams (batch) |
//! | `GET\|DELETE /api/v1/organizations/{org}/projects/{project}` | one project |
//! | `PUT /api/v1/organizations/{org}/issues` | create or replace issues (batch) |
//! | `GET\|DELETE /api/v1/organizations/{org}/issues/{issue}` | one issue, with its Jira links |
//! | `PUT\|DELETE /api/v1/organizations/{org}/issues/{issue}/jira-links/{key}` | link / unlink a Jira issue |
//! | `POST /api/v1/organizations/{org}/issues/{issue}/assign` | assign or unassign, sent to the linked Jira issues (outbound sync) |
//! | `GET /api/v1/organizations/{org}/integrations` | the organization's Jira integrations |
//! | `GET\|PUT\|PATCH /api/v1/organizations/{org}/integrations/{integration}/config` | sync flags |
//! | `POST /api/v1/organizations/{org}/issues/{issue}/status` | resolve or unresolve, sent to the linked Jira issues (outbound sync) |
//! | `GET /api/v1/organizations/{org}/integrations/{integration}/status-mappings` | the per-project status mappings |
//! | `PUT\|DELETE /api/v1/organizations/{org}/integrations/{integration}/status-mappings/{project}` | set (checked with Jira) / delete one |
//! | `POST /api/v1/organizations/{org}/issues/{issue}/comments` | a comment, posted to the linked Jira issues (outbound sync) |
//! | `POST /api/v1/organizations/{org}/issues/{issue}/jira-issues` | create a Jira issue from the issue and link it |
//!
//! Refusals: 401 without the token, 400 for a body that is not JSON of the right shape (the JSON
//! path of the member at fault), 413 over [`API_BODY_LIMIT`] bytes or
//! [`MAX_BATCH_ITEMS`](jirasync_domain::app_data::MAX_BATCH_ITEMS) items, 422 for an item that
//! breaks a rule (its JSON path), 404 for what the path names and does not exist, 409 for an
//! item naming a record that does not exist; a refused call writes nothing.
//!
//! # Adding routes of another module
//!
//! Another module (say, events) keeps its own router and `#[derive(utoipa::OpenApi)]` document,
//! and `serve` merges both in one line each:
//!
//! ```ignore
//! let state = ApiState::new(store, sync_store, host, token)
//!     .with_document(api_document().merge_from(EventsDoc::openapi()));
//! let app = api_router(state).merge(events_router(events_state));
//! ```
//!
//! and its route list joins [`api_routes`] in the test that compares routes and document.

mod config;
mod document;
mod errors;
mod issues;
mod jira_creation;
mod organizations;
mod outbound;
mod people;
mod status;
mod wire;

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{MethodFilter, MethodRouter, on};
use jirasync_domain::{ApplicationData, Host, SyncStore};

pub use document::{ApiDoc, api_document};

use crate::admin::AdminToken;

/// The largest request body the host API reads: a full batch of users with a few addresses
/// each fits with room to spare.
pub const API_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// What the host API routes need: the application's data written by its ids, jirasync's store
/// (organization links, issue links, sync configuration), the standalone host, the token, and
/// the OpenAPI document served.
#[derive(Clone)]
pub struct ApiState {
    data: Arc<dyn ApplicationData>,
    store: Arc<dyn SyncStore>,
    host: Arc<dyn Host>,
    token: AdminToken,
    document: Arc<utoipa::openapi::OpenApi>,
    outbound: Option<jirasync_service::Outbound>,
    jira: Option<Arc<dyn jirasync_domain::outbound::JiraWriter>>,
}

impl ApiState {
    /// The host API on `data` (the standalone host's records by application ids), jirasync's
    /// `store` and the `host` over the same records, opened by the admin `token`; it serves
    /// [`api_document`].
    pub fn new(
        data: Arc<dyn ApplicationData>,
        store: Arc<dyn SyncStore>,
        host: Arc<dyn Host>,
        token: AdminToken,
    ) -> Self {
        Self {
            data,
            store,
            host,
            token,
            document: Arc::new(api_document()),
            outbound: None,
            jira: None,
        }
    }

    /// Checks with `jira` that a Jira issue exists before an application issue is linked to
    /// it (`PUT …/jira-links/{key}` then answers 422 for a key Jira does not have, and 503 when
    /// Jira cannot be reached). Without it, any well-formed key is linked. `jira` also creates
    /// the issues of `POST …/issues/{issue}/jira-issues`, which answers 503 without it.
    #[must_use]
    pub fn with_jira_check(mut self, jira: Arc<dyn jirasync_domain::outbound::JiraWriter>) -> Self {
        self.jira = Some(jira);
        self
    }

    /// Wakes the outbox worker behind `outbound` after a change recorded outbound work, and
    /// takes the change's time from its clock. Without it, the work waits for the worker's
    /// next poll.
    #[must_use]
    pub fn with_outbound(mut self, outbound: jirasync_service::Outbound) -> Self {
        self.outbound = Some(outbound);
        self
    }

    /// Now, on the outbox worker's clock when there is one: when an application change was made.
    fn now(&self) -> jirasync_domain::events::EventTimestamp {
        self.outbound.as_ref().map_or_else(
            || {
                jirasync_domain::events::EventTimestamp::from_system_time(
                    std::time::SystemTime::now(),
                )
            },
            jirasync_service::Outbound::now,
        )
    }

    /// Wakes the outbox worker when a change recorded `outbound` pieces of work.
    fn woken_after(&self, outbound: usize) {
        if outbound > 0
            && let Some(handle) = &self.outbound
        {
            handle.wake();
        }
    }

    /// Serves `document` at `GET /api/v1/openapi.json` instead: [`api_document`] merged with
    /// the document of routes mounted beside [`api_router`].
    #[must_use]
    pub fn with_document(mut self, document: utoipa::openapi::OpenApi) -> Self {
        self.document = Arc::new(document);
        self
    }
}

impl fmt::Debug for ApiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiState")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// The path of the OpenAPI document, served without the token.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// An HTTP method a host API route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    fn method(self) -> Method {
        match self {
            Self::Get => Method::GET,
            Self::Post => Method::POST,
            Self::Put => Method::PUT,
            Self::Patch => Method::PATCH,
            Self::Delete => Method::DELETE,
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
            Self::Put => MethodFilter::PUT,
            Self::Patch => MethodFilter::PATCH,
            Self::Delete => MethodFilter::DELETE,
        }
    }
}

/// One route: the method, the path (axum and OpenAPI both write parameters `{name}`) and its
/// handler.
struct Route {
    verb: Verb,
    path: &'static str,
    handler: MethodRouter<ApiState>,
}

fn route<H, T>(verb: Verb, path: &'static str, handler: H) -> Route
where
    H: Handler<T, ApiState>,
    T: 'static,
{
    Route {
        verb,
        path,
        handler: on(verb.filter(), handler),
    }
}

/// Every route behind the token, once: the router is built from this table, and a test checks
/// it against the OpenAPI document.
fn token_routes() -> Vec<Route> {
    use Verb::{Delete, Get, Patch, Post, Put};
    vec![
        route(
            Put,
            "/api/v1/organizations",
            organizations::upsert_organizations,
        ),
        route(
            Get,
            "/api/v1/organizations/{org}",
            organizations::read_organization,
        ),
        route(
            Delete,
            "/api/v1/organizations/{org}",
            organizations::delete_organization,
        ),
        route(
            Get,
            "/api/v1/organizations/{org}/members",
            organizations::list_members,
        ),
        route(
            Put,
            "/api/v1/organizations/{org}/members",
            organizations::add_members,
        ),
        route(
            Delete,
            "/api/v1/organizations/{org}/members/{user}",
            organizations::remove_member,
        ),
        route(Put, "/api/v1/users", people::upsert_users),
        route(Get, "/api/v1/users/{user}", people::read_user),
        route(Delete, "/api/v1/users/{user}", people::delete_user),
        route(
            Put,
            "/api/v1/organizations/{org}/teams",
            people::upsert_teams,
        ),
        route(
            Get,
            "/api/v1/organizations/{org}/teams/{team}",
            people::read_team,
        ),
        route(
            Delete,
            "/api/v1/organizations/{org}/teams/{team}",
            people::delete_team,
        ),
        route(
            Put,
            "/api/v1/organizations/{org}/projects",
            issues::upsert_projects,
        ),
        route(
            Get,
            "/api/v1/organizations/{org}/projects/{project}",
            issues::read_project,
        ),
        route(
            Delete,
            "/api/v1/organizations/{org}/projects/{project}",
            issues::delete_project,
        ),
        route(
            Put,
            "/api/v1/organizations/{org}/issues",
            issues::upsert_issues,
        ),
        route(
            Get,
            "/api/v1/organizations/{org}/issues/{issue}",
            issues::read_issue,
        ),
        route(
            Delete,
            "/api/v1/organizations/{org}/issues/{issue}",
            issues::delete_issue,
        ),
        route(
            Put,
            "/api/v1/organizations/{org}/issues/{issue}/jira-links/{key}",
            issues::link_issue,
        ),
        route(
            Delete,
            "/api/v1/organizations/{org}/issues/{issue}/jira-links/{key}",
            issues::unlink_issue,
        ),
        route(
            Post,
            "/api/v1/organizations/{org}/issues/{issue}/assign",
            outbound::assign_issue,
        ),
        route(
            Post,
            "/api/v1/organizations/{org}/issues/{issue}/status",
            status::set_issue_status,
        ),
        route(
            Get,
            "/api/v1/organizations/{org}/integrations",
            config::list_integrations,
        ),
        route(
            Get,
            "/api/v1/organizations/{org}/integrations/{integration}/config",
            config::read_config,
        ),
        route(
            Put,
            "/api/v1/organizations/{org}/integrations/{integration}/config",
            config::replace_config,
        ),
        route(
            Patch,
            "/api/v1/organizations/{org}/integrations/{integration}/config",
            config::patch_config,
        ),
        route(
            Get,
            "/api/v1/organizations/{org}/integrations/{integration}/status-mappings",
            status::list_status_mappings,
        ),
        route(
            Put,
            "/api/v1/organizations/{org}/integrations/{integration}/status-mappings/{project}",
            status::put_status_mapping,
        ),
        route(
            Delete,
            "/api/v1/organizations/{org}/integrations/{integration}/status-mappings/{project}",
            status::delete_status_mapping,
        ),
        route(
            Post,
            "/api/v1/organizations/{org}/issues/{issue}/comments",
            outbound::comment_issue,
        ),
        route(
            Post,
            "/api/v1/organizations/{org}/issues/{issue}/jira-issues",
            jira_creation::create_jira_issue,
        ),
    ]
}

/// Every route of [`api_router`] as (method, path), the document's route included, in the
/// router's order.
pub fn api_routes() -> Vec<(Method, &'static str)> {
    std::iter::once((Method::GET, OPENAPI_PATH))
        .chain(
            token_routes()
                .into_iter()
                .map(|route| (route.verb.method(), route.path)),
        )
        .collect()
}

/// The host API routes, each behind the admin token except the OpenAPI document, each running
/// to its end even when its client hangs up. Merge the result into the service's router.
///
/// ```
/// use std::sync::Arc;
///
/// use jirasync_axum::{AdminToken, AdminTokenError, ApiState, api_router};
/// use jirasync_domain::InMemoryStore;
///
/// # fn example() -> Result<(), AdminTokenError> {
/// // The in-memory store is the application's data, jirasync's store and the host at once.
/// let store = Arc::new(InMemoryStore::new());
/// let state = ApiState::new(
///     store.clone(),
///     store.clone(),
///     store,
///     AdminToken::new("s3cret-admin")?,
/// );
/// let app: axum::Router = api_router(state);
/// # let _ = app;
/// # Ok(())
/// # }
/// # example().unwrap();
/// ```
pub fn api_router(state: ApiState) -> Router {
    let protected = token_routes()
        .into_iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, route.handler)
        })
        .route_layer(from_fn_with_state(
            state.token.clone(),
            crate::admin::auth::require_admin_token,
        ));
    Router::new()
        .route(OPENAPI_PATH, axum::routing::get(document::serve_document))
        .merge(protected)
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(from_fn(crate::detach::detached))
        .with_state(state)
}
