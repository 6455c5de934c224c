//! jirasync's HTTP adapter for [axum]: it translates HTTP to the domain and back, and holds no
//! business rules and no SQL.
//!
//! - [`router()`] / [`routes()`]: `POST /extensions/jira-server/issue-updated/{token}/` (the decision
//!   table is in [`webhook`]), `GET /healthz`, `GET /readyz`, `GET /metrics`;
//! - [`AppState`]: the store, the inbox, the Jira directory, the [`WebhookMode`], the body limit,
//!   the [`Metrics`] and the clock, shared by the routes and the workers;
//! - [`spawn_workers`]: the inbox workers that apply stored deliveries;
//! - [`ClientJiraDirectory`]: the domain's Jira look-ups over Jira's REST API.
//! - [`admin`]: the admin JSON API behind a bearer token ([`admin::router`]): organization
//!   integration config, external users and teams, issue links, local issues.
//! - [`setup`]: connecting a Jira instance: the installation form and the OAuth 1.0a dance as pages
//!   and as JSON steps, and [`setup::install_jira`], which the command line calls too.
//!
//! Every error answer is JSON `{"detail": "..."}` with the status the failure calls for
//! ([`ApiError`]). The webhook token never reaches a log line or a trace field
//! ([`router::trace_layer`]).
//!
//! # Example
//!
//! Build the router on the in-memory store, in inline mode, and post a delivery:
//!
//! ```
//! use std::sync::Arc;
//!
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use jirasync_axum::{AppState, WebhookMode, router};
//! use jirasync_domain::integration::{ExternalId, IntegrationMetadata};
//! use jirasync_domain::{InMemoryStore, Seed, StaticJiraDirectory};
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
//! let state = AppState::builder(store, Arc::new(StaticJiraDirectory::new()))
//!     .mode(WebhookMode::Inline)
//!     .build()?;
//! let app = router(state);
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

pub mod admin;
pub mod delivery;
pub mod detach;
pub mod directory;
pub mod error;
mod health;
pub mod jira;
pub mod metrics;
pub mod router;
pub mod setup;
pub mod state;
pub mod webhook;
pub mod worker;

pub use directory::ClientJiraDirectory;
pub use error::ApiError;
pub use jira::{JiraClientError, jira_client};
pub use metrics::{Metrics, WebhookOutcome};
pub use router::{router, routes};
pub use state::{AppState, AppStateBuilder, BuildError, DEFAULT_BODY_LIMIT, WebhookMode};
pub use worker::{
    Shutdown, ShutdownTrigger, WorkerOptions, process_available, shutdown_channel, spawn_workers,
};
