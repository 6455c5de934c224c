//! The sync rules: read jirasync's store and the application's host, decide, then write what
//! was decided. Every decision is here, once: which organizations sync
//! ([`where_should_sync`]), the ordering guard and "already as wanted" ([`ordering`]), inbound
//! assignee and status ([`inbound`]), reconciling with Jira ([`reconcile`]), the install merge ([`install`]), issue links and external
//! actors.

pub mod assignee;
pub mod comments;
pub mod external_actors;
pub mod inbound;
pub mod install;
pub mod issue_links;
pub mod jira_creation;
pub mod ordering;
pub mod organization_links;
pub mod outbound;
pub mod outcome;
pub mod reconcile;
pub mod status;
pub mod status_mappings;
pub mod sync_config;
pub mod where_should_sync;
