//! The webhook URL: where the route lives, the URL Jira is told to call, and how that URL (or a
//! request path) is shown without its token.
//!
//! This crate owns the path prefix, so it also owns the one redaction every layer uses: the
//! `jirasync` binary when it prints the webhooks Jira holds, and `jirasync-axum` when it records a
//! request path that no route matched.

use crate::token::WebhookToken;

/// The path prefix of the webhook route; the token and a trailing `/` follow it
/// (reference-behaviour §2.1: `/extensions/jira-server/issue-updated/<token>/`).
pub const WEBHOOK_PATH_PREFIX: &str = "/extensions/jira-server/issue-updated/";

/// What stands in place of the token in a redacted webhook URL or path.
pub const REDACTED_TOKEN: &str = "[redacted]";

/// The absolute webhook URL Jira is told to call: `public_url` (the service's public base URL,
/// any trailing `/` ignored), the route prefix, the token and the trailing `/` the route requires.
///
/// The result contains the token: it is a secret, never log it.
///
/// ```
/// use jirasync_webhook::{WebhookSecret, mint_token, webhook_url};
///
/// let token = mint_token("jira.example.com:jirasync", &WebhookSecret::new("s3cret"));
/// let url = webhook_url("https://sync.example.com/", &token);
/// assert!(url.starts_with("https://sync.example.com/extensions/jira-server/issue-updated/eyJ"));
/// assert!(url.ends_with('/'));
/// ```
pub fn webhook_url(public_url: &str, token: &WebhookToken) -> String {
    let base = public_url.trim_end_matches('/');
    let token = token.expose_secret();
    let mut url = String::with_capacity(base.len() + WEBHOOK_PATH_PREFIX.len() + token.len() + 1);
    url.push_str(base);
    url.push_str(WEBHOOK_PATH_PREFIX);
    url.push_str(token);
    url.push('/');
    url
}

/// A webhook URL, or a request path, that is safe to show and log: everything between
/// [`WEBHOOK_PATH_PREFIX`] and the query is replaced by [`REDACTED_TOKEN`], a trailing `/` and the
/// query kept. A URL without the prefix, or with nothing after it, is returned as it is.
///
/// ```
/// use jirasync_webhook::redact_webhook_url;
///
/// assert_eq!(
///     redact_webhook_url("https://sync.example.com/extensions/jira-server/issue-updated/eyJh.eyJp.c2ln/"),
///     "https://sync.example.com/extensions/jira-server/issue-updated/[redacted]/"
/// );
/// assert_eq!(
///     redact_webhook_url("/extensions/jira-server/issue-updated/eyJhbGciOi.x.y/"),
///     "/extensions/jira-server/issue-updated/[redacted]/"
/// );
/// assert_eq!(redact_webhook_url("/healthz"), "/healthz");
/// ```
pub fn redact_webhook_url(url: &str) -> String {
    let Some((base, after_prefix)) = url.split_once(WEBHOOK_PATH_PREFIX) else {
        return url.to_owned();
    };
    // Anything up to the query may be (part of) the token: a path that no route matched, with
    // extra segments, is hidden whole.
    let (token_part, query) = after_prefix
        .find(['?', '#'])
        .map_or((after_prefix, ""), |at| after_prefix.split_at(at));
    if token_part.is_empty() {
        return url.to_owned();
    }
    let slash = if token_part.ends_with('/') { "/" } else { "" };
    format!("{base}{WEBHOOK_PATH_PREFIX}{REDACTED_TOKEN}{slash}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_token_of_a_webhook_url_and_keeps_the_rest() {
        assert_eq!(
            redact_webhook_url(
                "http://127.0.0.1:8080/jira/extensions/jira-server/issue-updated/a.b.c/?x=1"
            ),
            "http://127.0.0.1:8080/jira/extensions/jira-server/issue-updated/[redacted]/?x=1"
        );
        assert_eq!(
            redact_webhook_url("https://h/extensions/jira-server/issue-updated/a.b.c"),
            "https://h/extensions/jira-server/issue-updated/[redacted]"
        );
        assert_eq!(
            redact_webhook_url("https://other.example.com/hook"),
            "https://other.example.com/hook"
        );
    }
    #[test]
    fn redacts_the_token_of_a_path_with_or_without_trailing_slash() {
        let prefix = WEBHOOK_PATH_PREFIX;
        assert_eq!(
            redact_webhook_url(&format!("{prefix}secret.token.here")),
            format!("{prefix}[redacted]")
        );
        assert_eq!(
            redact_webhook_url(&format!("{prefix}a/b/c/")),
            format!("{prefix}[redacted]/")
        );
        assert_eq!(redact_webhook_url(prefix), prefix);
    }
}
