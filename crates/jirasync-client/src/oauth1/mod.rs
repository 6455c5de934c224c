//! OAuth 1.0a (RFC 5849) as Jira Server / Data Center speaks it: signing requests and the
//! three-legged token exchange.

mod base_string;
pub mod dance;
mod encode;
mod header;
mod nonce;
mod problem;
mod signature;
mod signer;

pub use base_string::{base_string_uri, signature_base_string};
pub use encode::{is_form_urlencoded, percent_encode};
pub use header::{HeaderParseError, authorization_header_value, parse_authorization_header};
// The clock `oauth_timestamp` is read from is jirasync's one clock.
pub use jirasync_core::{Clock, ManualClock, SystemClock};
pub use nonce::{FixedNonce, NonceSource, RandomNonce};
pub use problem::{OAuthProblem, OAuthProblemKind};
pub use signature::{RsaSha1Signer, SignatureMethod, SigningKey, UnknownSignatureMethod};
pub use signer::{OAuth1Signer, SignedRequest, SigningRequest};
