//! Who the client acts as: an OAuth 1.0a consumer with an access token, or a personal access token.

use std::sync::Arc;

use crate::oauth1::RsaSha1Signer;
use crate::secret::{BearerToken, TokenSecret};

jirasync_core::string_newtype! {
    /// The consumer key of a Jira Application Link (`oauth_consumer_key`).
    pub struct ConsumerKey;
}

jirasync_core::string_newtype! {
    /// An OAuth 1.0a access token (`oauth_token`) that Jira issued for one user.
    pub struct AccessToken;
}

jirasync_core::string_newtype! {
    /// An OAuth 1.0a request token (`oauth_token`), valid for one authorisation.
    pub struct RequestTokenValue;
}

/// How the client proves who it is to Jira.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// OAuth 1.0a with RSA-SHA1, the way Jira Application Links work.
    OAuth1Rsa {
        /// The Application Link's consumer key.
        consumer_key: ConsumerKey,
        /// The RSA back-end that holds the consumer's private key; usually a
        /// [`PrivateKey`](crate::PrivateKey).
        private_key: Arc<dyn RsaSha1Signer>,
        /// The access token Jira issued at the end of the token exchange.
        access_token: AccessToken,
        /// The secret of the access token.
        access_token_secret: TokenSecret,
    },
    /// A personal access token (Jira 8.14 and later), sent as `Authorization: Bearer ...`.
    Bearer(BearerToken),
}

impl Credentials {
    /// OAuth 1.0a RSA-SHA1 credentials.
    pub fn oauth1_rsa(
        consumer_key: ConsumerKey,
        private_key: impl RsaSha1Signer + 'static,
        access_token: AccessToken,
        access_token_secret: TokenSecret,
    ) -> Self {
        Self::OAuth1Rsa {
            consumer_key,
            private_key: Arc::new(private_key),
            access_token,
            access_token_secret,
        }
    }

    /// Personal access token credentials.
    pub fn bearer(token: BearerToken) -> Self {
        Self::Bearer(token)
    }
}
