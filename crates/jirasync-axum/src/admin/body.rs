//! The JSON body of an admin request: the content type, the size and the shape checked, each
//! refusal with its own status and a message naming what is wrong.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use jirasync_core::decode_json;
use serde::de::DeserializeOwned;

use super::ADMIN_BODY_LIMIT;
use crate::error::ApiError;

/// A JSON body decoded into `T`: 415 without `Content-Type: application/json`, 413 over `LIMIT`
/// bytes ([`ADMIN_BODY_LIMIT`] for the admin routes; the router's `DefaultBodyLimit` must be the
/// same), 400 with the JSON path of a malformed member.
#[derive(Debug)]
pub(crate) struct AdminJson<T, const LIMIT: usize = ADMIN_BODY_LIMIT>(pub(crate) T);

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// Decodes `bytes` as `T`, naming the path of the first member that does not fit.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    decode_json(bytes).map_err(|error| match error.path() {
        // The document itself, or text after it.
        "." => ApiError::bad_request(format!("The body is not valid: {error}.")),
        path => ApiError::bad_request(format!("The body is not valid: {path}: {error}.")),
    })
}

impl<S, T, const LIMIT: usize> FromRequest<S> for AdminJson<T, LIMIT>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&request) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON with Content-Type: application/json.",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("The body is larger than the limit of {LIMIT} bytes."),
                    )
                } else {
                    ApiError::new(rejection.status(), rejection.body_text())
                }
            })?;
        decode(&bytes).map(Self)
    }
}
