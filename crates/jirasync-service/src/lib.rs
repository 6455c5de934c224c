//! jirasync's service layer: everything between an HTTP adapter and the domain rules, with no
//! HTTP framework.
//!
//! - [`SyncService`]: jirasync's store, the application's [`Host`](jirasync_domain::Host), the
//!   Jira look-ups, the inbox, the [`WebhookMode`], the [`Metrics`] and the clock, built with
//!   [`SyncService::builder`];
//! - [`SyncService::receive_webhook`]: one webhook delivery, from the URL token and the body to
//!   a [`WebhookReceipt`] (ignored, accepted into the inbox, applied, or refused with a
//!   [`DeliveryError`]) that the HTTP layer turns into a status. The token is verified once, at
//!   receipt;
//! - [`spawn_workers`] and [`process_available`]: the inbox workers that apply stored deliveries
//!   (with a [`shutdown_channel`] to stop them), retrying and dead-lettering by [`WorkerOptions`];
//! - [`spawn_retention`] and [`purge_done_deliveries`]: deleting done deliveries after an
//!   [`InboxRetention`];
//! - [`install_jira`] and [`ensure_issue_webhook`]: installing a Jira once the OAuth dance is
//!   done; [`validate_installation`]: the installation form's rules;
//! - [`ClientJiraDirectory`] and [`jira_client`]: the domain's Jira look-ups over Jira's REST
//!   API, with an installed integration's stored credentials;
//! - [`Reconciler`] and [`spawn_reconciler`]: the catch-up for webhooks Jira never delivered
//!   (a paged JQL search of the linked issues updated since the last reconcile, applied through
//!   the same rules and ordering guard);
//! - [`OutboundWorker`], [`Outbound`] and [`ClientJiraWriter`]: outbound sync, the application's
//!   changes carried to Jira through the durable outbox (per Jira issue in order, retried with
//!   back-off, failures stopped with their reason, no echo; `docs/outbound.md`);
//! - [`events`]: outgoing events, pushed to subscribers by the [`events::EventDispatcher`]
//!   (signed per Standard Webhooks, retried, dead-lettered) and read by cursor through the
//!   [`events::EventFeed`] (long poll);
//! - [`Metrics`] and its Prometheus text ([`SyncService::render_metrics`]), and readiness
//!   ([`SyncService::check_ready`]).
//!
//! Tracing events and metric names are stable (`token-validation-error`, `sync-failed`,
//! `delivery-enqueued`, `jirasync_webhooks_received_total`, …; see the crate README).
//!
//! `jirasync-axum` serves this over HTTP; another HTTP framework calls
//! [`SyncService::receive_webhook`] the same way.
//!
//! # Example
//!
//! A service on the in-memory store (both jirasync's store and the host), in inbox mode: a
//! delivery that assigns APP-1 is accepted into the inbox, then a worker pass applies it.
//!
//! ```
//! use std::sync::Arc;
//!
//! use jirasync_domain::inbox::MemoryInbox;
//! use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
//! use jirasync_domain::issue::{Assignee, ResolutionStatus};
//! use jirasync_domain::organization::OrganizationFeatures;
//! use jirasync_domain::people::UserEmail;
//! use jirasync_domain::{InMemoryStore, LocalIssueStore, Seed, StaticJiraDirectory};
//! use jirasync_service::{SyncService, WebhookReceipt, process_available};
//! use jirasync_webhook::{IssueKey, WebhookSecret, mint_token};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! // One organization syncing through one Jira; alice may be assigned issue APP-1.
//! let store = Arc::new(InMemoryStore::new());
//! let org = store.seed_organization("acme", OrganizationFeatures::all()).await?;
//! let secret = WebhookSecret::new("s3cret");
//! let external_id = ExternalId::for_jira("jira.example.com", "jirasync");
//! let jira = store
//!     .seed_integration(
//!         external_id.clone(),
//!         "jirasync",
//!         IntegrationMetadata {
//!             base_url: "https://jira.example.com".into(),
//!             domain_name: "jira.example.com".into(),
//!             verify_ssl: true,
//!             webhook_secrets: vec![secret.clone()],
//!         },
//!     )
//!     .await?;
//! store
//!     .seed_organization_integration(org, jira, LinkStatus::Active, SyncConfig::all_on())
//!     .await?;
//! let project = store.seed_project(org, "web").await?;
//! let team = store.seed_team(org, "web-team").await?;
//! store.seed_team_project(team, project).await?;
//! let alice = store.seed_user(true, vec![UserEmail::verified("alice@example.com")]).await?;
//! store.seed_team_member(team, alice, true).await?;
//! let issue = store.seed_local_issue(project, ResolutionStatus::Unresolved, None).await?;
//! store.seed_issue_link(org, jira, &IssueKey::new("APP-1"), issue).await?;
//!
//! // The in-memory store is jirasync's store and the application's host at once.
//! let service = SyncService::builder(
//!     store.clone(),
//!     store.clone(),
//!     Arc::new(StaticJiraDirectory::new()),
//! )
//! .inbox(Arc::new(MemoryInbox::new()))
//! .build()?;
//!
//! // Jira posts to the URL with the installation's token in it.
//! let token = mint_token(external_id.as_str(), &secret);
//! let body = br#"{
//!     "timestamp": 1700000000000,
//!     "webhookEvent": "jira:issue_updated",
//!     "issue": {"id": "10001", "key": "APP-1", "fields": {
//!         "assignee": {"name": "alice", "emailAddress": "alice@example.com"},
//!         "updated": "2023-11-14T22:13:20.000+0000"}},
//!     "changelog": {"id": "20001", "items": [{"field": "assignee", "to": "alice"}]}
//! }"#;
//! let headers = [("content-type", "application/json")];
//! let receipt = service.receive_webhook(token.expose_secret(), body, &headers).await;
//! assert!(matches!(receipt, WebhookReceipt::Accepted(_)), "{receipt:?}");
//!
//! // A worker pass applies what the inbox holds.
//! assert_eq!(process_available(&service).await?, 1);
//! let assignee = store.local_issue(issue).await?.and_then(|issue| issue.assignee);
//! assert_eq!(assignee, Some(Assignee::User(alice)));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(example()).unwrap();
//! ```

mod delivery;
mod directory;
pub mod events;
mod health;
mod install;
mod integration_cache;
mod jira;
mod metrics;
mod outbound;
mod polling;
mod receive;
mod reconcile;
mod retention;
mod service;
mod shutdown;
mod worker;
mod writer;

// The clock of a service: jirasync's one clock.
pub use delivery::DeliveryError;
pub use directory::ClientJiraDirectory;
pub use health::ReadinessError;
pub use install::form::{
    Field, FieldErrors, InstallationData, InstallationInput, validate_installation,
};
pub use install::installer::{
    InstalledJira, InstallerError, JiraInstall, RemovedWebhook, WebhookRegistration,
    WebhookRegistrationMode, ensure_issue_webhook, install_jira, remove_installation_webhooks,
    remove_stale_webhooks,
};
pub use install::jira_hosts::{InvalidHostPattern, JiraHosts};
pub use integration_cache::DEFAULT_INTEGRATION_CACHE_TTL;
pub use jira::{
    JiraClientError, client_credentials, client_options, jira_client, jira_client_with,
};
pub use jirasync_core::{Clock, ManualClock, SystemClock};
pub use metrics::{
    LATENCY_BUCKETS, METRICS_CONTENT_TYPE, Metrics, OutboxAttemptOutcome, ProcessingPath,
    ReconcileRunOutcome, WebhookOutcome,
};
pub use outbound::{Outbound, OutboundOptions, OutboundWorker};
pub use receive::WebhookReceipt;
pub use reconcile::{
    IntegrationReconcile, ReconcileError, ReconcileOptions, Reconciler, spawn_reconciler,
};
pub use retention::{
    DEFAULT_DONE_RETENTION, DEFAULT_OUTBOX_RETENTION, DEFAULT_PURGE_INTERVAL, InboxRetention,
    purge_done_deliveries, purge_done_outbound, spawn_outbox_retention, spawn_retention,
};
pub use service::{
    BuildError, DEFAULT_EVENT_TIME_TOLERANCE, DEFAULT_READINESS_TIMEOUT, SyncService,
    SyncServiceBuilder, WebhookMode,
};
pub use shutdown::{Shutdown, ShutdownTrigger, shutdown_channel};
pub use worker::{
    DEFAULT_CLAIM_BATCH, DEFAULT_INBOX_LEASE, WorkerOptions, process_available, spawn_workers,
};
pub use writer::ClientJiraWriter;
