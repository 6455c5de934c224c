//! Where Jira is and how to talk to it: the base URL (with any context path) and the HTTP options.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::error::ConfigError;
use crate::retry::{DEFAULT_RETRY_POLICY, RetryPolicy};

/// The base URL of a Jira instance, such as `https://jira.example.com` or
/// `https://example.com/jira` (with a context path). Trailing slashes are removed, as the reference
/// does (reference-behaviour §1.2).
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: Url,
}

impl BaseUrl {
    /// Reads a base URL: absolute, `http` or `https`, without credentials, query or fragment.
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
            url: input.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = input.trim().trim_end_matches('/');
        let url = Url::parse(trimmed).map_err(|error| invalid(&error.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "it must not contain a query (?...) or fragment (#...)",
            ));
        }
        Ok(Self { url })
    }

    /// The URL of `path` (which starts with `/`) under this base, keeping the context path.
    ///
    /// ```
    /// use jirasync_client::BaseUrl;
    /// let base = BaseUrl::parse("https://example.com/jira/").unwrap();
    /// assert_eq!(base.join("/rest/api/2/myself").as_str(), "https://example.com/jira/rest/api/2/myself");
    /// ```
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        let base_path = self.url.path().trim_end_matches('/');
        url.set_path(&format!("{base_path}{path}"));
        url
    }

    /// Host and, when it is not the scheme's default, port: what error messages name.
    pub fn netloc(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The base URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.url.as_str().trim_end_matches('/')
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({:?})", self.as_str())
    }
}

/// The user agent sent when none is set.
pub const DEFAULT_USER_AGENT: &str = concat!("jirasync/", env!("CARGO_PKG_VERSION"));

/// How the client talks to one Jira instance.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// The Jira base URL.
    pub base_url: BaseUrl,
    /// Whether to check Jira's TLS certificate. Turn off only for a test instance with a
    /// self-signed certificate.
    pub verify_ssl: bool,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long to wait for a whole request, answer included.
    pub request_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// When idempotent requests are tried again.
    pub retry: RetryPolicy,
}

impl ClientOptions {
    /// Options with TLS verification on, a 10 s connect timeout, a 30 s request timeout and
    /// [`DEFAULT_RETRY_POLICY`].
    pub fn new(base_url: BaseUrl) -> Self {
        Self {
            base_url,
            verify_ssl: true,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: DEFAULT_RETRY_POLICY,
        }
    }

    /// Turns TLS certificate verification on or off.
    #[must_use]
    pub fn verify_ssl(mut self, verify: bool) -> Self {
        self.verify_ssl = verify;
        self
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the whole-request timeout.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the `User-Agent` header.
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the retry policy for idempotent requests.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_trailing_slashes_and_keeps_context_path() {
        let base = BaseUrl::parse(" https://Example.com/jira// ").unwrap();
        assert_eq!(base.as_str(), "https://example.com/jira");
        assert_eq!(base.join("/a").as_str(), "https://example.com/jira/a");
    }

    #[test]
    fn netloc_keeps_non_default_port() {
        assert_eq!(
            BaseUrl::parse("http://jira:8080").unwrap().netloc(),
            "jira:8080"
        );
        assert_eq!(BaseUrl::parse("https://jira:443").unwrap().netloc(), "jira");
    }

    #[test]
    fn rejects_unusable_urls() {
        for bad in [
            "jira.example.com",
            "ftp://jira",
            "https://u:p@jira",
            "https://jira/?a=1",
            "",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
