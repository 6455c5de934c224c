//! Refusals of the host API: each domain refusal with its status, and the application ids a
//! path names checked before any store call.

use axum::http::StatusCode;
use jirasync_domain::app_data::{AppId, BatchError, validate_app_id};
use jirasync_domain::rules::issue_links::IssueLinkError;
use jirasync_domain::rules::organization_links::LinkChoiceError;
use jirasync_domain::rules::sync_config::SyncConfigError;

use crate::error::ApiError;

/// The id a path segment names. One that no record can have (empty, a control character, too
/// long) names nothing: 404.
pub(super) fn path_app_id(what: &str, segment: String) -> Result<AppId, ApiError> {
    let id = AppId::new(segment);
    validate_app_id(what, &id)
        .map_err(|_| ApiError::not_found(format!("not found: {what} {:?}", id.as_str())))?;
    Ok(id)
}

/// 413 for a batch over the limit, 422 for an item that breaks a rule (its JSON path first).
#[allow(clippy::needless_pass_by_value, reason = "a `map_err` adapter")]
pub(super) fn batch_refusal(error: BatchError) -> ApiError {
    let status = match error {
        BatchError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, error.to_string())
}

/// 422 for a change the configuration rules refuse.
#[allow(clippy::needless_pass_by_value, reason = "a `map_err` adapter")]
pub(super) fn config_refusal(error: SyncConfigError) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
}

/// 409 without an integration, 422 when several could be meant, 404 for one not linked.
pub(super) fn link_choice_refusal(error: LinkChoiceError) -> ApiError {
    match error {
        LinkChoiceError::Store(error) => ApiError::from(error),
        LinkChoiceError::NoIntegration { .. } => ApiError::conflict(error.to_string()),
        LinkChoiceError::Ambiguous { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{error}: add ?integration=ID"),
        ),
        other => ApiError::not_found(other.to_string()),
    }
}

/// 422 for a text that is not a Jira key; the store's and the host's by their kind.
pub(super) fn link_refusal(error: IssueLinkError) -> ApiError {
    match error {
        IssueLinkError::InvalidKey { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
        }
        IssueLinkError::Store(error) => ApiError::from(error),
        IssueLinkError::Host(error) => ApiError::from(error),
        other => {
            tracing::error!(error = %other, "issue-link-error");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: see the service log",
            )
        }
    }
}
