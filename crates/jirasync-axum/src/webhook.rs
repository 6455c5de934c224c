//! The webhook route's handler: HTTP in, [`jirasync_service::SyncService::receive_webhook`],
//! a status out (see [`crate::routes`]).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jirasync_service::{WebhookOutcome, WebhookReceipt};
use jirasync_webhook::TokenError;

use crate::error::ApiError;
use crate::state::AppState;

/// The webhook route, as the reference and Jira know it.
pub const WEBHOOK_ROUTE: &str = "/extensions/jira-server/issue-updated/{token}/";

/// The same route without its trailing `/`, accepted as well.
pub const WEBHOOK_ROUTE_WITHOUT_SLASH: &str = "/extensions/jira-server/issue-updated/{token}";

/// Receives one delivery; see the module docs for the answers.
pub(crate) async fn receive(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let service = state.service();
    // Row 1 comes first: a body that cannot be read is refused before the token is looked at.
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let (outcome, error) = unreadable_body(&state, &rejection);
            service.metrics().webhook_received(outcome);
            return error.into_response();
        }
    };
    let receipt = match token {
        Ok(Path(token)) => {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
                .collect();
            service.receive_webhook(&token, &body, &headers).await
        }
        // The rejection's text could quote the token: it is never shown or logged.
        Err(_) => service.refuse_webhook(
            TokenError::Malformed {
                reason: "the token is not valid UTF-8",
            }
            .into(),
        ),
    };
    answer(receipt)
}

/// The outcome and answer of a body that could not be read: over the limit (413) or broken.
fn unreadable_body(state: &AppState, rejection: &BytesRejection) -> (WebhookOutcome, ApiError) {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let detail = format!(
            "The request body is over the limit of {} bytes",
            state.body_limit()
        );
        (
            WebhookOutcome::TooLarge,
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, detail),
        )
    } else {
        let detail = format!("Could not read the request body: {}", rejection.body_text());
        (WebhookOutcome::BadPayload, ApiError::bad_request(detail))
    }
}

/// The HTTP answer of a receipt: 200 with an empty body when ignored or applied, 202 when
/// stored, the error's status otherwise.
fn answer(receipt: WebhookReceipt) -> Response {
    match receipt {
        WebhookReceipt::Accepted(_) => StatusCode::ACCEPTED.into_response(),
        WebhookReceipt::Refused(error) => ApiError::from(error).into_response(),
        // Ignored, applied, and any receipt a later version adds: the delivery was taken.
        _ => StatusCode::OK.into_response(),
    }
}
