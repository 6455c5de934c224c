//! The one error answer of every route: a status and a JSON body `{"detail": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jirasync_domain::rules::outcome::SyncError;
use jirasync_domain::{HostError, StoreError};
use jirasync_service::DeliveryError;
use serde::Serialize;

/// An error answer: the status and the message a caller can act on.
///
/// Store failures map by kind: [`StoreError::Unavailable`] → 503 (retry later),
/// [`StoreError::Invalid`] → 400, [`StoreError::Conflict`] → 409, [`StoreError::NotFound`] → 404,
/// anything else → 500 without the store's internals in the body. The application's
/// ([`HostError`]) likewise: unavailable → 503, refused → 400, anything else → 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
}

/// The JSON body of an error answer.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    detail: &'a str,
}

/// The JSON body of an error answer, for the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// What was wrong, in words a caller can act on.
    detail: String,
}

impl ApiError {
    /// An error answer with this status and detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 401: the request lacks valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// 403: the caller may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 404: what the request names does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 409: the request conflicts with what exists.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    /// 503: a dependency is down; retry later.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, detail)
    }

    /// 500 naming what failed, without its internals (they may quote data or connection
    /// settings): the details go to the log.
    fn internal(what: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {what} failed; see the service log"),
        )
    }

    /// The status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message of the answer.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match &error {
            StoreError::Unavailable { .. } => Self::unavailable(error.to_string()),
            StoreError::Invalid { .. } => Self::bad_request(error.to_string()),
            StoreError::Conflict { .. } => Self::conflict(error.to_string()),
            StoreError::NotFound { .. } => Self::not_found(error.to_string()),
            _ => {
                tracing::error!(%error, "store-error");
                Self::internal("the store")
            }
        }
    }
}

impl From<HostError> for ApiError {
    fn from(error: HostError) -> Self {
        match &error {
            HostError::Unavailable { .. } => Self::unavailable(error.to_string()),
            HostError::Refused { .. } => Self::bad_request(error.to_string()),
            _ => {
                tracing::error!(%error, "host-error");
                Self::internal("the application")
            }
        }
    }
}

impl From<DeliveryError> for ApiError {
    /// Store failures as [`ApiError`] maps them (503 when unavailable); token and payload
    /// refusals → 400 with their message; other retryable failures (Jira or the application
    /// unreachable) → 503; a sync that cannot succeed → 400.
    fn from(error: DeliveryError) -> Self {
        match error {
            DeliveryError::Store(error) | DeliveryError::Sync(SyncError::Store(error)) => {
                Self::from(error)
            }
            error if error.is_retryable() => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("{error}; Jira may send the delivery again later"),
            ),
            error => Self::bad_request(error.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(ErrorBody {
            detail: &self.detail,
        });
        (self.status, body).into_response()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.detail)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use jirasync_domain::DirectoryError;
    use jirasync_domain::ids::IntegrationId;
    use jirasync_service::WebhookOutcome;
    use jirasync_webhook::TokenError;

    use super::*;

    #[test]
    fn store_errors_map_by_kind() {
        let status = |error| ApiError::from(error).status();
        assert_eq!(
            status(StoreError::unavailable("down")),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(status(StoreError::invalid("bad")), StatusCode::BAD_REQUEST);
        assert_eq!(status(StoreError::conflict("dup")), StatusCode::CONFLICT);
        assert_eq!(status(StoreError::not_found("x")), StatusCode::NOT_FOUND);
        assert_eq!(
            status(StoreError::other("boom")),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn internal_errors_do_not_leak_the_store_message() {
        let error = ApiError::from(StoreError::other("password=hunter2"));
        assert!(!error.detail().contains("hunter2"));
    }

    fn delivery_status(error: DeliveryError) -> StatusCode {
        ApiError::from(error).status()
    }

    #[test]
    fn refusals_of_the_input_are_400() {
        assert_eq!(
            delivery_status(TokenError::MissingId.into()),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            delivery_status(DeliveryError::UnknownIntegration),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn retryable_failures_are_503_and_others_400() {
        let jira_down = SyncError::Directory(DirectoryError::Unreachable {
            message: "timed out".into(),
        });
        assert_eq!(
            delivery_status(jira_down.into()),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let gone = SyncError::UnknownIntegration {
            integration_id: IntegrationId::new(9),
        };
        let gone = DeliveryError::from(gone);
        assert_eq!(gone.outcome(), WebhookOutcome::Failed);
        assert_eq!(delivery_status(gone), StatusCode::BAD_REQUEST);
        let store_down = SyncError::Store(StoreError::unavailable("pool timed out"));
        assert_eq!(
            delivery_status(store_down.into()),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn store_failures_keep_their_kind() {
        let broken = DeliveryError::Store(StoreError::other("disk full"));
        assert_eq!(broken.outcome(), WebhookOutcome::Failed);
        assert_eq!(delivery_status(broken), StatusCode::INTERNAL_SERVER_ERROR);
        let down = DeliveryError::Store(StoreError::unavailable("down"));
        assert_eq!(down.outcome(), WebhookOutcome::Unavailable);
    }

    #[test]
    fn host_errors_map_by_kind_without_leaking_internals() {
        let down = HostError::Unavailable {
            message: "pool timed out".into(),
            source: None,
        };
        assert_eq!(
            ApiError::from(down).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            ApiError::from(HostError::refused("no teams here")).status(),
            StatusCode::BAD_REQUEST
        );
        let broken = ApiError::from(HostError::Other {
            message: "password=hunter2".into(),
            source: None,
        });
        assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!broken.detail().contains("hunter2"));
    }
}
