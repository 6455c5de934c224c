//! A client for Jira Server / Data Center: OAuth 1.0a (RSA-SHA1) request signing, the three-legged
//! token exchange, and the REST calls jirasync needs (server info, webhooks, users, statuses, JQL search,
//! and for outbound sync: read, create and assign issues, transitions, comments, user search,
//! createmeta).
//!
//! # Layout
//!
//! - [`oauth1`]: RFC 5849 signing, pure and deterministic given a [`Clock`](oauth1::Clock) and a
//!   [`NonceSource`](oauth1::NonceSource): the signature base string, `RSA-SHA1` (default),
//!   `HMAC-SHA1` and `PLAINTEXT`, the `Authorization` header, Jira's `oauth_problem` refusals, and
//!   the token exchange ([`OAuthDance`]).
//! - [`PrivateKey`] / [`PublicKey`]: PEM keys (PKCS#1 and PKCS#8), the public key to paste into
//!   Jira, key generation. [`PrivateKey`] is the default [`RsaSha1Signer`](oauth1::RsaSha1Signer);
//!   a host can plug in another RSA back-end (an HSM, a KMS) by implementing that trait.
//! - [`JiraClient`]: REST calls with [`Credentials`] (OAuth 1.0a or a personal access token).
//! - [`Error`]: one error enum with typed parts ([`KeyError`], [`SignError`], [`ConfigError`],
//!   [`OAuthProblem`](oauth1::OAuthProblem), [`ApiError`]); every message says what to do.
//!
//! # Rules it keeps
//!
//! - Redirects are never followed: a redirected request would carry a signature made for another
//!   URL, and Jira's redirect itself (to a login page, from http to https) is the useful answer.
//! - Signed requests are never retried by the HTTP client. `GET`s are retried by [`JiraClient`]
//!   under a [`RetryPolicy`], each attempt signed again with a fresh nonce and timestamp; `POST` and
//!   `DELETE` are sent once.
//! - Secrets ([`PrivateKey`], [`TokenSecret`], [`BearerToken`], [`ConsumerSecret`]) print as
//!   `[redacted]`.
//!
//! # Signing a request
//!
//! With a fixed clock and nonce, signing is deterministic. This is the published oauth.net RSA-SHA1
//! test case:
//!
//! ```
//! use std::sync::Arc;
//!
//! use jirasync_client::oauth1::{FixedNonce, ManualClock, OAuth1Signer, SigningKey, SigningRequest};
//! use jirasync_client::{ConsumerKey, PrivateKey};
//!
//! # let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oauth-net-test-key.pem"))?;
//! let key = PrivateKey::from_pem(&pem)?;
//! let signer = OAuth1Signer::new(ConsumerKey::new("dpf43f3p2l4k3l03"), SigningKey::RsaSha1(Arc::new(key)))
//!     .with_clock(Arc::new(ManualClock::at_unix_timestamp(1_196_666_512)))
//!     .with_nonce_source(Arc::new(FixedNonce("13917289812797014437".into())));
//!
//! let url = url::Url::parse("http://photos.example.net/photos?file=vacaction.jpg&size=original")?;
//! let signed = signer.sign(&SigningRequest::new("GET", &url))?;
//!
//! assert!(signed.base_string.starts_with("GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg"));
//! assert!(signed.authorization.contains(r#"oauth_signature="jvTp%2FwX1TYtByB1m%2BPbyo0lnCOLIsyGCH7wke8AUs3BpnwZJ"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Connecting to Jira
//!
//! The token exchange, then a REST call with the access token:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use jirasync_client::{
//!     BaseUrl, ClientOptions, ConsumerKey, Credentials, JiraClient, NewWebhook, OAuthCallback,
//!     OAuthDance, PrivateKey,
//! };
//!
//! # async fn connect(private_key_pem: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let options = ClientOptions::new(BaseUrl::parse("https://jira.example.com/jira")?);
//! let key = PrivateKey::from_pem(private_key_pem)?;
//! println!("Paste this into the Application Link:\n{}", key.public_key().to_pem()?);
//!
//! let consumer_key = ConsumerKey::new("jirasync");
//! let dance = OAuthDance::new(&options, consumer_key.clone(), Arc::new(key.clone()))?;
//!
//! // 1. A request token, with the callback the user's browser returns to.
//! let callback = OAuthCallback::url("https://sync.example.com/extensions/jira-server/setup/")?;
//! let request_token = dance.request_token(Some(&callback)).await?;
//!
//! // 2. The user approves at this URL; Jira redirects to the callback with `oauth_verifier`.
//! println!("Open {}", dance.authorize_url(&request_token));
//! let verifier = "verifier-from-the-callback";
//!
//! // 3. The access token.
//! let access = dance.access_token(&request_token, verifier).await?;
//!
//! let credentials = Credentials::oauth1_rsa(consumer_key, key, access.token, access.secret);
//! let jira = JiraClient::new(&options, credentials)?;
//! let version = jira.server_info().await?.parsed_version();
//! let outcome = jira
//!     .ensure_webhook(&NewWebhook::issue_sync(
//!         "jirasync Issue Sync",
//!         "https://sync.example.com/extensions/jira-server/issue-updated/<token>/",
//!     ))
//!     .await?;
//! println!("Jira {version:?}: webhook {:?}", outcome.action);
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `testing`: `testing::verify_rsa_sha1_request`, for fake Jira servers in tests.
//! - `openssl`: `OpenSslSigner`, an [`RsaSha1Signer`](oauth1::RsaSha1Signer) over the system
//!   OpenSSL that makes the same signatures as [`PrivateKey`] about seven times as fast (see
//!   `docs/performance.md`). Needs OpenSSL's headers and `pkg-config` to build, `libssl` to run.

pub mod api;
mod client;
mod credentials;
mod error;
mod keys;
pub mod oauth1;
#[cfg(feature = "openssl")]
mod openssl_signer;
mod options;
mod response;
mod retry;
mod secret;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;

pub use api::comments::JiraComment;
pub use api::create_meta::{AllowedValue, CreateField, CreateMeta, CreateMetaApi};
pub use api::issues::{Assignment, CreatedIssue, IssueProject, JiraIssue};
pub use api::projects::{IssueTypeStatuses, JiraProject, distinct_statuses};
pub use api::references::{check_issue_reference, check_project_reference};
pub use api::search::{FoundIssue, MAX_RESULTS_LIMIT, SEARCH_FIELDS, SearchPage};
pub use api::server_info::{JiraVersion, ServerInfo};
pub use api::statuses::{JiraStatus, StatusCategory};
pub use api::transitions::{Transition, TransitionTarget};
pub use api::users::{JiraUser, MAX_USER_RESULTS};
pub use api::webhooks::{
    DEFAULT_WEBHOOK_NAME, EnsureWebhookOutcome, ISSUE_EVENTS, NewWebhook, Webhook, WebhookAction,
    WebhookApi, WebhookId,
};
pub use client::JiraClient;
pub use credentials::{AccessToken, ConsumerKey, Credentials, RequestTokenValue};
pub use error::{ApiError, ConfigError, Error, InputError, KeyError, SignError};
pub use keys::{GENERATED_KEY_BITS, GENERATED_KEY_BITS_RANGE, PrivateKey, PublicKey};
pub use oauth1::dance::{AccessTokenPair, OAuthCallback, OAuthDance, RequestToken};
#[cfg(feature = "openssl")]
pub use openssl_signer::OpenSslSigner;
pub use options::{BaseUrl, ClientOptions, DEFAULT_USER_AGENT};
pub use retry::{DEFAULT_RETRY_POLICY, Jitter, RetryPolicy, parse_retry_after};
pub use secret::{BearerToken, ConsumerSecret, TokenSecret};
