//! jirasync's sync rules, behind storage traits.
//!
//! This crate turns the typed Jira events of [`jirasync_webhook`] into changes to the host
//! application's issues, and owns the rules around them. It defines the two contracts everything
//! else plugs into:
//!
//! - [`SyncStore`]: jirasync's own bookkeeping (integrations, credentials, organization links and
//!   their configuration, links to Jira issues, watermarks, the delivery log, external actors),
//!   implemented by jirasync itself (`jirasync-store`); and [`Inbox`], the durable webhook inbox;
//! - [`Host`]: the six methods jirasync needs from the application (its users, who may be
//!   assigned what, its issues), implemented by the application, or by the standalone service
//!   over tables of its own.
//!
//! The rules:
//!
//! - [`rules::where_should_sync`]: which organizations sync a direction through an integration;
//! - [`InboundSync::sync_assignee`]: inbound assignee sync (e-mail → external actor → Jira user
//!   look-up), first project member wins;
//! - [`InboundSync::sync_status`]: resolve / unresolve when an issue enters or leaves `done`;
//! - the **ordering guard**, "already as wanted" and the activity kinds ([`rules::ordering`]),
//!   applied under the store's per-issue serialisation ([`store::IssueSyncSession`]) so a crash
//!   between the host's write and jirasync's commit is repaired by the redelivery;
//! - [`rules::external_actors`]: external-actor validation, create, update and delete;
//! - [`rules::install`]: the install merge (integration, identity, organization link);
//! - [`rules::outbound`]: outbound sync — which linked Jira issues an application change must
//!   reach, finding the Jira user, and carrying one piece of [`outbound`] work out through a
//!   [`outbound::JiraWriter`], with the echo of jirasync's own change recognised by the inbound
//!   rules.
//!
//! The `testing` feature adds an in-memory store (both a [`SyncStore`] and a standalone
//! [`Host`]), test doubles, and the conformance suites every store and every host runs.
//!
//! [`state`] reads, checks and writes the state file, the whole domain state as one JSON
//! document (`docs/state-format.md`), over the [`StateStore`] trait.
//!
//! The crate does no I/O of its own: Jira look-ups go through the [`JiraDirectory`] trait, which
//! an adapter implements with the REST client.
//!
//! # Example
//!
//! Seed the in-memory store (jirasync's store and a standalone host in one value, `testing`
//! feature), apply an assignee change from Jira, read the assignee back:
//!
//! ```
//! use std::sync::Arc;
//!
//! use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
//! use jirasync_domain::issue::{Assignee, ResolutionStatus};
//! use jirasync_domain::organization::OrganizationFeatures;
//! use jirasync_domain::people::UserEmail;
//! use jirasync_domain::{InMemoryStore, InboundSync, LocalIssueStore, Seed, StaticJiraDirectory};
//! use jirasync_webhook::{AssigneeChanged, EventTime, IssueKey, JiraUser};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(InMemoryStore::new());
//!
//! // An organization with one Jira integration that syncs assignees inbound.
//! let org = store.seed_organization("acme", OrganizationFeatures::all()).await?;
//! let jira = store
//!     .seed_integration(
//!         ExternalId::for_jira("jira.example.com", "jirasync"),
//!         "jirasync",
//!         IntegrationMetadata {
//!             base_url: "https://jira.example.com".into(),
//!             domain_name: "jira.example.com".into(),
//!             verify_ssl: true,
//!             webhook_secrets: Vec::new(),
//!         },
//!     )
//!     .await?;
//! store
//!     .seed_organization_integration(org, jira, LinkStatus::Active, SyncConfig::all_on())
//!     .await?;
//!
//! // Alice reaches the project through her team; one local issue is linked to APP-1.
//! let project = store.seed_project(org, "web").await?;
//! let team = store.seed_team(org, "web-team").await?;
//! store.seed_team_project(team, project).await?;
//! let alice = store.seed_user(true, vec![UserEmail::verified("alice@example.com")]).await?;
//! store.seed_team_member(team, alice, true).await?;
//! let issue = store.seed_local_issue(project, ResolutionStatus::Unresolved, None).await?;
//! store.seed_issue_link(org, jira, &IssueKey::new("APP-1"), issue).await?;
//!
//! // Jira says: APP-1 is now assigned to alice@example.com.
//! let directory = Arc::new(StaticJiraDirectory::new());
//! let sync = InboundSync::new(Arc::clone(&store), Arc::clone(&store), directory);
//! let event = AssigneeChanged {
//!     issue_key: IssueKey::new("APP-1"),
//!     issue_id: None,
//!     assignee: Some(JiraUser {
//!         email_address: Some("alice@example.com".into()),
//!         ..JiraUser::default()
//!     }),
//!     occurred_at: Some(EventTime::from_unix_millis(1_700_000_000_000)),
//! };
//! let outcome = sync.sync_assignee(jira, &event, None).await?;
//! assert_eq!(outcome.changed, 1);
//!
//! let assignee = store.local_issue(issue).await?.and_then(|issue| issue.assignee);
//! assert_eq!(assignee, Some(Assignee::User(alice)));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(example()).unwrap();
//! ```

pub mod activity;
pub mod app_data;
pub mod events;
pub mod external_actor;
pub mod host;
pub mod ids;
pub mod inbox;
pub mod integration;
pub mod issue;
mod jira_directory;
#[cfg(feature = "testing")]
pub mod memory;
pub mod organization;
pub mod outbound;
pub mod people;
pub mod rules;
mod secret;
pub mod setup;
pub mod state;
pub mod store;
mod text;

#[cfg(feature = "testing")]
pub mod conformance;

pub use app_data::ApplicationData;
pub use host::{Host, HostError, HostIssue, IssueChange};
pub use inbox::Inbox;
#[cfg(feature = "testing")]
pub use jira_directory::StaticJiraDirectory;
pub use jira_directory::{
    Clock, DONE_STATUSES_TTL, DirectoryError, JiraDirectory, ManualClock, SystemClock,
};
#[cfg(feature = "testing")]
pub use memory::InMemoryStore;
pub use rules::inbound::InboundSync;
pub use secret::SecretString;
pub use setup::SetupStore;
pub use state::StateStore;
#[cfg(feature = "testing")]
pub use store::Seed;
pub use store::{
    EventStore, ExternalActorStore, IntegrationStore, IssueLinkStore, IssueSyncStore,
    LocalIssueStore, OrganizationStore, OutboxStore, ReconcileStore, StatusMappingStore,
    StoreError, SyncStore,
};
