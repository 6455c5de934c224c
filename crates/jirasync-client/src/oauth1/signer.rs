//! Signing one HTTP request: the protocol parameters (consumer key, token, nonce, timestamp, ...),
//! the signature over the base string, and the `Authorization` header that carries them.

use std::fmt;
use std::sync::Arc;

use url::Url;

use super::base_string::signature_base_string;
use super::header::authorization_header_value;
use super::nonce::{NonceSource, RandomNonce};
use super::signature::SigningKey;
use super::{Clock, SystemClock};
use crate::credentials::ConsumerKey;
use crate::error::SignError;
use crate::secret::TokenSecret;

/// One request to sign: its method and URL, its form body if it has one, and the optional token,
/// verifier and callback of the OAuth 1.0a exchange.
#[derive(Clone, Copy)]
pub struct SigningRequest<'a> {
    method: &'a str,
    url: &'a Url,
    form_body: Option<&'a [u8]>,
    token: Option<(&'a str, Option<&'a TokenSecret>)>,
    callback: Option<&'a str>,
    verifier: Option<&'a str>,
    realm: Option<&'a str>,
}

impl<'a> SigningRequest<'a> {
    /// A request with this method and URL (the query string included). Its body, if any, is not
    /// form-encoded and so not signed.
    pub fn new(method: &'a str, url: &'a Url) -> Self {
        Self {
            method,
            url,
            form_body: None,
            token: None,
            callback: None,
            verifier: None,
            realm: None,
        }
    }

    /// The body of an `application/x-www-form-urlencoded` request, whose parameters are signed.
    #[must_use]
    pub fn form_body(mut self, body: &'a [u8]) -> Self {
        self.form_body = Some(body);
        self
    }

    /// The request token or access token (`oauth_token`) and its secret.
    #[must_use]
    pub fn token(mut self, token: &'a str, secret: Option<&'a TokenSecret>) -> Self {
        self.token = Some((token, secret));
        self
    }

    /// The `oauth_callback`: an absolute URL, or `oob`.
    #[must_use]
    pub fn callback(mut self, callback: &'a str) -> Self {
        self.callback = Some(callback);
        self
    }

    /// The `oauth_verifier` of the access-token step.
    #[must_use]
    pub fn verifier(mut self, verifier: &'a str) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// A `realm` for the header. It is never signed.
    #[must_use]
    pub fn realm(mut self, realm: &'a str) -> Self {
        self.realm = Some(realm);
        self
    }
}

impl fmt::Debug for SigningRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningRequest")
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("form_body", &self.form_body.map(<[u8]>::len))
            .field("token", &self.token.map(|(token, _)| token))
            .field("callback", &self.callback)
            .field("verifier", &self.verifier.map(|_| "[present]"))
            .finish()
    }
}

/// A request signed at one moment: the header to send and the pieces that went into it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedRequest {
    /// The `Authorization` header value.
    pub authorization: String,
    /// The signature base string that was signed.
    pub base_string: String,
    /// The `oauth_nonce` used.
    pub nonce: String,
    /// The `oauth_timestamp` used.
    pub timestamp: u64,
}

/// Signs requests for one consumer with RFC 5849 OAuth 1.0a.
///
/// The clock and the nonce source are injectable; with [`ManualClock`](super::ManualClock) and
/// [`FixedNonce`](super::FixedNonce) the output is fully deterministic.
#[derive(Debug, Clone)]
pub struct OAuth1Signer {
    consumer_key: ConsumerKey,
    key: SigningKey,
    clock: Arc<dyn Clock>,
    nonces: Arc<dyn NonceSource>,
}

impl OAuth1Signer {
    /// A signer for `consumer_key` with the system clock and random nonces.
    pub fn new(consumer_key: ConsumerKey, key: SigningKey) -> Self {
        Self {
            consumer_key,
            key,
            clock: Arc::new(SystemClock),
            nonces: Arc::new(RandomNonce),
        }
    }

    /// Uses another clock for `oauth_timestamp`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses another source of `oauth_nonce` values.
    #[must_use]
    pub fn with_nonce_source(mut self, nonces: Arc<dyn NonceSource>) -> Self {
        self.nonces = nonces;
        self
    }

    /// The consumer key this signer signs for.
    pub fn consumer_key(&self) -> &ConsumerKey {
        &self.consumer_key
    }

    /// The key material this signer signs with.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// Signs `request` with a fresh nonce and the current timestamp.
    pub fn sign(&self, request: &SigningRequest<'_>) -> Result<SignedRequest, SignError> {
        let nonce = self.nonces.nonce();
        let timestamp = self.clock.unix_timestamp();
        self.sign_with(request, &nonce, timestamp)
    }

    /// Signs `request` with the given nonce and timestamp. Deterministic for RSA-SHA1 (PKCS#1 v1.5
    /// signatures do not depend on randomness), HMAC-SHA1 and PLAINTEXT.
    pub fn sign_with(
        &self,
        request: &SigningRequest<'_>,
        nonce: &str,
        timestamp: u64,
    ) -> Result<SignedRequest, SignError> {
        let timestamp_text = timestamp.to_string();
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(9);
        params.push(("oauth_consumer_key", self.consumer_key.as_str()));
        if let Some((token, _)) = request.token {
            params.push(("oauth_token", token));
        }
        params.push(("oauth_signature_method", self.key.method().as_str()));
        params.push(("oauth_timestamp", &timestamp_text));
        params.push(("oauth_nonce", nonce));
        params.push(("oauth_version", "1.0"));
        if let Some(callback) = request.callback {
            params.push(("oauth_callback", callback));
        }
        if let Some(verifier) = request.verifier {
            params.push(("oauth_verifier", verifier));
        }

        let base_string =
            signature_base_string(request.method, request.url, request.form_body, &params);
        let token_secret = request.token.and_then(|(_, secret)| secret);
        let signature = self.key.sign(&base_string, token_secret)?;

        let mut header_params = Vec::with_capacity(params.len().saturating_add(2));
        if let Some(realm) = request.realm {
            header_params.push(("realm", realm));
        }
        header_params.extend(params.iter().copied());
        header_params.push(("oauth_signature", &signature));

        Ok(SignedRequest {
            authorization: authorization_header_value(&header_params),
            base_string,
            nonce: nonce.to_owned(),
            timestamp,
        })
    }
}
