//! The HTTP client underneath: built once with redirects and transport retries off, it sends one
//! request and reads the whole answer as text.

use std::time::Duration;

use reqwest::header::{self, HeaderValue};
use reqwest::{Method, redirect};
use url::Url;

use crate::error::{ConfigError, Error};
use crate::options::{BaseUrl, ClientOptions};

/// A request ready to go: already signed.
#[derive(Debug)]
pub(crate) struct OutgoingRequest {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) authorization: Option<String>,
    pub(crate) json_body: Option<Vec<u8>>,
}

/// Jira's answer, read whole.
#[derive(Debug, Clone)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) www_authenticate: Option<String>,
    pub(crate) retry_after: Option<String>,
    pub(crate) location: Option<String>,
    /// The `Date` header: Jira's clock when it answered.
    pub(crate) date: Option<String>,
    pub(crate) body: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: BaseUrl,
}

impl Transport {
    pub(crate) fn new(options: &ClientOptions) -> Result<Self, ConfigError> {
        let user_agent = HeaderValue::from_str(&options.user_agent).map_err(|_| {
            ConfigError::InvalidUserAgent {
                user_agent: options.user_agent.clone(),
            }
        })?;
        let http = reqwest::Client::builder()
            // A redirect would be followed with a signature made for another URL; Jira's answer to
            // the first URL tells the user more (a login page, http → https, a wrong context path).
            .redirect(redirect::Policy::none())
            // Signed requests must never be replayed by the transport: Jira answers nonce_used.
            // Retries happen in `JiraClient`, re-signed each time.
            .retry(reqwest::retry::never())
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .user_agent(user_agent)
            .tls_danger_accept_invalid_certs(!options.verify_ssl)
            .build()
            .map_err(|error| ConfigError::HttpClient {
                reason: error_chain(&error),
            })?;
        Ok(Self {
            http,
            base_url: options.base_url.clone(),
        })
    }

    pub(crate) fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    pub(crate) async fn send(&self, request: OutgoingRequest) -> Result<RawResponse, Error> {
        let mut builder = self
            .http
            .request(request.method, request.url)
            .header(header::ACCEPT, "application/json");
        if let Some(authorization) = request.authorization {
            builder = builder.header(header::AUTHORIZATION, authorization);
        }
        builder = match request.json_body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body),
            None => builder.header(header::CONTENT_LENGTH, "0"),
        };
        let response = builder
            .send()
            .await
            .map_err(|error| self.map_error(&error))?;
        let header_text = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let status = response.status().as_u16();
        let content_type = header_text(header::CONTENT_TYPE);
        let www_authenticate = header_text(header::WWW_AUTHENTICATE);
        let retry_after = header_text(header::RETRY_AFTER);
        let location = header_text(header::LOCATION);
        let date = header_text(header::DATE);
        let body = response
            .text()
            .await
            .map_err(|error| self.map_error(&error))?;
        Ok(RawResponse {
            status,
            content_type,
            www_authenticate,
            retry_after,
            location,
            date,
            body,
        })
    }

    fn map_error(&self, error: &reqwest::Error) -> Error {
        let host = self.base_url.netloc();
        if error.is_timeout() {
            Error::Timeout { host }
        } else if error.is_connect() {
            Error::Connect {
                host,
                reason: error_chain(error),
            }
        } else {
            Error::Transport {
                host,
                reason: error_chain(error),
            }
        }
    }
}

/// The error and its causes on one line: reqwest's own message alone is often just "error sending
/// request".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl RawResponse {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether an idempotent request that got this answer may be tried again.
    pub(crate) fn is_retryable(&self) -> bool {
        self.status == 429 || (500..600).contains(&self.status)
    }

    pub(crate) fn looks_like_html(&self) -> bool {
        let html_type = self
            .content_type
            .as_deref()
            .is_some_and(|value| value.to_ascii_lowercase().contains("text/html"));
        html_type || self.body.trim_start().starts_with('<')
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.retry_after
            .as_deref()
            .and_then(|value| crate::retry::parse_retry_after(value, std::time::SystemTime::now()))
    }
}
