//! The state file: the whole domain state of a deployment as one documented JSON document
//! (`docs/state-format.md`), to seed, inspect and back up a standalone deployment.
//!
//! - [`StateSnapshot`] and its records are the file format: plain serde structs, decoupled from
//!   the domain entities, refusing unknown fields.
//! - [`StateSnapshot::from_json`] reads a file, naming the JSON path, line and column of what is
//!   malformed; [`StateSnapshot::validate`] checks every record and names the first bad one.
//! - [`StateStore`] is what a store implements: export everything, replace everything.
//! - [`import_state`] (read, check, replace; nothing written on any error) and
//!   [`export_state_json`] are what an operator's tool calls.
//!
//! The file holds every secret of the deployment (webhook secrets, private keys, tokens), in
//! clear, because a restore needs them: store it like a secret. `Debug` of the snapshot never
//! shows them ([`SecretText`]).
//!
//! # Example
//!
//! ```
//! use jirasync_domain::InMemoryStore;
//! use jirasync_domain::state::{export_state_json, import_state};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let store = InMemoryStore::new();
//! let file = br#"{
//!   "format_version": 1,
//!   "organizations": [
//!     {"id": 1, "name": "acme", "features": {"issue_sync": true, "external_actors": true}}
//!   ],
//!   "users": [
//!     {"id": 2, "active": true, "emails": [{"address": "alice@example.com", "verified": true}]}
//!   ],
//!   "organization_members": [{"organization_id": 1, "user_id": 2}]
//! }"#;
//! let summary = import_state(&store, file).await?;
//! assert_eq!((summary.organizations, summary.users), (1, 1));
//!
//! let exported = String::from_utf8(export_state_json(&store).await?)?;
//! assert!(exported.contains("\"alice@example.com\""));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(example()).unwrap();
//! ```

#[cfg(feature = "testing")]
pub mod conformance;
mod convert;
mod error;
mod format;
mod import;
mod parse;
mod store;
mod validate;
mod wire;

pub use error::StateError;
pub use format::{
    ActivityKindRecord, ActivityRecord, CredentialsRecord, EmailRecord, ExternalActorRecord,
    ExternalIssueRecord, FORMAT_VERSION, FeaturesRecord, IdentityRecord, IntegrationRecord,
    IssueStatusRecord, LinkStatusRecord, LocalIssueRecord, OrganizationIntegrationRecord,
    OrganizationMemberRecord, OrganizationRecord, ProjectRecord, ResolutionStrategyRecord,
    StateSnapshot, SyncConfigRecord, TeamMemberRecord, TeamProjectRecord, TeamRecord, UserOrTeam,
    UserRecord,
};
pub use import::{ImportSummary, export_state_json, import_snapshot, import_state};
pub use store::StateStore;
pub use validate::MAX_ID;
pub use wire::SecretText;
