//! `GET /healthz` (the process answers), `GET /readyz` (the store answers) and `GET /metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jirasync_domain::ids::IntegrationId;
use serde_json::json;

use crate::error::ApiError;
use crate::metrics::CONTENT_TYPE;
use crate::state::AppState;

/// 200 `{"status":"ok"}` while the process serves requests.
pub(crate) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 `{"status":"ready"}` when the store (and the inbox, if any) answers a read; else 503 with
/// the reason.
pub(crate) async fn readyz(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    // Any cheap read proves the store answers; id 0 is never assigned.
    if let Err(error) = state.store().integration(IntegrationId::new(0)).await {
        tracing::warn!(%error, "readiness-store-failed");
        return Err(ApiError::unavailable(format!("not ready: {error}")));
    }
    if let Some(inbox) = state.inbox()
        && let Err(error) = inbox.depth(state.now()).await
    {
        tracing::warn!(%error, "readiness-inbox-failed");
        return Err(ApiError::unavailable(format!(
            "not ready: the inbox failed: {error}"
        )));
    }
    Ok(Json(json!({ "status": "ready" })))
}

/// The Prometheus exposition, with the inbox depth read now. When the inbox cannot be read the
/// depth is left out (and logged) rather than failing the scrape.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let depth = match state.inbox() {
        None => None,
        Some(inbox) => match inbox.depth(state.now()).await {
            Ok(depth) => Some(depth),
            Err(error) => {
                tracing::warn!(%error, "metrics-inbox-depth-failed");
                None
            }
        },
    };
    let mut response = state.metrics().render(depth).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}
