//! Requests that finish whatever happens to their connection ([`detached`]).

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::ApiError;

/// Middleware (for [`axum::middleware::from_fn`]) that runs the rest of the request in a task of
/// its own, so that a client hanging up never cancels it half-way. A handler that panics gets a
/// 500 answer instead of a closed connection.
///
/// When a client closes its connection while a request is in flight (Jira timing out on a slow
/// webhook, a load generator stopping), the HTTP server drops the request's future at whatever
/// `.await` it had reached: half-way through a store transaction, between a write and its
/// acknowledgement. [`detached`] runs each request in a task of its own instead; the server
/// then drops only the wait for the answer, and the request runs to its end: a delivery that was
/// received whole is applied or stored, a transaction commits or rolls back, and the answer is
/// thrown away when nobody listens. Every router of this crate is wrapped in it.
///
/// ```
/// use axum::Router;
/// use axum::middleware::from_fn;
/// use axum::routing::post;
///
/// let app: Router = Router::new()
///     .route("/work", post(|| async { "done" }))
///     .layer(from_fn(jirasync_axum::detached));
/// # drop(app);
/// ```
pub async fn detached(request: Request, next: Next) -> Response {
    let work = next.run(request).instrument(tracing::Span::current());
    match tokio::spawn(work).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "request-task-failed");
            let detail = "internal error: the request failed; see the service log";
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, detail).into_response()
        }
    }
}
