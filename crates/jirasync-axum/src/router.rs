//! The routes of this crate, and request tracing that never records the webhook token.

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use tower_http::trace::{HttpMakeClassifier, TraceLayer};
use tracing::Span;

use crate::detach::detached;
use crate::error::ApiError;
use crate::state::AppState;
use crate::webhook::{WEBHOOK_ROUTE, WEBHOOK_ROUTE_WITHOUT_SLASH};
use crate::{health, webhook};

// What request spans record in place of the webhook token, and how a path is redacted: the webhook
// crate owns the path prefix, so it owns the one redaction every layer uses.
pub use jirasync_webhook::{REDACTED_TOKEN as REDACTED, redact_webhook_url as redacted_path};

/// What request spans record as the path of a request no route matched. Such a path is never
/// recorded, not even redacted: a near miss of the webhook route (`/Extensions/…`, `//extensions/…`,
/// a `%2F` in place of a `/`, the token under another prefix) still holds the token, and no
/// redaction can know every way a client may misspell the route.
pub const UNMATCHED_PATH: &str = "<unmatched>";

/// The whole application of this crate: [`routes`] with the state applied and [`trace_layer`]
/// around them. Merge or nest it into an existing [`Router`].
pub fn router(state: AppState) -> Router {
    routes(&state).layer(trace_layer()).with_state(state)
}

/// The routes of this crate, still waiting for their state: for merging with other routers that
/// take an [`AppState`] (the setup and admin routers) before calling `.with_state`.
///
/// - `POST /extensions/jira-server/issue-updated/{token}/` (and without the trailing `/`),
///   limited to `state`'s body limit;
/// - `GET /healthz`, `GET /readyz`, `GET /metrics`.
///
/// Other methods on these paths get 405 with a JSON body. Each request runs to its end even when
/// its client hangs up ([`detached`]). No tracing layer is added: use
/// [`trace_layer`] (or record the matched route, never the raw URI).
///
/// The webhook route hands each delivery to
/// [`SyncService::receive_webhook`](jirasync_service::SyncService::receive_webhook), whose
/// documentation holds the decision table of reference §3.3 (with jirasync's answers where the
/// reference fails: a 400 with the reason instead of a 500), and answers its receipt:
///
/// | receipt | answer |
/// |---|---|
/// | — (the body is over the limit; checked here, before the token) | 413 |
/// | `Ignored` (no changelog, or nothing to sync) | 200, empty body |
/// | `Accepted` (inbox mode) | 202, empty body |
/// | `Applied` (inline mode, halts included) | 200, empty body |
/// | `Refused` | by [`ApiError`]'s mapping of the error: 400, 503 or 500 |
///
/// The path without the trailing `/` is accepted too: Jira admins often drop it when they type the
/// URL by hand, and a redirect would not help, since Jira does not follow redirects for a webhook
/// POST (and 301/302 turn a POST into a GET in most clients). Every error body is
/// `{"detail": "..."}`; other methods get 405 with `Allow: POST`.
///
/// The token is a secret: no log line or trace field holds it (see [`request_span`]).
pub fn routes(state: &AppState) -> Router<AppState> {
    let webhook = || {
        post(webhook::receive)
            .fallback(|| method_not_allowed("POST"))
            .layer(DefaultBodyLimit::max(state.body_limit()))
    };
    Router::new()
        .route(WEBHOOK_ROUTE, webhook())
        .route(WEBHOOK_ROUTE_WITHOUT_SLASH, webhook())
        .route("/healthz", get_only(get(health::healthz)))
        .route("/readyz", get_only(get(health::readyz)))
        .route("/metrics", get_only(get(health::metrics)))
        .layer(from_fn(detached))
}

fn get_only(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.fallback(|| method_not_allowed("GET, HEAD"))
}

/// 405 with `Allow` and a JSON body.
async fn method_not_allowed(allow: &'static str) -> Response {
    let detail = format!("Method not allowed: use {allow}");
    let mut response = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, detail).into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// The span a [`TraceLayer`] opens for each request, with `method` and `path` where `path` is
/// the matched route template (`/extensions/jira-server/issue-updated/{token}/`) or, for
/// unmatched requests, [`UNMATCHED_PATH`]. Neither the URI nor the query string is recorded: a
/// raw request path may hold the webhook token.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_PATH, MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), path = %path)
}

/// A [`TraceLayer`] whose spans come from [`request_span`].
pub fn trace_layer() -> TraceLayer<HttpMakeClassifier, fn(&Request<axum::body::Body>) -> Span> {
    TraceLayer::new_for_http().make_span_with(request_span::<axum::body::Body> as fn(&_) -> Span)
}
