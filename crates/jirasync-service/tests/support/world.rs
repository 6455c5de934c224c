//! A seeded in-memory world and the webhook fixtures, for this crate's tests and `jirasync-axum`'s
//! (which include this file).

use std::path::PathBuf;
use std::sync::Arc;

use jirasync_domain::ids::{IntegrationId, LocalIssueId, UserId};
use jirasync_domain::inbox::{Inbox, MemoryInbox};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use jirasync_domain::issue::{LocalIssue, ResolutionStatus};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::people::UserEmail;
use jirasync_domain::{
    Host, InMemoryStore, JiraDirectory, LocalIssueStore, Seed, StaticJiraDirectory, SyncStore,
};
use jirasync_service::{SyncService, WebhookMode};
use jirasync_webhook::{IssueKey, WebhookSecret, WebhookToken, mint_token, webhook_url};
use serde_json::Value;

/// The webhook secret of the seeded integration.
pub const SECRET: &str = "webhook-secret-for-tests";

/// A fixture from `tests/fixtures/webhooks/` at the repository root.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/webhooks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A fixture as JSON, to derive variants from.
pub fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// An organization syncing everything through one integration; jess@example.com and
/// bob@example.com reach the project of a local issue linked to APP-123. The in-memory store is
/// jirasync's store and the application's host at once.
pub struct World {
    pub store: Arc<InMemoryStore>,
    pub integration_id: IntegrationId,
    pub external_id: ExternalId,
    pub issue: LocalIssueId,
    pub jess: UserId,
    pub bob: UserId,
}

impl World {
    pub async fn new() -> Self {
        Self::on(Arc::new(InMemoryStore::new())).await
    }

    pub async fn on(store: Arc<InMemoryStore>) -> Self {
        let org = store
            .seed_organization("acme", OrganizationFeatures::all())
            .await
            .unwrap();
        let external_id = ExternalId::for_jira("jira.example.com", "jirasync");
        let integration_id = store
            .seed_integration(
                external_id.clone(),
                "jirasync",
                IntegrationMetadata {
                    base_url: "https://jira.example.com".into(),
                    domain_name: "jira.example.com".into(),
                    verify_ssl: true,
                    webhook_secrets: vec![WebhookSecret::new(SECRET)],
                },
            )
            .await
            .unwrap();
        store
            .seed_organization_integration(
                org,
                integration_id,
                LinkStatus::Active,
                SyncConfig::all_on(),
            )
            .await
            .unwrap();
        let project = store.seed_project(org, "app").await.unwrap();
        let team = store.seed_team(org, "app-team").await.unwrap();
        store.seed_team_project(team, project).await.unwrap();
        let jess = store
            .seed_user(true, vec![UserEmail::verified("jess@example.com")])
            .await
            .unwrap();
        let bob = store
            .seed_user(true, vec![UserEmail::verified("bob@example.com")])
            .await
            .unwrap();
        store.seed_team_member(team, jess, true).await.unwrap();
        store.seed_team_member(team, bob, true).await.unwrap();
        let issue = store
            .seed_local_issue(project, ResolutionStatus::Unresolved, None)
            .await
            .unwrap();
        store
            .seed_issue_link(org, integration_id, &IssueKey::new("APP-123"), issue)
            .await
            .unwrap();
        Self {
            store,
            integration_id,
            external_id,
            issue,
            jess,
            bob,
        }
    }

    /// The URL token of the seeded integration.
    pub fn token(&self) -> WebhookToken {
        mint_token(self.external_id.as_str(), &WebhookSecret::new(SECRET))
    }

    /// The webhook path with the seeded integration's token.
    pub fn path(&self) -> String {
        webhook_url("", &self.token())
    }

    pub async fn local_issue(&self) -> LocalIssue {
        self.store.local_issue(self.issue).await.unwrap().unwrap()
    }

    pub async fn activity_count(&self) -> usize {
        self.store.activities(self.issue).await.unwrap().len()
    }

    /// A service in inline mode on this world's store.
    pub fn inline_service(&self, directory: StaticJiraDirectory) -> SyncService {
        service_on(
            self.store.clone(),
            self.store.clone(),
            Arc::new(directory),
            None,
        )
    }

    /// A service in inbox mode on this world's store and a new memory inbox.
    pub fn inbox_service(&self, directory: StaticJiraDirectory) -> (SyncService, Arc<MemoryInbox>) {
        let inbox = Arc::new(MemoryInbox::new());
        let service = service_on(
            self.store.clone(),
            self.store.clone(),
            Arc::new(directory),
            Some(inbox.clone()),
        );
        (service, inbox)
    }
}

/// A service on any store, host, directory and inbox: inbox mode with an inbox, else inline.
pub fn service_on(
    store: Arc<dyn SyncStore>,
    host: Arc<dyn Host>,
    directory: Arc<dyn JiraDirectory>,
    inbox: Option<Arc<dyn Inbox>>,
) -> SyncService {
    let builder = SyncService::builder(store, host, directory);
    match inbox {
        Some(inbox) => builder.inbox(inbox).build().unwrap(),
        None => builder.mode(WebhookMode::Inline).build().unwrap(),
    }
}
