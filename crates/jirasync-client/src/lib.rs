//! jirasync-client.

mod credentials;
mod error;
mod keys;
pub mod oauth1;
mod secret;

pub use credentials::{AccessToken, ConsumerKey, Credentials, RequestTokenValue};
pub use error::{ApiError, ConfigError, Error, KeyError, SignError};
pub use keys::{GENERATED_KEY_BITS, PrivateKey, PublicKey};
pub use secret::{BearerToken, ConsumerSecret, TokenSecret};
