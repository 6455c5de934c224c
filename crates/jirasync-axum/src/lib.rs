//! jirasync's HTTP adapter for [axum]: it translates HTTP to the domain and back, and holds no
//! business rules and no SQL.
//!
//! [`setup`] connects a Jira instance: the installation form and the OAuth 1.0a dance as pages and
//! as JSON steps, and [`setup::install_jira`], which the command line calls too.
//!
//! Every error answer is JSON `{"detail": "..."}` with the status the failure calls for
//! ([`ApiError`]).

pub mod error;
pub mod jira;
pub mod setup;

pub use error::ApiError;
pub use jira::{JiraClientError, jira_client};
