//! The session cookie that carries a pipeline's id.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

use super::SETUP_PATH;
use super::pipeline::PipelineId;

/// The cookie's name.
pub(super) const SESSION_COOKIE: &str = "jirasync_setup";

/// The pipeline id in the request's cookies, if one is there and looks like an id we issue
/// (64 hex digits); anything else is ignored, as if no cookie were sent.
pub(super) fn session_id(headers: &HeaderMap) -> Option<PipelineId> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| value.len() == 64 && value.bytes().all(|byte| byte.is_ascii_hexdigit()))
        .map(PipelineId::new)
}

/// Adds the `Set-Cookie` header for `id`: only sent back to the setup routes, out of reach of
/// scripts, not sent on cross-site sub-requests, and HTTPS-only when the service is served over
/// HTTPS.
pub(super) fn set_session_cookie(headers: &mut HeaderMap, id: &PipelineId, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path={SETUP_PATH}; HttpOnly; SameSite=Lax{secure}",
        id.expose_secret()
    );
    // The id is hex and the rest is fixed text: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.append(SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is a failed test")]

    use super::*;

    fn headers(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    #[test]
    fn finds_the_session_among_other_cookies() {
        let id = PipelineId::generate();
        let found = session_id(&headers(&format!(
            "theme=dark; {SESSION_COOKIE}={}; x=y",
            id.expose_secret()
        )));
        assert_eq!(found, Some(id));
    }

    #[test]
    fn ignores_values_that_are_not_ids_we_issue() {
        assert_eq!(session_id(&headers(&format!("{SESSION_COOKIE}=abc"))), None);
        assert_eq!(
            session_id(&headers(&format!("{SESSION_COOKIE}={}", "z".repeat(64)))),
            None
        );
        assert_eq!(session_id(&HeaderMap::new()), None);
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_scoped_to_setup() {
        let mut headers = HeaderMap::new();
        set_session_cookie(&mut headers, &PipelineId::generate(), true);
        let cookie = headers.get(SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            cookie
                .contains("; Path=/extensions/jira-server/setup/; HttpOnly; SameSite=Lax; Secure")
        );
    }
}
