//! The small vocabulary every jirasync crate shares, written once.
//!
//! `jirasync-client` and `jirasync-webhook` do not depend on each other, yet both hold secrets,
//! read clocks and name things with string newtypes; the domain, the service and the HTTP adapter
//! need the same ideas again. Each idea lives here once, so a secret is redacted, zeroed and
//! compared the same way everywhere, one clock can be handed to every part of a service, and
//! every retry backs off the same way. The crate does no I/O and has few dependencies; the other
//! crates re-export what their own users name (`jirasync_webhook::WebhookSecret`,
//! `jirasync_client::RetryPolicy`, …), so most code never names this crate.
//!
//! | item | what it is |
//! |---|---|
//! | [`Secret`], [`secret_newtype!`] | a string that never prints, is zeroed on drop and compares in constant time; named newtypes over it |
//! | [`Clock`], [`SystemClock`], [`ManualClock`] | wall time and a monotonic reading, injectable |
//! | [`RetryPolicy`], [`Jitter`] | capped exponential back-off with jitter, its randomness injectable |
//! | [`string_newtype!`] | a typed string (`IssueKey`, `ConsumerKey`, …) with the usual conversions |
//! | [`decode_json`], [`JsonError`] | JSON bytes into a `T`, naming the path, line and column of a refusal |
//! | [`random_hex`] | random hex text from the operating system |
//! | [`parse_jira_datetime`] | a date-time as Jira Server (`2023-01-01T00:00:00.000+0000`) or RFC 3339 writes it |
//!
//! Why `secrecy`, and what each item replaced: `docs/decisions/0009-vocabulary.md`.

mod clock;
mod datetime;
mod json;
mod random;
mod retry;
mod secret;
mod string_newtype;

pub use clock::{Clock, ManualClock, SystemClock};
pub use datetime::parse_jira_datetime;
pub use json::{JsonError, decode_json};
pub use random::random_hex;
pub use retry::{Jitter, RetryPolicy};
pub use secret::{ExposeSecret, REDACTED, Secret};
