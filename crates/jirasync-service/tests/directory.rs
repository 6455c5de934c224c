//! `ClientJiraDirectory` against a fake Jira (wiremock on 127.0.0.1).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed step should stop the test"
)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use jirasync_client::RetryPolicy;
use jirasync_domain::DirectoryError;
use jirasync_domain::SecretString;
use jirasync_domain::integration::{
    ExternalId, Integration, IntegrationMetadata, JiraCredentials, LinkStatus, SyncConfig,
};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::rules::install::{InstallRequest, install_jira_server};
use jirasync_domain::{InMemoryStore, IntegrationStore, JiraDirectory, Seed};
use jirasync_service::ClientJiraDirectory;
use jirasync_webhook::{JiraUser, StatusId, WebhookSecret};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn metadata(base_url: &str) -> IntegrationMetadata {
    IntegrationMetadata {
        base_url: base_url.to_owned(),
        domain_name: "127.0.0.1".to_owned(),
        verify_ssl: true,
        webhook_secrets: Vec::new(),
    }
}

/// An integration installed by one organization with a personal access token.
async fn installed(base_url: &str) -> (ClientJiraDirectory, Integration) {
    let store = Arc::new(InMemoryStore::new());
    let org = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let installation = install_jira_server(
        store.as_ref(),
        InstallRequest {
            organization_id: org,
            base_url: base_url.to_owned(),
            consumer_key: "jirasync".to_owned(),
            verify_ssl: true,
            webhook_secret: WebhookSecret::generate(),
            credentials: JiraCredentials::Bearer {
                token: SecretString::new("personal-access-token"),
            },
            installed_by: None,
        },
    )
    .await
    .unwrap();
    let directory = ClientJiraDirectory::new(store).with_retry(RetryPolicy::never());
    (directory, installation.integration)
}

fn user(name: Option<&str>, key: Option<&str>) -> JiraUser {
    JiraUser {
        name: name.map(str::to_owned),
        key: key.map(str::to_owned),
        ..JiraUser::default()
    }
}

#[tokio::test]
async fn finds_a_user_by_username_with_the_installed_credentials() {
    let jira = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/user"))
        .and(query_param("username", "jess"))
        .and(header("authorization", "Bearer personal-access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "jess", "key": "JIRAUSER10100", "emailAddress": "jess@example.com",
            "displayName": "Jess MacQueen", "active": true
        })))
        .expect(1)
        .mount(&jira)
        .await;
    let (directory, integration) = installed(&jira.uri()).await;

    let found = directory
        .find_user(&integration, &user(Some("jess"), Some("JIRAUSER10100")))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(found.email_address.as_deref(), Some("jess@example.com"));
    assert_eq!(found.key.as_deref(), Some("JIRAUSER10100"));
}

#[tokio::test]
async fn falls_back_to_the_user_key_when_the_username_is_unknown() {
    let jira = MockServer::start().await;
    Mock::given(path("/rest/api/2/user"))
        .and(query_param("username", "renamed"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&jira)
        .await;
    Mock::given(path("/rest/api/2/user"))
        .and(query_param("key", "JIRAUSER10100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "jess", "key": "JIRAUSER10100", "emailAddress": "jess@example.com"
        })))
        .mount(&jira)
        .await;
    let (directory, integration) = installed(&jira.uri()).await;

    let found = directory
        .find_user(&integration, &user(Some("renamed"), Some("JIRAUSER10100")))
        .await
        .unwrap();

    assert_eq!(
        found.and_then(|user| user.email_address).as_deref(),
        Some("jess@example.com")
    );
}

#[tokio::test]
async fn a_user_jira_does_not_know_is_none() {
    let jira = MockServer::start().await;
    Mock::given(path("/rest/api/2/user"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&jira)
        .await;
    let (directory, integration) = installed(&jira.uri()).await;

    let found = directory
        .find_user(&integration, &user(Some("ghost"), Some("JIRAUSER0")))
        .await
        .unwrap();

    assert_eq!(found, None);
}

#[tokio::test]
async fn done_statuses_are_those_of_the_done_category() {
    let jira = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "1", "name": "Open", "statusCategory": {"id": 2, "key": "new"}},
            {"id": "10101", "name": "In Progress", "statusCategory": {"id": 4, "key": "indeterminate"}},
            {"id": 10102, "name": "Done", "statusCategory": {"id": 3, "key": "done"}},
            {"id": "6", "name": "Closed", "statusCategory": {"id": 3, "key": "done"}}
        ])))
        .mount(&jira)
        .await;
    let (directory, integration) = installed(&jira.uri()).await;

    let done = directory.done_status_ids(&integration).await.unwrap();

    let expected: BTreeSet<StatusId> = ["10102", "6"].into_iter().map(StatusId::new).collect();
    assert_eq!(done, expected);
}

#[tokio::test]
async fn a_server_error_means_unreachable() {
    let jira = MockServer::start().await;
    Mock::given(path("/rest/api/2/status"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&jira)
        .await;
    let (directory, integration) = installed(&jira.uri()).await;

    let error = directory.done_status_ids(&integration).await.unwrap_err();

    assert!(
        matches!(error, DirectoryError::Unreachable { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_jira_that_is_not_listening_is_unreachable() {
    // A port that was free a moment ago and has no listener now (wiremock pools its servers, so
    // a dropped MockServer keeps listening).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (directory, integration) = installed(&uri).await;

    let error = directory
        .find_user(&integration, &user(Some("jess"), None))
        .await
        .unwrap_err();

    assert!(
        matches!(error, DirectoryError::Unreachable { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_authentication_refusal_is_refused() {
    let jira = MockServer::start().await;
    Mock::given(path("/rest/api/2/status"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errorMessages": ["You are not authenticated."]
        })))
        .mount(&jira)
        .await;
    let (directory, integration) = installed(&jira.uri()).await;

    let error = directory.done_status_ids(&integration).await.unwrap_err();

    assert!(matches!(error, DirectoryError::Refused { .. }), "{error:?}");
}

#[tokio::test]
async fn without_an_active_linked_identity_there_are_no_credentials() {
    let jira = MockServer::start().await;
    let store = Arc::new(InMemoryStore::new());
    let org = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let id = store
        .seed_integration(
            ExternalId::for_jira("127.0.0.1", "jirasync"),
            "jirasync",
            metadata(&jira.uri()),
        )
        .await
        .unwrap();
    // Linked, but without an identity.
    store
        .seed_organization_integration(org, id, LinkStatus::Active, SyncConfig::all_on())
        .await
        .unwrap();
    let integration = store.integration(id).await.unwrap().unwrap();
    let directory = ClientJiraDirectory::new(store);

    let error = directory.done_status_ids(&integration).await.unwrap_err();

    assert_eq!(error, DirectoryError::NoCredentials { integration_id: id });
    assert!(
        jira.received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn a_user_without_name_or_key_is_not_looked_up() {
    let jira = MockServer::start().await;
    let (directory, integration) = installed(&jira.uri()).await;

    let found = directory
        .find_user(&integration, &JiraUser::default())
        .await
        .unwrap();

    assert_eq!(found, None);
    assert!(
        jira.received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

/// How many requests `jira` has received for `path`.
async fn requests_to(jira: &MockServer, path: &str) -> usize {
    let received = jira.received_requests().await.unwrap_or_default();
    received
        .iter()
        .filter(|request| request.url.path() == path)
        .count()
}

#[tokio::test]
async fn concurrent_status_look_ups_share_one_request_and_a_later_one_asks_again() {
    let jira = MockServer::start().await;
    // Slow enough that every look-up below starts while the first is under way.
    Mock::given(method("GET"))
        .and(path("/rest/api/2/status"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(300))
                .set_body_json(json!([
                    {"id": "6", "name": "Closed", "statusCategory": {"id": 3, "key": "done"}}
                ])),
        )
        .mount(&jira)
        .await;
    let (directory, integration) = installed(&jira.uri()).await;

    // Clones of the directory, as the service's tasks hold them.
    let mut look_ups = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (directory, integration) = (directory.clone(), integration.clone());
        look_ups.spawn(async move { directory.done_status_ids(&integration).await });
    }
    let answers = look_ups.join_all().await;

    let expected: BTreeSet<StatusId> = [StatusId::new("6")].into_iter().collect();
    for answer in answers {
        assert_eq!(answer.unwrap(), expected);
    }
    assert_eq!(requests_to(&jira, "/rest/api/2/status").await, 1);
    // A clone shares the look-ups under way, but this one starts after the first finished.
    directory
        .clone()
        .done_status_ids(&integration)
        .await
        .unwrap();
    assert_eq!(requests_to(&jira, "/rest/api/2/status").await, 2);
}

#[tokio::test]
async fn concurrent_look_ups_of_one_user_share_a_request_and_a_failure_is_shared_too() {
    let jira = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/user"))
        .and(query_param("username", "jess"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(300))
                .set_body_json(json!({
                    "name": "jess", "key": "JIRAUSER10100", "emailAddress": "jess@example.com",
                    "displayName": "Jess MacQueen", "active": true
                })),
        )
        .mount(&jira)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/user"))
        .and(query_param("username", "bob"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(300)))
        .mount(&jira)
        .await;
    let (directory, integration) = installed(&jira.uri()).await;
    let (jess, bob) = (user(Some("jess"), None), user(Some("bob"), None));

    let mut look_ups = tokio::task::JoinSet::new();
    for n in 0..6 {
        let asked = if n % 2 == 0 {
            jess.clone()
        } else {
            bob.clone()
        };
        let (directory, integration) = (directory.clone(), integration.clone());
        look_ups.spawn(async move {
            (
                asked.name.clone(),
                directory.find_user(&integration, &asked).await,
            )
        });
    }
    let answers = look_ups.join_all().await;

    for (name, answer) in answers {
        if name.as_deref() == Some("jess") {
            let found = answer.unwrap().unwrap();
            assert_eq!(found.email_address.as_deref(), Some("jess@example.com"));
        } else {
            let error = answer.unwrap_err();
            assert!(
                matches!(error, DirectoryError::Unreachable { .. }),
                "{error:?}"
            );
        }
    }
    // One request per user, not one per look-up.
    assert_eq!(requests_to(&jira, "/rest/api/2/user").await, 2);
}
