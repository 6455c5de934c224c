//! `JiraClient`: authenticated REST calls to one Jira instance, with retries for idempotent reads.

use std::sync::Arc;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::credentials::{AccessToken, Credentials};
use crate::error::Error;
use crate::oauth1::{Clock, NonceSource, OAuth1Signer, SigningKey, SigningRequest};
use crate::options::{BaseUrl, ClientOptions};
use crate::response::{Call, check_status, parse_json, unexpected_body};
use crate::retry::{RetryPolicy, delay_before_retry};
use crate::secret::{BearerToken, TokenSecret};
use crate::transport::{OutgoingRequest, RawResponse, Transport};

/// How each request is authenticated.
#[derive(Debug, Clone)]
enum Authenticator {
    OAuth1 {
        signer: OAuth1Signer,
        access_token: AccessToken,
        access_token_secret: TokenSecret,
    },
    Bearer(BearerToken),
}

/// A client for one Jira Server / Data Center instance, acting with one set of credentials.
///
/// Cheap to clone: clones share the connection pool.
#[derive(Debug, Clone)]
pub struct JiraClient {
    transport: Transport,
    authenticator: Authenticator,
    retry: RetryPolicy,
}

impl JiraClient {
    /// A client for the Jira at `options.base_url`, authenticating with `credentials`.
    pub fn new(options: &ClientOptions, credentials: Credentials) -> Result<Self, Error> {
        let transport = Transport::new(options)?;
        let authenticator = match credentials {
            Credentials::OAuth1Rsa {
                consumer_key,
                private_key,
                access_token,
                access_token_secret,
            } => Authenticator::OAuth1 {
                signer: OAuth1Signer::new(consumer_key, SigningKey::RsaSha1(private_key)),
                access_token,
                access_token_secret,
            },
            Credentials::Bearer(token) => Authenticator::Bearer(token),
        };
        Ok(Self {
            transport,
            authenticator,
            retry: options.retry,
        })
    }

    /// Uses another clock for OAuth 1.0a timestamps (tests, clock-skew diagnostics).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        if let Authenticator::OAuth1 { signer, .. } = &mut self.authenticator {
            *signer = signer.clone().with_clock(clock);
        }
        self
    }

    /// Uses another nonce source for OAuth 1.0a requests.
    #[must_use]
    pub fn with_nonce_source(mut self, nonces: Arc<dyn NonceSource>) -> Self {
        if let Authenticator::OAuth1 { signer, .. } = &mut self.authenticator {
            *signer = signer.clone().with_nonce_source(nonces);
        }
        self
    }

    /// The Jira base URL.
    pub fn base_url(&self) -> &BaseUrl {
        self.transport.base_url()
    }

    /// `GET` a JSON resource. Retried per the [`RetryPolicy`].
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Error> {
        let (call, response) = self.get(path, query).await?;
        check_status(call, &response)?;
        parse_json(call, &response)
    }

    /// `GET` a resource and hand back the raw answer, after retries.
    pub(crate) async fn get<'a>(
        &self,
        path: &'a str,
        query: &[(&str, &str)],
    ) -> Result<(Call<'a>, RawResponse), Error> {
        let mut url = self.transport.base_url().join(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let call = Call {
            method: "GET",
            path,
        };
        let mut attempt: u32 = 1;
        loop {
            let result = self.send_once(Method::GET, url.clone(), None).await;
            let retry_after = match &result {
                Ok(response) if response.is_retryable() => response.retry_after(),
                Err(Error::Connect { .. } | Error::Timeout { .. }) => None,
                _ => return result.map(|response| (call, response)),
            };
            let Some(delay) = delay_before_retry(&self.retry, attempt, retry_after) else {
                return result.map(|response| (call, response));
            };
            tracing::debug!(
                path,
                attempt,
                delay_ms = delay.as_millis(),
                "retrying Jira GET"
            );
            tokio::time::sleep(delay).await;
            attempt = attempt.saturating_add(1);
        }
    }

    /// Sends a request that changes something (`POST`, `PUT`, `DELETE`) exactly once.
    pub(crate) async fn send_unretried(
        &self,
        method: Method,
        path: &str,
        json_body: Option<Vec<u8>>,
    ) -> Result<RawResponse, Error> {
        let url = self.transport.base_url().join(path);
        self.send_once(method, url, json_body).await
    }

    /// Sends a change with a JSON body exactly once (`verb` is `PUT` or `POST`) and checks that
    /// Jira accepted it; hands back the call and the answer to read.
    pub(crate) async fn send_json_change<'a, B: Serialize>(
        &self,
        verb: &'static str,
        path: &'a str,
        body: &B,
    ) -> Result<(Call<'a>, RawResponse), Error> {
        let call = Call { method: verb, path };
        let method = if verb == "PUT" {
            Method::PUT
        } else {
            Method::POST
        };
        let json =
            serde_json::to_vec(body).map_err(|error| unexpected_body(call, error.to_string()))?;
        let response = self.send_unretried(method, path, Some(json)).await?;
        check_status(call, &response)?;
        Ok((call, response))
    }

    /// Signs (with a fresh nonce and timestamp) and sends one request.
    async fn send_once(
        &self,
        method: Method,
        url: Url,
        json_body: Option<Vec<u8>>,
    ) -> Result<RawResponse, Error> {
        let authorization = match &self.authenticator {
            Authenticator::OAuth1 {
                signer,
                access_token,
                access_token_secret,
            } => {
                // A JSON body is never part of an OAuth 1.0a signature.
                let request = SigningRequest::new(method.as_str(), &url)
                    .token(access_token.as_str(), Some(access_token_secret));
                signer.sign(&request)?.authorization
            }
            Authenticator::Bearer(token) => format!("Bearer {}", token.expose_secret()),
        };
        self.transport
            .send(OutgoingRequest {
                method,
                url,
                authorization: Some(authorization),
                json_body,
            })
            .await
    }
}
