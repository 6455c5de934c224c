//! jirasync's sync rules, behind storage traits.

pub mod activity;
pub mod external_actor;
pub mod ids;
pub mod integration;
pub mod issue;
pub mod memory;
pub mod organization;
pub mod people;
pub mod secret;
pub mod store;
mod text;
pub mod jira_directory;
pub mod rules;
