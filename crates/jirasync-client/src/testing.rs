//! Helpers for test servers that stand in for Jira (feature `testing`): check that a request they
//! received carries a valid `RSA-SHA1` signature, rebuilding the base string from the request as
//! received, the way Jira does. A client that signs a different base string than it sends fails here.
//!
//! ```
//! # use std::sync::Arc;
//! use jirasync_client::oauth1::{OAuth1Signer, SigningKey, SigningRequest};
//! use jirasync_client::testing::verify_rsa_sha1_request;
//! use jirasync_client::{ConsumerKey, PrivateKey};
//!
//! # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oauth-net-test-key.pem")).unwrap();
//! let key = PrivateKey::from_pem(&pem)?;
//! let signer = OAuth1Signer::new(ConsumerKey::new("jirasync"), SigningKey::RsaSha1(Arc::new(key.clone())));
//! let url = url::Url::parse("https://jira.example.com/jira/rest/api/2/myself?expand=groups")?;
//! let signed = signer.sign(&SigningRequest::new("GET", &url))?;
//!
//! let verified = verify_rsa_sha1_request("GET", &url, &signed.authorization, None, &key.public_key())?;
//! assert_eq!(verified.consumer_key, "jirasync");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use url::Url;

use crate::keys::PublicKey;
use crate::oauth1::{HeaderParseError, parse_authorization_header, signature_base_string};

/// The OAuth parameters of a request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedOAuthRequest {
    /// `oauth_consumer_key`.
    pub consumer_key: String,
    /// `oauth_token`, if sent.
    pub token: Option<String>,
    /// `oauth_verifier`, if sent.
    pub verifier: Option<String>,
    /// `oauth_callback`, if sent.
    pub callback: Option<String>,
    /// `oauth_nonce`.
    pub nonce: String,
    /// `oauth_timestamp`.
    pub timestamp: u64,
    /// The base string rebuilt from the request.
    pub base_string: String,
    /// Every parameter of the header, in order.
    pub header_params: Vec<(String, String)>,
}

/// Why a received request does not carry a valid `RSA-SHA1` signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The `Authorization` header is not an OAuth header.
    #[error("the Authorization header cannot be read: {0}")]
    Header(#[from] HeaderParseError),
    /// A required OAuth parameter is absent.
    #[error("the OAuth parameter {0} is missing")]
    MissingParameter(&'static str),
    /// The signature method is not `RSA-SHA1`.
    #[error("the signature method is {0}, not RSA-SHA1")]
    WrongSignatureMethod(String),
    /// `oauth_version` is present but not `1.0`.
    #[error("oauth_version is {0}, not 1.0")]
    WrongVersion(String),
    /// `oauth_timestamp` is not a number.
    #[error("oauth_timestamp {0:?} is not a number of seconds")]
    BadTimestamp(String),
    /// `oauth_signature` is not base64.
    #[error("oauth_signature is not base64")]
    BadSignatureEncoding,
    /// The signature does not verify over the base string rebuilt from the request.
    #[error("the signature does not match the base string {base_string:?}")]
    SignatureMismatch {
        /// The base string rebuilt from the received request.
        base_string: String,
    },
}

/// Verifies the `RSA-SHA1` signature of a received request.
///
/// `url` is the full URL the request was received at (scheme, host, port, path and query as the
/// client addressed them), `authorization` the `Authorization` header, `form_body` the body when the
/// request was `application/x-www-form-urlencoded` (and `None` otherwise).
pub fn verify_rsa_sha1_request(
    method: &str,
    url: &Url,
    authorization: &str,
    form_body: Option<&[u8]>,
    public_key: &PublicKey,
) -> Result<VerifiedOAuthRequest, VerifyError> {
    let header_params = parse_authorization_header(authorization)?;
    let get = |name: &str| {
        header_params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let method_name = get("oauth_signature_method")
        .ok_or(VerifyError::MissingParameter("oauth_signature_method"))?;
    if method_name != "RSA-SHA1" {
        return Err(VerifyError::WrongSignatureMethod(method_name));
    }
    if let Some(version) = get("oauth_version").filter(|version| version != "1.0") {
        return Err(VerifyError::WrongVersion(version));
    }
    let consumer_key =
        get("oauth_consumer_key").ok_or(VerifyError::MissingParameter("oauth_consumer_key"))?;
    let nonce = get("oauth_nonce").ok_or(VerifyError::MissingParameter("oauth_nonce"))?;
    let timestamp_text =
        get("oauth_timestamp").ok_or(VerifyError::MissingParameter("oauth_timestamp"))?;
    let timestamp = timestamp_text
        .parse()
        .map_err(|_| VerifyError::BadTimestamp(timestamp_text.clone()))?;
    let signature_text =
        get("oauth_signature").ok_or(VerifyError::MissingParameter("oauth_signature"))?;
    let signature = BASE64
        .decode(signature_text.as_bytes())
        .map_err(|_| VerifyError::BadSignatureEncoding)?;

    let borrowed: Vec<(&str, &str)> = header_params
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    let base_string = signature_base_string(method, url, form_body, &borrowed);
    if !public_key.verify_rsa_sha1(base_string.as_bytes(), &signature) {
        return Err(VerifyError::SignatureMismatch { base_string });
    }
    Ok(VerifiedOAuthRequest {
        consumer_key,
        token: get("oauth_token"),
        verifier: get("oauth_verifier"),
        callback: get("oauth_callback"),
        nonce,
        timestamp,
        base_string,
        header_params,
    })
}
