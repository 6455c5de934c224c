//! Outgoing events over HTTP ([`events_router`]), behind the admin bearer token: subscribers
//! (`/api/v1/subscriptions`) and the long-poll feed (`GET /api/v1/events`), documented by
//! [`EventsApiDoc`] (OpenAPI, generated from the code) and served at
//! [`EVENTS_OPENAPI_PATH`].

mod feed;
mod subscriptions;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jirasync_core::Clock;
use jirasync_domain::EventStore;
use jirasync_service::events::EventFeed;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::admin::ADMIN_BODY_LIMIT;
use crate::admin::AdminToken;
use crate::admin::auth::refuse_without_token;

/// Where the events API's OpenAPI document is served.
pub const EVENTS_OPENAPI_PATH: &str = "/api/v1/openapi/events.json";

/// The longest `wait` of a long poll, by default.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);

/// What the events routes need: the store's events and subscribers, the feed that waits for new
/// ones, the clock, and the admin token.
#[derive(Clone)]
pub struct EventsState {
    store: Arc<dyn EventStore>,
    feed: EventFeed,
    clock: Arc<dyn Clock>,
    token: AdminToken,
    max_wait: Duration,
}

impl std::fmt::Debug for EventsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsState")
            .field("feed", &self.feed)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

impl EventsState {
    /// The events API over `feed`'s store, on `clock`, opened by `token`, with long polls of
    /// at most [`DEFAULT_MAX_WAIT`].
    pub fn new(feed: EventFeed, clock: Arc<dyn Clock>, token: AdminToken) -> Self {
        Self {
            store: Arc::clone(feed.store()),
            feed,
            clock,
            token,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }

    /// This state with long polls of at most `max_wait`.
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }
}

/// The events API: `POST/GET /api/v1/subscriptions`, `DELETE /api/v1/subscriptions/{id}`,
/// `POST /api/v1/subscriptions/{id}/rotate`, `GET /api/v1/events`, and its OpenAPI document at
/// [`EVENTS_OPENAPI_PATH`]. Every route but the document needs the admin bearer token.
pub fn events_router(state: EventsState) -> Router {
    let protected = Router::new()
        .route(
            "/api/v1/subscriptions",
            post(subscriptions::create).get(subscriptions::list),
        )
        .route(
            "/api/v1/subscriptions/{id}",
            axum::routing::delete(subscriptions::delete),
        )
        .route(
            "/api/v1/subscriptions/{id}/rotate",
            post(subscriptions::rotate),
        )
        .route("/api/v1/events", get(feed::events))
        .route_layer(from_fn_with_state(state.clone(), require_token))
        .layer(DefaultBodyLimit::max(ADMIN_BODY_LIMIT))
        .with_state(state);
    protected.route(EVENTS_OPENAPI_PATH, get(openapi_json))
}

async fn require_token(State(state): State<EventsState>, request: Request, next: Next) -> Response {
    match refuse_without_token(request.headers(), &state.token) {
        None => next.run(request).await,
        Some(refusal) => refusal,
    }
}

async fn openapi_json() -> Response {
    axum::Json(EventsApiDoc::openapi()).into_response()
}

/// The OpenAPI document of the events API: its routes, the subscription bodies and every event
/// type's schema. Merge it into a larger document with `OpenApi::merge`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "jirasync events API",
        description = "Outgoing events: subscribers (pushed, signed per Standard Webhooks) and the long-poll feed. See docs/events.md."
    ),
    paths(
        subscriptions::create,
        subscriptions::list,
        subscriptions::delete,
        subscriptions::rotate,
        feed::events,
    ),
    components(schemas(
        jirasync_domain::events::Event,
        jirasync_domain::events::EventPayload,
        jirasync_domain::events::AssigneeChangedData,
        jirasync_domain::events::StatusChangedData,
        jirasync_domain::events::IssueLinkData,
        jirasync_domain::events::IntegrationData,
        jirasync_domain::events::EventAssignee,
        jirasync_domain::events::EventStatus,
        jirasync_domain::events::EventSource,
        crate::error::ErrorDetail,
        jirasync_domain::events::CommentAddedData,
        jirasync_domain::events::EventCommentAuthor,
    )),
    modifiers(&BearerToken),
    security(("admin_token" = [])),
    tags((name = "events", description = "Outgoing events and their subscribers"))
)]
pub struct EventsApiDoc;

/// Declares the admin bearer token.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
