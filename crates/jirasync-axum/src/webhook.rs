//! `POST /extensions/jira-server/issue-updated/{token}/`: the decision table of reference §3.3,
//! with jirasync's answers where the reference fails (a 400 with the reason instead of a 500).
//!
//! | # | condition | answer | outcome label |
//! |---|---|---|---|
//! | 1 | body over the limit | 413 | `too_large` |
//! | 2 | token refused, or no `jira_server` integration has its `id` | 400, the reference's message | `invalid_token` |
//! | 3 | body not JSON, or not a usable payload (e.g. a changelog without `items`) | 400, the parser's message | `bad_payload` |
//! | 4 | no changelog, or one touching neither assignee nor status | 200, nothing stored | `ignored` |
//! | 5 | inbox mode: stored in the inbox | 202 | `accepted` |
//! | 6 | inline mode: applied (halts included) | 200 | `applied` |
//! | 7 | the store (or, inline, Jira) is unavailable | 503 | `unavailable` |
//! | 8 | inline: the sync cannot succeed; any mode: the store failed otherwise | 400 / 500 | `failed` |
//!
//! The path without the trailing `/` is accepted too: Jira admins often drop it when they type the
//! URL by hand, and a redirect would not help, since Jira does not follow redirects for a webhook
//! POST (and 301/302 turn a POST into a GET in most clients). Every error body is
//! `{"detail": "..."}`; other methods get 405 with `Allow: POST`.
//!
//! The token is a secret: no log line or trace field holds it (see [`crate::router::request_span`]).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jirasync_store::inbox::{DeliveryHeader, NewDelivery};
use jirasync_webhook::{TokenError, WebhookToken};

use crate::delivery::{self, DeliveryError, OpenedDelivery};
use crate::error::ApiError;
use crate::metrics::{ProcessingPath, WebhookOutcome};
use crate::state::{AppState, WebhookMode};

/// The webhook route, as the reference and Jira know it.
pub const WEBHOOK_ROUTE: &str = "/extensions/jira-server/issue-updated/{token}/";

/// The same route without its trailing `/`, accepted as well.
pub const WEBHOOK_ROUTE_WITHOUT_SLASH: &str = "/extensions/jira-server/issue-updated/{token}";

/// The request headers stored with an inbox delivery, besides Jira's own `x-atlassian-*` ones.
const KEPT_HEADERS: [&str; 3] = ["content-type", "user-agent", "content-length"];

/// Receives one delivery; see the module docs for the answers.
pub(crate) async fn receive(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (outcome, response) = match decide(&state, token, &headers, body).await {
        Ok((outcome, status)) => (outcome, status.into_response()),
        Err((outcome, error)) => (outcome, error.into_response()),
    };
    state.metrics().webhook_received(outcome);
    response
}

type Decision = Result<(WebhookOutcome, StatusCode), (WebhookOutcome, ApiError)>;

async fn decide(
    state: &AppState,
    token: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Decision {
    let body = body.map_err(|rejection| {
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
    })?;
    // The rejection's text could quote the token: it is never shown or logged.
    let Path(token) = token.map_err(|_| {
        let malformed = TokenError::Malformed {
            reason: "the token is not valid UTF-8",
        };
        refuse(state, malformed.into())
    })?;

    let opened = delivery::open(state, &token, &body)
        .await
        .map_err(|error| refuse(state, error))?;
    let Some(changes) = &opened.changes else {
        tracing::info!(integration_id = %opened.integration.id, "missing-changelog");
        return Ok((WebhookOutcome::Ignored, StatusCode::OK));
    };

    match state.mode() {
        WebhookMode::Inline => {
            delivery::apply(state, &opened.integration, changes, ProcessingPath::Inline)
                .await
                .map_err(|error| refuse(state, error))?;
            Ok((WebhookOutcome::Applied, StatusCode::OK))
        }
        WebhookMode::Inbox => {
            enqueue(state, WebhookToken::new(token), headers, body, &opened).await?;
            Ok((WebhookOutcome::Accepted, StatusCode::ACCEPTED))
        }
    }
}

/// Logs and counts a refusal, and gives its answer.
fn refuse(state: &AppState, error: DeliveryError) -> (WebhookOutcome, ApiError) {
    let outcome = error.outcome();
    match outcome {
        WebhookOutcome::InvalidToken => {
            // reference §3.8: `token-validation-error` and `jira_server.webhook.invalid_token`;
            // the token itself is left out.
            tracing::warn!(%error, "token-validation-error");
            state.metrics().invalid_token();
        }
        WebhookOutcome::BadPayload => tracing::info!(%error, "bad-payload"),
        // Sync failures were logged as `sync-failed` where they happened.
        _ if matches!(error, DeliveryError::Sync(_)) => {}
        _ => tracing::warn!(%error, "webhook-failed"),
    }
    (outcome, ApiError::from(error))
}

async fn enqueue(
    state: &AppState,
    token: WebhookToken,
    headers: &HeaderMap,
    body: Bytes,
    opened: &OpenedDelivery,
) -> Result<(), (WebhookOutcome, ApiError)> {
    let Some(inbox) = state.inbox() else {
        // AppState::build refuses inbox mode without an inbox.
        let error = ApiError::unavailable("the webhook inbox is not configured");
        return Err((WebhookOutcome::Unavailable, error));
    };
    let delivery = NewDelivery {
        token,
        body: body.to_vec(),
        headers: kept_headers(headers),
        received_at: state.now(),
        ordering_key: opened.ordering_key(),
        occurred_at: opened.occurred_at(),
        delivery_key: opened
            .changes
            .as_ref()
            .and_then(|changes| changes.delivery_key.clone()),
    };
    match inbox.enqueue(delivery).await {
        Ok(id) => {
            tracing::debug!(integration_id = %opened.integration.id, delivery_id = %id, "delivery-enqueued");
            state.enqueued().notify_one();
            Ok(())
        }
        Err(error) => {
            let outcome = if error.is_retryable() {
                WebhookOutcome::Unavailable
            } else {
                WebhookOutcome::Failed
            };
            tracing::warn!(integration_id = %opened.integration.id, %error, "enqueue-failed");
            Err((outcome, ApiError::from(error)))
        }
    }
}

/// The headers worth keeping for processing and diagnosis.
fn kept_headers(headers: &HeaderMap) -> Vec<DeliveryHeader> {
    headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            KEPT_HEADERS.contains(&name) || name.starts_with("x-atlassian-")
        })
        .filter_map(|(name, value)| {
            Some(DeliveryHeader {
                name: name.as_str().to_owned(),
                value: value.to_str().ok()?.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn keeps_content_headers_and_jiras_own() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "x-atlassian-webhook-identifier",
            HeaderValue::from_static("42"),
        );
        headers.insert("authorization", HeaderValue::from_static("Bearer nope"));
        headers.insert("cookie", HeaderValue::from_static("session=nope"));
        let names: Vec<String> = kept_headers(&headers)
            .into_iter()
            .map(|header| header.name)
            .collect();
        assert_eq!(names, ["content-type", "x-atlassian-webhook-identifier"]);
    }
}
