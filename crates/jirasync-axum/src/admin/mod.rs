//! The admin JSON API ([`admin_router`]): what an operator changes and inspects over HTTP.

pub(crate) mod auth;
pub(crate) mod body;
mod external_actors;
mod ids;
mod issues;
mod organizations;

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post, put};
use jirasync_domain::SecretString;
use jirasync_domain::{Host, LocalIssueStore, SyncStore};

/// The largest request body the admin routes read.
pub const ADMIN_BODY_LIMIT: usize = 64 * 1024;

/// The bearer token that opens the admin API. `Debug` and `Display` never show it.
#[derive(Clone, Debug)]
pub struct AdminToken(SecretString);

/// Why a text cannot be the admin token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminTokenError {
    /// The token is empty or blank.
    #[error("the admin token is empty: set a long random value (e.g. `openssl rand -hex 32`)")]
    Empty,
}

impl AdminToken {
    /// Wraps the configured token.
    ///
    /// # Errors
    ///
    /// [`AdminTokenError::Empty`] for an empty or blank text, which would open the API to anyone
    /// sending `Authorization: Bearer`.
    pub fn new(token: impl Into<String>) -> Result<Self, AdminTokenError> {
        let token = token.into();
        if token.trim().is_empty() {
            return Err(AdminTokenError::Empty);
        }
        Ok(Self(SecretString::new(token)))
    }

    /// Whether `presented` is this token, compared in constant time (only the length may show).
    pub fn matches(&self, presented: &str) -> bool {
        self.0.matches(presented)
    }
}

impl fmt::Display for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What the admin routes need: jirasync's store, the application's host, the standalone
/// service's issues (when it has them) and the token.
#[derive(Clone)]
pub struct AdminState {
    store: Arc<dyn SyncStore>,
    host: Arc<dyn Host>,
    local_issues: Option<Arc<dyn LocalIssueStore>>,
    token: AdminToken,
}

impl AdminState {
    /// The admin API on jirasync's `store` and the application's `host`, opened by `token`.
    /// Local issues cannot be read until [`with_local_issues`](Self::with_local_issues) gives
    /// them.
    pub fn new(store: Arc<dyn SyncStore>, host: Arc<dyn Host>, token: AdminToken) -> Self {
        Self {
            store,
            host,
            local_issues: None,
            token,
        }
    }

    /// Serves `GET /api/0/organizations/{org}/issues/{local_issue_id}/` from the standalone
    /// service's own issues and their activity log.
    #[must_use]
    pub fn with_local_issues(mut self, local_issues: Arc<dyn LocalIssueStore>) -> Self {
        self.local_issues = Some(local_issues);
        self
    }
}

impl fmt::Debug for AdminState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminState")
            .field("token", &self.token)
            .field("local_issues", &self.local_issues.is_some())
            .finish_non_exhaustive()
    }
}

/// The admin routes, each behind the bearer token, each running to its end even when its client
/// hangs up. Merge the result into the service's router.
///
/// The admin JSON API: what an operator of a deployment changes and inspects over HTTP, behind a
/// bearer token (`docs/admin-api.md` has every shape and curl examples).
///
/// | route | what |
/// |---|---|
/// | `GET /api/0/organizations/` | the organizations |
/// | `GET /api/0/organizations/{org}/integrations/` | the organization's links, with their config |
/// | `GET\|PUT /api/0/organizations/{org}/integrations/{integration_id}/config/` | the sync flags (PUT is partial) |
/// | `GET\|POST /api/0/organizations/{org}/external-users/` | external users |
/// | `PUT\|DELETE /api/0/organizations/{org}/external-users/{id}/` | one external user |
/// | `GET\|POST /api/0/teams/{org}/{team}/external-teams/` | a team's external names |
/// | `PUT\|DELETE /api/0/teams/{org}/{team}/external-teams/{id}/` | one external team |
/// | `POST /api/0/organizations/{org}/issues/{local_issue_id}/external-issues/` | link a Jira key |
/// | `DELETE /api/0/organizations/{org}/issues/{local_issue_id}/external-issues/{key}/?integrationId=N` | unlink it |
/// | `GET /api/0/organizations/{org}/issues/{local_issue_id}/` | a local issue with its activities (standalone service only) |
///
/// Every route needs `Authorization: Bearer <admin token>` ([`AdminToken`], compared in constant
/// time): without it 401 `Authentication credentials were not provided.`, with another token 401
/// `Invalid token.`. The routes hold no rules: external actors go through
/// [`jirasync_domain::rules::external_actors`], links through
/// [`jirasync_domain::rules::issue_links`] (both ask the application's
/// [`Host`](jirasync_domain::Host) whether a user, team or issue is the organization's), and each
/// refusal maps to one status.
///
/// Reading a local issue with its activities needs the standalone service's own issues
/// ([`AdminState::with_local_issues`]); an application that keeps its issues itself has nothing
/// to give there, and the route answers 404.
///
/// Path ids (`{org}`, `{team}`, `{id}`, `{integration_id}`, `{local_issue_id}`) are decimal
/// numbers; one that does not parse names nothing and is answered 404, as an unknown id is.
/// Bodies are JSON (`Content-Type: application/json`, else 415) of at most
/// [`ADMIN_BODY_LIMIT`] bytes (else 413); a malformed body is 400 with the JSON path of what is
/// wrong.
///
/// ```
/// use std::sync::Arc;
///
/// use jirasync_axum::{AdminState, AdminToken, AdminTokenError, admin_router};
/// use jirasync_domain::InMemoryStore;
///
/// # fn example() -> Result<(), AdminTokenError> {
/// // The in-memory store is jirasync's store, the host, and the standalone issues at once.
/// let store = Arc::new(InMemoryStore::new());
/// let state = AdminState::new(store.clone(), store.clone(), AdminToken::new("s3cret-admin")?)
///     .with_local_issues(store);
/// let app: axum::Router = admin_router(state);
/// # let _ = app;
/// # Ok(())
/// # }
/// # example().unwrap();
/// ```
pub fn admin_router(state: AdminState) -> Router {
    Router::new()
        .route(
            "/api/0/organizations/",
            get(organizations::list_organizations),
        )
        .route(
            "/api/0/organizations/{org}/integrations/",
            get(organizations::list_integrations),
        )
        .route(
            "/api/0/organizations/{org}/integrations/{integration_id}/config/",
            get(organizations::get_config).put(organizations::update_config),
        )
        .route(
            "/api/0/organizations/{org}/external-users/",
            get(external_actors::list_users).post(external_actors::create_user),
        )
        .route(
            "/api/0/organizations/{org}/external-users/{id}/",
            put(external_actors::update_user).delete(external_actors::delete_user),
        )
        .route(
            "/api/0/teams/{org}/{team}/external-teams/",
            get(external_actors::list_teams).post(external_actors::create_team),
        )
        .route(
            "/api/0/teams/{org}/{team}/external-teams/{id}/",
            put(external_actors::update_team).delete(external_actors::delete_team),
        )
        .route(
            "/api/0/organizations/{org}/issues/{local_issue_id}/",
            get(issues::read_issue),
        )
        .route(
            "/api/0/organizations/{org}/issues/{local_issue_id}/external-issues/",
            post(issues::link_issue),
        )
        .route(
            "/api/0/organizations/{org}/issues/{local_issue_id}/external-issues/{key}/",
            axum::routing::delete(issues::unlink_issue),
        )
        .route_layer(from_fn_with_state(
            state.token.clone(),
            auth::require_admin_token,
        ))
        .layer(DefaultBodyLimit::max(ADMIN_BODY_LIMIT))
        .layer(from_fn(crate::detach::detached))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;

    #[test]
    fn blank_tokens_are_refused() {
        assert!(AdminToken::new("").is_err());
        assert!(AdminToken::new("  ").is_err());
    }

    #[test]
    fn token_matches_only_itself_and_never_prints() {
        let token = AdminToken::new("hunter2").unwrap();
        assert!(token.matches("hunter2"));
        assert!(!token.matches("hunter"));
        assert!(!token.matches("hunter3"));
        assert!(!format!("{token:?} {token}").contains("hunter2"));
    }
}
