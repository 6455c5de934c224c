//! jirasync-client.

pub mod api;
mod client;
mod credentials;
mod error;
mod keys;
pub mod oauth1;
mod options;
mod response;
mod retry;
mod secret;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;

pub use api::server_info::{JiraVersion, ServerInfo};
pub use api::statuses::{JiraStatus, StatusCategory};
pub use api::users::JiraUser;
pub use api::webhooks::{
    DEFAULT_WEBHOOK_NAME, EnsureWebhookOutcome, ISSUE_EVENTS, NewWebhook, Webhook, WebhookAction,
    WebhookApi, WebhookId,
};
pub use client::JiraClient;
pub use credentials::{AccessToken, ConsumerKey, Credentials, RequestTokenValue};
pub use error::{ApiError, ConfigError, Error, KeyError, SignError};
pub use keys::{GENERATED_KEY_BITS, PrivateKey, PublicKey};
pub use oauth1::dance::{AccessTokenPair, OAuthCallback, OAuthDance, RequestToken};
pub use options::{BaseUrl, ClientOptions, DEFAULT_USER_AGENT};
pub use retry::{RetryPolicy, parse_retry_after};
pub use secret::{BearerToken, ConsumerSecret, TokenSecret};
