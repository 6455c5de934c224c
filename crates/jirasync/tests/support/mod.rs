//! Running the real `jirasync` binary in a temporary directory, and seeding its SQLite database.

// Shared by several test binaries, each using part of it; set-up failures fail the test.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use jirasync_domain::integration::{ExternalId, IntegrationMetadata, JiraCredentials};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::secret::SecretString;
use jirasync_domain::store::{InstallRecord, Installation};
use jirasync_store::{AnyStore, DatabaseUrl};
use jirasync_webhook::WebhookSecret;

/// The consumer key of the seeded integration.
pub const CONSUMER_KEY: &str = "jirasync";
/// The webhook secret of the seeded integration.
pub const WEBHOOK_SECRET: &str = "webhook-secret-for-tests";
/// The public URL the tests configure.
pub const PUBLIC_URL: &str = "https://sync.example.com";

/// What a run of the binary left.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A temporary working directory with the default database `jirasync.db` in it.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The database file the binary opens by default (`sqlite://jirasync.db`).
    pub fn database(&self) -> PathBuf {
        self.path().join("jirasync.db")
    }

    /// Runs `jirasync ARGS` here with only the variables `env` (plus none inherited).
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_jirasync"))
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap();
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// Runs `jirasync ARGS` here with an empty environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Opens the database the binary uses.
    pub async fn store(&self) -> Arc<dyn AnyStore> {
        let url = DatabaseUrl::new(self.database().to_str().unwrap());
        jirasync_store::open(&url).await.unwrap()
    }
}

/// A private key the fake Jira never checks (wiremock does not verify signatures).
pub const PRIVATE_KEY_PEM: &str =
    include_str!("../../../jirasync-client/tests/fixtures/rsa-2048-pkcs8.pem");

/// Installs an integration for Jira at `base_url` (OAuth 1.0a credentials) for a new organization.
pub async fn install(store: &dyn AnyStore, base_url: &str) -> Installation {
    let organization = store
        .seed_organization(
            "acme",
            OrganizationFeatures {
                issue_sync: true,
                external_actors: true,
            },
        )
        .await
        .unwrap();
    install_for(store, organization, base_url).await
}

/// Installs the integration for Jira at `base_url` for `organization`.
pub async fn install_for(
    store: &dyn AnyStore,
    organization: jirasync_domain::ids::OrganizationId,
    base_url: &str,
) -> Installation {
    let domain_name = base_url.trim_start_matches("http://").to_owned();
    store
        .install(InstallRecord {
            organization_id: organization,
            external_id: ExternalId::for_jira(&domain_name, CONSUMER_KEY),
            name: CONSUMER_KEY.to_owned(),
            metadata: IntegrationMetadata {
                base_url: base_url.to_owned(),
                domain_name,
                verify_ssl: false,
                webhook_secrets: vec![WebhookSecret::new(WEBHOOK_SECRET)],
            },
            credentials: JiraCredentials::OAuth1 {
                consumer_key: CONSUMER_KEY.to_owned(),
                private_key_pem: SecretString::new(PRIVATE_KEY_PEM),
                access_token: "access-token".to_owned(),
                access_token_secret: SecretString::new("access-token-secret"),
            },
            installed_by: None,
        })
        .await
        .unwrap()
}
