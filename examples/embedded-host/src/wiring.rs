//! Putting the pieces together: the application's pool and tables, jirasync's bookkeeping in the
//! same database file, the sync service and its HTTP routes.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use jirasync_axum::AppState;
use jirasync_domain::{Host, Inbox, IntegrationStore, SyncStore};
use jirasync_service::{ClientJiraDirectory, SyncService, WebhookMode};
use jirasync_store::sqlite::{SqliteOptions, SqliteStore};
use jirasync_store::{DatabaseUrl, Layout};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::{SCHEMA, TicketsHost};

/// The application with jirasync embedded.
#[derive(Debug, Clone)]
pub struct Embedded {
    /// The application, as jirasync's host.
    pub host: TicketsHost,
    /// jirasync's bookkeeping, in the application's database file.
    pub store: SqliteStore,
    /// The sync service.
    pub service: SyncService,
}

impl Embedded {
    /// Opens (creating it when missing) the application's database at `path`: its own tables,
    /// then jirasync's (bookkeeping only: the application is the host), and a service applying
    /// each delivery as it arrives (`WebhookMode::Inline`; `Inbox` with workers is the
    /// production choice, see `docs/embedding.md`).
    pub async fn open(path: &Path) -> Result<Self, Box<dyn Error>> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new().connect_with(options).await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;

        let url = DatabaseUrl::new(format!("sqlite://{}", path.display()));
        let bookkeeping = SqliteOptions::default().layout(Layout::Bookkeeping);
        let store = SqliteStore::open_with(&url, bookkeeping).await?;
        let host = TicketsHost::new(pool);

        let shared = Arc::new(store.clone());
        let directory = Arc::new(ClientJiraDirectory::new(shared.clone()));
        let service = SyncService::builder(
            shared.clone() as Arc<dyn SyncStore>,
            Arc::new(host.clone()) as Arc<dyn Host>,
            directory,
        )
        .inbox(shared as Arc<dyn Inbox>)
        .mode(WebhookMode::Inline)
        .build()?;
        Ok(Self {
            host,
            store,
            service,
        })
    }

    /// jirasync's routes (the Jira webhook, health, metrics), to merge into the application's
    /// own router.
    pub fn routes(&self) -> axum::Router {
        jirasync_axum::router(AppState::new(self.service.clone()))
    }
}

/// The demonstration scene: organization 1 with Jess (jess@example.com) working on project 1,
/// whose ticket 1 is linked to APP-123 of a Jira installed with a personal access token and
/// inbound sync on. Returns the webhook URL path Jira would call.
pub async fn demo_scene(app: &Embedded) -> Result<String, Box<dyn Error>> {
    use jirasync_domain::SecretString;
    use jirasync_domain::ids::{LocalIssueId, OrganizationId};
    use jirasync_domain::integration::{JiraCredentials, SyncConfig};
    use jirasync_domain::organization::{Organization, OrganizationFeatures};
    use jirasync_domain::rules::install::{InstallRequest, install_jira_server};
    use jirasync_domain::{IssueLinkStore, OrganizationStore};
    use jirasync_webhook::{IssueKey, WebhookSecret, mint_token, webhook_url};

    // The application's own rows.
    sqlx::raw_sql(
        "INSERT INTO app_organizations (id, name) VALUES (1, 'acme');
         INSERT INTO app_users (id, organization_id, active) VALUES (1, 1, 1);
         INSERT INTO app_user_emails (user_id, email, verified) VALUES (1, 'jess@example.com', 1);
         INSERT INTO app_projects (id, organization_id) VALUES (1, 1);
         INSERT INTO app_project_members (project_id, user_id) VALUES (1, 1);
         INSERT INTO app_tickets (id, project_id) VALUES (1, 1);",
    )
    .execute(app.host.pool())
    .await?;

    // jirasync's: the organization, the install (after the OAuth dance or with a token), the
    // sync configuration, the ticket's link to its Jira issue.
    let acme = OrganizationId::new(1);
    let organization = Organization {
        id: acme,
        name: "acme".into(),
        features: OrganizationFeatures::all(),
    };
    app.store.save_organization(organization).await?;
    let secret = WebhookSecret::generate();
    let request = InstallRequest {
        organization_id: acme,
        base_url: "https://jira.example.com".into(),
        consumer_key: "tickets".into(),
        verify_ssl: true,
        webhook_secret: secret.clone(),
        credentials: JiraCredentials::Bearer {
            token: SecretString::new("personal-access-token"),
        },
        installed_by: None,
    };
    let installed = install_jira_server(&app.store, request).await?;
    let jira = installed.integration.id;
    app.store
        .update_sync_config(acme, jira, SyncConfig::all_on())
        .await?;
    app.store
        .link_issue(acme, jira, &IssueKey::new("APP-123"), LocalIssueId::new(1))
        .await?;
    let token = mint_token(installed.integration.external_id.as_str(), &secret);
    Ok(webhook_url("", &token))
}
