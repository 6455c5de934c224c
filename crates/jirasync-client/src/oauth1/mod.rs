//! OAuth 1.0a (RFC 5849) as Jira Server / Data Center speaks it: signing requests and the
//! three-legged token exchange.

mod base_string;
mod clock;
pub mod dance;
mod encode;
mod header;
mod problem;
mod signature;
mod signer;

pub use base_string::{base_string_uri, signature_base_string};
pub use clock::{Clock, FixedClock, FixedNonce, NonceSource, RandomNonce, SystemClock};
pub use encode::{is_form_urlencoded, percent_encode};
pub use header::{HeaderParseError, authorization_header_value, parse_authorization_header};
pub use problem::{OAuthProblem, OAuthProblemKind};
pub use signature::{RsaSha1Signer, SignatureMethod, SigningKey, UnknownSignatureMethod};
pub use signer::{OAuth1Signer, SignedRequest, SigningRequest};
