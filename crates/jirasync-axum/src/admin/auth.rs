//! The bearer-token check in front of every admin route.

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AdminToken;
use crate::error::ApiError;

/// 401 when no bearer token is sent (no header, another scheme, an empty token).
pub(super) const MISSING_CREDENTIALS: &str = "Authentication credentials were not provided.";

/// 401 when the bearer token is not the admin token.
pub(super) const INVALID_TOKEN: &str = "Invalid token.";

/// The token of `Authorization: Bearer <token>`; the scheme is matched ignoring case.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Lets the request through only with the admin token. The token never reaches a log line: it is
/// neither logged here nor kept in the answer.
pub(crate) async fn require_admin_token(
    State(token): State<AdminToken>,
    request: Request,
    next: Next,
) -> Response {
    match refuse_without_token(request.headers(), &token) {
        None => next.run(request).await,
        Some(refusal) => refusal,
    }
}

/// The 401 answer (with `WWW-Authenticate: Bearer`) for a request without `token` as its bearer
/// token; `None` lets it through.
pub(crate) fn refuse_without_token(headers: &HeaderMap, token: &AdminToken) -> Option<Response> {
    let refusal = match bearer_token(headers) {
        Some(presented) if token.matches(presented) => return None,
        Some(_) => INVALID_TOKEN,
        None => MISSING_CREDENTIALS,
    };
    let mut response = ApiError::unauthorized(refusal).into_response();
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Some(response)
}
