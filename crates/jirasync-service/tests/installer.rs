//! `install_jira` on its own, as the command line calls it: no HTTP server of ours involved.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod support;

use std::sync::Arc;

use jirasync_client::{
    AccessTokenPair, BaseUrl, ClientOptions, ConsumerKey, OAuthCallback, OAuthDance, WebhookAction,
};
use jirasync_domain::SecretString;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::{InMemoryStore, IntegrationStore, Seed};
use jirasync_service::{
    InstalledJira, InstallerError, JiraInstall, WebhookRegistration, WebhookRegistrationMode,
    install_jira,
};
use support::fake_jira::{
    CONSUMER_KEY, FakeJira, NO_PERMISSION, PUBLIC_URL, private_key_pem, test_key,
};

fn options(jira: &FakeJira) -> ClientOptions {
    ClientOptions::new(BaseUrl::parse(&jira.url()).unwrap())
}

/// The dance against the fake, as `jirasync connect` runs it (out of band).
async fn access_token(jira: &FakeJira) -> AccessTokenPair {
    let dance = OAuthDance::new(
        &options(jira),
        ConsumerKey::new(CONSUMER_KEY),
        Arc::new(test_key()),
    )
    .unwrap();
    let request_token = dance
        .request_token(Some(&OAuthCallback::OutOfBand))
        .await
        .unwrap();
    dance.access_token(&request_token, "code").await.unwrap()
}

async fn install(
    store: &InMemoryStore,
    jira: &FakeJira,
    organization: OrganizationId,
    mode: WebhookRegistrationMode,
) -> Result<InstalledJira, InstallerError> {
    let install = JiraInstall::new(
        organization,
        options(jira),
        ConsumerKey::new(CONSUMER_KEY),
        SecretString::new(private_key_pem()),
        test_key(),
        access_token(jira).await,
    );
    install_jira(store, install, PUBLIC_URL, mode).await
}

async fn organization(store: &InMemoryStore, name: &str) -> OrganizationId {
    store
        .seed_organization(name, OrganizationFeatures::all())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_second_organization_shares_the_secret_and_the_webhook() {
    let store = InMemoryStore::new();
    let jira = FakeJira::start().await;
    let first = install(
        &store,
        &jira,
        organization(&store, "a").await,
        WebhookRegistrationMode::Ensure,
    )
    .await
    .unwrap();
    let second = install(
        &store,
        &jira,
        organization(&store, "b").await,
        WebhookRegistrationMode::Ensure,
    )
    .await
    .unwrap();
    assert_eq!(first.webhook_url, second.webhook_url);
    let WebhookRegistration::Ensured(outcome) = &second.webhook else {
        panic!("the webhook was not ensured");
    };
    assert_eq!(outcome.action, WebhookAction::Reused);
    assert_eq!(jira.webhooks.all().len(), 1);
    let integration = second.installation.integration;
    assert_eq!(integration.metadata.webhook_secrets.len(), 1);
    assert_eq!(
        store
            .organization_links(integration.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn manual_mode_calls_no_webhook_endpoint_and_gives_the_url() {
    let store = InMemoryStore::new();
    let jira = FakeJira::start().await;
    let installed = install(
        &store,
        &jira,
        organization(&store, "a").await,
        WebhookRegistrationMode::Manual,
    )
    .await
    .unwrap();
    assert_eq!(installed.webhook, WebhookRegistration::Manual);
    assert!(
        installed
            .webhook_url
            .expose_secret()
            .starts_with("https://sync.example.com/extensions/jira-server/issue-updated/eyJ")
    );
    assert!(!format!("{installed:?}").contains(installed.webhook_url.expose_secret()));
    assert_eq!(jira.requests_to("/webhook").await, 0);
    assert_eq!(jira.requests_to("/serverInfo").await, 0);
}

#[tokio::test]
async fn a_refused_webhook_records_nothing() {
    let store = InMemoryStore::new();
    let jira = FakeJira::refusing_webhooks().await;
    let error = install(
        &store,
        &jira,
        organization(&store, "a").await,
        WebhookRegistrationMode::Ensure,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, InstallerError::Webhook(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("Could not create issue webhook in Jira. {NO_PERMISSION}")
    );
    assert_eq!(
        store
            .integration_by_external_id("jira_server", &jira.external_id())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_refused_record_removes_the_webhook_it_created() {
    let store = InMemoryStore::new();
    let jira = FakeJira::start().await;
    // No organization 404 exists: the store refuses the record after the webhook was created.
    let error = install(
        &store,
        &jira,
        OrganizationId::new(404),
        WebhookRegistrationMode::Ensure,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, InstallerError::Record(_)), "{error:?}");
    assert!(jira.webhooks.all().is_empty(), "{:?}", jira.webhooks.all());
    assert_eq!(
        store
            .integration_by_external_id("jira_server", &jira.external_id())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_refused_record_keeps_a_webhook_it_reused() {
    let store = InMemoryStore::new();
    let jira = FakeJira::start().await;
    install(
        &store,
        &jira,
        organization(&store, "a").await,
        WebhookRegistrationMode::Ensure,
    )
    .await
    .unwrap();
    install(
        &store,
        &jira,
        OrganizationId::new(404),
        WebhookRegistrationMode::Ensure,
    )
    .await
    .unwrap_err();
    // The first install's webhook still serves it.
    assert_eq!(jira.webhooks.all().len(), 1);
}
