//! jirasync's HTTP adapter for [axum]: it translates HTTP to [`jirasync_service`] and the domain
//! and back, and holds no business rules and no SQL.
//!
//! - [`router()`] / [`routes()`]: `POST /extensions/jira-server/issue-updated/{token}/` (handed to
//!   [`SyncService::receive_webhook`](jirasync_service::SyncService::receive_webhook), whose
//!   receipt becomes the status), `GET /healthz`, `GET /readyz`, `GET /metrics`, on an
//!   [`AppState`]: the [`SyncService`](jirasync_service::SyncService) and the body limit;
//! - [`api_router()`]: the host API under `/api/v1` ([`ApiState`]): the application's data by its
//!   own ids, issue links and sync configuration, with its OpenAPI document ([`api_document`]);
//! - [`admin_router()`]: the admin JSON API behind a bearer token ([`AdminState`],
//!   [`AdminToken`]): organization integration config, external users and teams, issue links,
//!   local issues;
//! - [`events_router()`]: outgoing events behind the admin token: subscribers and the long-poll
//!   feed, with their OpenAPI document ([`EventsApiDoc`], [`EventsState`]);
//! - [`setup_router()`]: connecting a Jira instance: the installation form and the OAuth 1.0a
//!   dance as pages and as JSON steps ([`SetupState`], with pipelines in a [`PipelineStore`]);
//! - [`detached`]: the middleware that lets every request run to its end when its client hangs
//!   up; [`trace_layer`]: request tracing that never records the webhook token;
//! - [`serve_bounded`]: serving an application with a header-read timeout, a body-read
//!   deadline (408) and a connection limit ([`ServerLimits`]).
//!
//! The inbox workers, the installer and the Jira look-ups are `jirasync-service`'s: an
//! application runs [`jirasync_service::spawn_workers`] beside the routes.
//!
//! Every error answer is JSON `{"detail": "..."}` with the status the failure calls for
//! ([`ApiError`]).
//!
//! # Example
//!
//! Build the router on the in-memory store (both jirasync's store and the host), in inline
//! mode, and post a delivery:
//!
//! ```
//! use std::sync::Arc;
//!
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use jirasync_axum::{AppState, router};
//! use jirasync_domain::integration::{ExternalId, IntegrationMetadata};
//! use jirasync_domain::{InMemoryStore, Seed, StaticJiraDirectory};
//! use jirasync_service::{SyncService, WebhookMode};
//! use jirasync_webhook::{WebhookSecret, mint_token, webhook_url};
//! use tower::ServiceExt;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(InMemoryStore::new());
//! let secret = WebhookSecret::new("s3cret");
//! let external_id = ExternalId::for_jira("jira.example.com", "jirasync");
//! store
//!     .seed_integration(
//!         external_id.clone(),
//!         "jirasync",
//!         IntegrationMetadata {
//!             base_url: "https://jira.example.com".into(),
//!             domain_name: "jira.example.com".into(),
//!             verify_ssl: true,
//!             webhook_secrets: vec![secret.clone()],
//!         },
//!     )
//!     .await?;
//!
//! let service = SyncService::builder(
//!     store.clone(),
//!     store,
//!     Arc::new(StaticJiraDirectory::new()),
//! )
//! .mode(WebhookMode::Inline)
//! .build()?;
//! let app = router(AppState::new(service));
//!
//! let token = mint_token(external_id.as_str(), &secret);
//! let request = Request::post(webhook_url("", &token))
//!     .header("content-type", "application/json")
//!     .body(Body::from(
//!         r#"{"webhookEvent": "jira:issue_updated", "issue": {"key": "APP-1", "fields": {}}}"#,
//!     ))?;
//! let response = app.oneshot(request).await?;
//! // No changelog: nothing to sync, answered 200 as the reference does.
//! assert_eq!(response.status(), StatusCode::OK);
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(example()).unwrap();
//! ```

mod admin;
mod api;
mod detach;
mod error;
mod events;
mod health;
mod router;
mod server;
mod setup;
mod state;
mod webhook;

pub use admin::{ADMIN_BODY_LIMIT, AdminState, AdminToken, AdminTokenError, admin_router};
pub use api::{
    API_BODY_LIMIT, ApiDoc, ApiState, OPENAPI_PATH, api_document, api_router, api_routes,
};
pub use detach::detached;
pub use error::ApiError;
pub use events::{DEFAULT_MAX_WAIT, EVENTS_OPENAPI_PATH, EventsApiDoc, EventsState, events_router};
pub use router::{
    REDACTED, UNMATCHED_PATH, redacted_path, request_span, router, routes, trace_layer,
};
pub use server::{ServerLimits, serve_bounded};
pub use setup::pipeline::{
    CsrfToken, DEFAULT_PIPELINE_CAPACITY, DEFAULT_PIPELINE_TTL, InMemoryPipelineStore, Pipeline,
    PipelineFlow, PipelineId, PipelineStage, PipelineStore,
};
pub use setup::{
    SETUP_API_PATH, SETUP_BODY_LIMIT, SETUP_PATH, SETUP_TOKEN_PARAMETER, SetupGrant, SetupState,
    setup_router,
};
pub use state::{AppState, AppStateBuilder, BuildError, DEFAULT_BODY_LIMIT};
pub use webhook::{WEBHOOK_ROUTE, WEBHOOK_ROUTE_WITHOUT_SLASH};

/// The OpenAPI document of every `/api/v1` route: the host API's ([`api_document`]) and the
/// events API's ([`EventsApiDoc`]) in one. `jirasync serve` serves it at [`OPENAPI_PATH`]
/// (through [`ApiState::with_document`]).
pub fn v1_document() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi as _;
    api_document().merge_from(EventsApiDoc::openapi())
}
