//! jirasync's sync rules, behind storage traits.

pub mod activity;
#[cfg(feature = "testing")]
pub mod conformance;
pub mod external_actor;
pub mod ids;
pub mod integration;
pub mod issue;
pub mod jira_directory;
pub mod memory;
pub mod organization;
pub mod people;
pub mod rules;
pub mod secret;
pub mod store;
mod text;
