//! The end-to-end tests' fake Jira refuses what Jira refuses (so a passing scenario means the
//! requests were signed right), and serves the webhook resource of the Jira 10 generation.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod e2e_support;

use std::sync::Arc;

use e2e_support::fake_jira::{FakeJira, JIRA10_WEBHOOKS, LEGACY_WEBHOOKS};
use e2e_support::service::{Connect, Deployment, Launch};
use e2e_support::{CONSUMER_KEY, private_key};
use jirasync_client::oauth1::{FixedNonce, OAuthProblemKind};
use jirasync_client::{
    AccessToken, BaseUrl, ClientOptions, ConsumerKey, Credentials, JiraClient, OAuthCallback,
    OAuthDance, PrivateKey, TokenSecret,
};

/// A key the fake's Application Link does not know.
const OTHER_KEY_PEM: &str =
    include_str!("../../jirasync-client/tests/fixtures/oauth-net-test-key.pem");

fn options(jira: &FakeJira) -> ClientOptions {
    ClientOptions::new(BaseUrl::parse(jira.base_url()).unwrap())
}

fn dance(jira: &FakeJira, key: PrivateKey) -> OAuthDance {
    OAuthDance::new(
        &options(jira),
        ConsumerKey::new(CONSUMER_KEY),
        Arc::new(key),
    )
    .unwrap()
}

fn problem(error: &jirasync_client::Error) -> Option<OAuthProblemKind> {
    error.oauth_problem().map(|problem| problem.problem.clone())
}

async fn fake_jira(version: &str) -> FakeJira {
    FakeJira::start(version, CONSUMER_KEY, private_key().public_key()).await
}

#[tokio::test]
async fn refuses_a_request_signed_with_another_key() {
    let jira = fake_jira("9.12.2").await;
    let other = PrivateKey::from_pem(OTHER_KEY_PEM).unwrap();
    let error = dance(&jira, other)
        .request_token(Some(&OAuthCallback::OutOfBand))
        .await
        .unwrap_err();
    assert_eq!(
        problem(&error),
        Some(OAuthProblemKind::SignatureInvalid),
        "{error}"
    );
    assert!(jira.request_token_callbacks().is_empty(), "no token issued");
}

#[tokio::test]
async fn refuses_a_replayed_nonce() {
    let jira = fake_jira("9.12.2").await;
    let replaying =
        dance(&jira, private_key()).with_nonce_source(Arc::new(FixedNonce("same".to_owned())));
    replaying
        .request_token(Some(&OAuthCallback::OutOfBand))
        .await
        .unwrap();
    let error = replaying
        .request_token(Some(&OAuthCallback::OutOfBand))
        .await
        .unwrap_err();
    assert_eq!(
        problem(&error),
        Some(OAuthProblemKind::NonceUsed),
        "{error}"
    );
    assert_eq!(jira.request_token_callbacks().len(), 1);
}

#[tokio::test]
async fn refuses_an_access_token_it_never_issued() {
    let jira = fake_jira("9.12.2").await;
    let credentials = Credentials::oauth1_rsa(
        ConsumerKey::new(CONSUMER_KEY),
        private_key(),
        AccessToken::new("made-up"),
        TokenSecret::new("made-up-secret"),
    );
    let client = JiraClient::new(&options(&jira), credentials).unwrap();
    let error = client.myself().await.unwrap_err();
    assert_eq!(
        problem(&error),
        Some(OAuthProblemKind::TokenRejected),
        "{error}"
    );
}

#[tokio::test]
async fn refuses_a_verifier_it_did_not_issue_and_then_accepts_the_right_one() {
    let jira = fake_jira("9.12.2").await;
    let dance = dance(&jira, private_key());
    let request_token = dance
        .request_token(Some(&OAuthCallback::OutOfBand))
        .await
        .unwrap();
    let verifier = jira.approve(request_token.token.as_str()).unwrap();
    let error = dance
        .access_token(&request_token, "guessed")
        .await
        .unwrap_err();
    assert_eq!(
        problem(&error),
        Some(OAuthProblemKind::TokenRejected),
        "{error}"
    );
    let access = dance.access_token(&request_token, &verifier).await.unwrap();
    let error = dance
        .access_token(&request_token, &verifier)
        .await
        .unwrap_err();
    assert_eq!(
        problem(&error),
        Some(OAuthProblemKind::TokenUsed),
        "{error}"
    );

    let credentials = Credentials::oauth1_rsa(
        ConsumerKey::new(CONSUMER_KEY),
        private_key(),
        access.token,
        access.secret,
    );
    let client = JiraClient::new(&options(&jira), credentials).unwrap();
    let myself = client.myself().await.unwrap();
    assert_eq!(myself.name.as_deref(), Some("admin"));
}

#[tokio::test]
async fn connect_twice_registers_one_webhook_on_jira_10() {
    let jira = fake_jira("10.3.0").await;
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    let organization = deployment.workdir.join("organization.json");
    let state = serde_json::json!({
        "format_version": 1,
        "organizations": [{"id": 1, "name": "acme", "features": {"issue_sync": true, "external_actors": true}}],
        "users": [], "organization_members": [], "teams": [], "team_members": [], "projects": [],
        "team_projects": [], "local_issues": [], "integrations": [], "identities": [],
        "organization_integrations": [], "external_issues": [], "external_actors": [], "activities": [],
    });
    std::fs::write(&organization, state.to_string()).unwrap();
    deployment.jirasync(&["state", "import", organization.to_str().unwrap()]);
    let connect = Connect::for_organization_1(&jira, &deployment, "https://sync.example.com");
    for _ in 0..2 {
        Launch::InProcess.connect(&deployment, &connect).await;
    }

    let webhooks = jira.webhooks();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    assert!(
        webhooks[0]
            .url
            .starts_with("https://sync.example.com/extensions/jira-server/issue-updated/"),
        "{}",
        webhooks[0].url
    );
    let requests = jira.requests();
    let created = requests
        .iter()
        .filter(|request| request.method == "POST" && request.path == JIRA10_WEBHOOKS)
        .count();
    assert_eq!(created, 1, "{requests:?}");
    assert!(
        requests
            .iter()
            .all(|request| !request.path.starts_with(LEGACY_WEBHOOKS)),
        "Jira 10 is never asked for the 9.x webhook resource: {requests:?}"
    );
}
