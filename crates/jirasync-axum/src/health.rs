//! `GET /healthz` (the process answers), `GET /readyz` (the store answers) and `GET /metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jirasync_service::METRICS_CONTENT_TYPE;
use serde_json::json;

use crate::error::ApiError;
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
    state
        .service()
        .check_ready()
        .await
        .map_err(|error| ApiError::unavailable(format!("not ready: {error}")))?;
    Ok(Json(json!({ "status": "ready" })))
}

/// The Prometheus exposition, with the inbox depth read now.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.service().render_metrics().await.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(METRICS_CONTENT_TYPE),
    );
    response
}
