//! The three-legged OAuth 1.0a token exchange with Jira (reference-behaviour §1.5):
//!
//! 1. [`OAuthDance::request_token`]: `POST <base>/plugins/servlet/oauth/request-token`, signed with
//!    the consumer key alone.
//! 2. [`OAuthDance::authorize_url`]: the user opens
//!    `<base>/plugins/servlet/oauth/authorize?oauth_token=<request token>` and approves; Jira sends
//!    the browser back to the callback with `oauth_token` (and usually `oauth_verifier`).
//! 3. [`OAuthDance::access_token`]: `POST <base>/plugins/servlet/oauth/access-token`, signed with
//!    the request token and the verifier; Jira answers with the access token.
//!
//! Both token answers are `application/x-www-form-urlencoded`. Neither request is ever retried: the
//! request token can be used once.

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use url::Url;

use super::encode::decode_form_pairs;
use super::{Clock, NonceSource, OAuth1Signer, RsaSha1Signer, SigningKey, SigningRequest};
use crate::credentials::{AccessToken, ConsumerKey, RequestTokenValue};
use crate::error::{ConfigError, Error};
use crate::options::{BaseUrl, ClientOptions};
use crate::response::{Call, check_status, reject_html};
use crate::secret::TokenSecret;
use crate::transport::{OutgoingRequest, RawResponse, Transport};

const REQUEST_TOKEN_PATH: &str = "/plugins/servlet/oauth/request-token";
const AUTHORIZE_PATH: &str = "/plugins/servlet/oauth/authorize";
const ACCESS_TOKEN_PATH: &str = "/plugins/servlet/oauth/access-token";

/// Where Jira sends the user's browser after they approve access.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthCallback {
    /// This absolute URL.
    Url(Url),
    /// `oob`: Jira shows the verifier to the user, who copies it back.
    OutOfBand,
}

impl OAuthCallback {
    /// A callback URL, checked to be absolute.
    pub fn url(url: &str) -> Result<Self, ConfigError> {
        Url::parse(url)
            .map(Self::Url)
            .map_err(|error| ConfigError::InvalidCallbackUrl {
                url: url.to_owned(),
                reason: error.to_string(),
            })
    }

    fn as_parameter(&self) -> &str {
        match self {
            Self::Url(url) => url.as_str(),
            Self::OutOfBand => "oob",
        }
    }
}

/// A temporary token from step 1, to be authorised by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestToken {
    /// `oauth_token`.
    pub token: RequestTokenValue,
    /// `oauth_token_secret`.
    pub secret: TokenSecret,
}

impl RequestToken {
    /// A request token from its parts (for example, kept in a session between steps 1 and 3).
    pub fn new(token: RequestTokenValue, secret: TokenSecret) -> Self {
        Self { token, secret }
    }
}

/// The access token from step 3: with the consumer key and private key, the credentials for REST
/// calls.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessTokenPair {
    /// `oauth_token`.
    pub token: AccessToken,
    /// `oauth_token_secret`.
    pub secret: TokenSecret,
}

/// Runs the token exchange for one consumer against one Jira.
#[derive(Clone)]
pub struct OAuthDance {
    transport: Transport,
    signer: OAuth1Signer,
}

impl fmt::Debug for OAuthDance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthDance")
            .field("base_url", self.transport.base_url())
            .field("consumer_key", self.signer.consumer_key())
            .finish_non_exhaustive()
    }
}

impl OAuthDance {
    /// An exchange with the Jira at `options.base_url` for `consumer_key`, signing with
    /// `private_key` (RSA-SHA1).
    pub fn new(
        options: &ClientOptions,
        consumer_key: ConsumerKey,
        private_key: Arc<dyn RsaSha1Signer>,
    ) -> Result<Self, Error> {
        Ok(Self {
            transport: Transport::new(options)?,
            signer: OAuth1Signer::new(consumer_key, SigningKey::RsaSha1(private_key)),
        })
    }

    /// Uses another clock for timestamps.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.signer = self.signer.with_clock(clock);
        self
    }

    /// Uses another nonce source.
    #[must_use]
    pub fn with_nonce_source(mut self, nonces: Arc<dyn NonceSource>) -> Self {
        self.signer = self.signer.with_nonce_source(nonces);
        self
    }

    /// The Jira base URL.
    pub fn base_url(&self) -> &BaseUrl {
        self.transport.base_url()
    }

    /// Step 1: gets a request token. With `callback` `None`, no `oauth_callback` is sent and Jira
    /// uses the callback registered on the Application Link, as the reference does.
    pub async fn request_token(
        &self,
        callback: Option<&OAuthCallback>,
    ) -> Result<RequestToken, Error> {
        let url = self.transport.base_url().join(REQUEST_TOKEN_PATH);
        let mut request = SigningRequest::new("POST", &url);
        if let Some(callback) = callback {
            request = request.callback(callback.as_parameter());
        }
        let (token, secret) = self
            .post_for_token(REQUEST_TOKEN_PATH, &url, &request)
            .await?;
        Ok(RequestToken {
            token: RequestTokenValue::new(token),
            secret,
        })
    }

    /// Step 2: the page where the user approves the request token.
    pub fn authorize_url(&self, request_token: &RequestToken) -> Url {
        let mut url = self.transport.base_url().join(AUTHORIZE_PATH);
        url.query_pairs_mut()
            .append_pair("oauth_token", request_token.token.as_str());
        url
    }

    /// Step 3: exchanges the approved request token for an access token.
    ///
    /// `verifier` is the callback's `oauth_verifier`. The reference passes the callback's
    /// `oauth_token` here instead (reference-behaviour §1.3); Jira accepts either, so a host that
    /// keeps that behaviour passes the token.
    pub async fn access_token(
        &self,
        request_token: &RequestToken,
        verifier: &str,
    ) -> Result<AccessTokenPair, Error> {
        if verifier.trim().is_empty() {
            return Err(Error::MissingVerifier);
        }
        let url = self.transport.base_url().join(ACCESS_TOKEN_PATH);
        let request = SigningRequest::new("POST", &url)
            .token(request_token.token.as_str(), Some(&request_token.secret))
            .verifier(verifier);
        let (token, secret) = self
            .post_for_token(ACCESS_TOKEN_PATH, &url, &request)
            .await?;
        Ok(AccessTokenPair {
            token: AccessToken::new(token),
            secret,
        })
    }

    async fn post_for_token(
        &self,
        path: &str,
        url: &Url,
        request: &SigningRequest<'_>,
    ) -> Result<(String, TokenSecret), Error> {
        let signed = self.signer.sign(request)?;
        let response = self
            .transport
            .send(OutgoingRequest {
                method: Method::POST,
                url: url.clone(),
                authorization: Some(signed.authorization),
                json_body: None,
            })
            .await?;
        parse_token_answer(
            Call {
                method: "POST",
                path,
            },
            &response,
        )
    }
}

/// Reads `oauth_token` and `oauth_token_secret` from a token endpoint's form-encoded answer.
fn parse_token_answer(
    call: Call<'_>,
    response: &RawResponse,
) -> Result<(String, TokenSecret), Error> {
    check_status(call, response)?;
    reject_html(call, response, "a form-encoded token answer")?;
    let pairs: Vec<(String, String)> = decode_form_pairs(response.body.trim().as_bytes()).collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.clone())
    };
    match (value("oauth_token"), value("oauth_token_secret")) {
        (Some(token), Some(secret)) => Ok((token, TokenSecret::new(secret))),
        _ => Err(Error::MissingOAuthToken {
            keys: pairs
                .into_iter()
                .map(|(key, _)| key)
                .filter(|key| !key.is_empty())
                .collect(),
        }),
    }
}
