//! The sync rules: read through the store, decide, write one plan.

pub mod assignee;
pub mod external_actors;
pub mod inbound;
pub mod install;
pub mod issue_links;
pub mod outcome;
pub mod status;
pub mod where_should_sync;
