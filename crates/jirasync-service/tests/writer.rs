//! `ClientJiraWriter` against a fake Jira (wiremock on 127.0.0.1): the organization's
//! credentials, one request per call (no client-level retry), and each Jira answer classified as
//! transient or permanent with Jira's words.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed step should stop the test"
)]

use std::sync::Arc;

use jirasync_domain::SecretString;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::integration::{Integration, JiraCredentials};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::outbound::{JiraAccount, JiraWriteError, JiraWriter};
use jirasync_domain::rules::install::{InstallRequest, install_jira_server};
use jirasync_domain::{InMemoryStore, Seed};
use jirasync_service::ClientJiraWriter;
use jirasync_webhook::{IssueKey, WebhookSecret};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An integration installed by one organization with a personal access token.
async fn installed(base_url: &str) -> (ClientJiraWriter, Integration, OrganizationId) {
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
                token: SecretString::new("acme-token"),
            },
            installed_by: None,
        },
    )
    .await
    .unwrap();
    (ClientJiraWriter::new(store), installation.integration, org)
}

#[tokio::test]
async fn assigns_and_unassigns_with_the_organizations_credentials() {
    let jira = MockServer::start().await;
    for name in [json!("alice.j"), serde_json::Value::Null] {
        Mock::given(method("PUT"))
            .and(path("/rest/api/2/issue/SHOP-1/assignee"))
            .and(header("authorization", "Bearer acme-token"))
            .and(body_json(json!({"name": name})))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&jira)
            .await;
    }
    let (writer, integration, org) = installed(&jira.uri()).await;
    let key = IssueKey::new("SHOP-1");
    writer
        .assign(&integration, org, &key, Some("alice.j"))
        .await
        .unwrap();
    writer.assign(&integration, org, &key, None).await.unwrap();
}

#[tokio::test]
async fn searches_users_and_keeps_those_with_a_username() {
    let jira = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/user/search"))
        .and(query_param("username", "alice@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"name": "alice.j", "key": "JIRAUSER1", "emailAddress": "alice@example.com", "active": true},
            {"name": "alice.old", "key": "JIRAUSER2", "active": false},
        ])))
        .expect(1)
        .mount(&jira)
        .await;
    let (writer, integration, org) = installed(&jira.uri()).await;
    let found = writer
        .search_users(&integration, org, "alice@example.com")
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![
            JiraAccount {
                name: "alice.j".into(),
                email_address: Some("alice@example.com".into()),
                active: true,
            },
            JiraAccount {
                name: "alice.old".into(),
                email_address: None,
                active: false,
            },
        ]
    );
}

#[tokio::test]
async fn jiras_answers_are_transient_or_permanent_with_jiras_words() {
    // (status, body, transient, words the error must carry)
    let cases = [
        (503, json!({}), true, "503"),
        (429, json!({}), true, "429"),
        (
            403,
            json!({"errorMessages": ["You do not have permission to assign issues."], "errors": {}}),
            false,
            "You do not have permission to assign issues.",
        ),
        (
            404,
            json!({"errorMessages": ["Issue Does Not Exist"], "errors": {}}),
            false,
            "Issue Does Not Exist",
        ),
        (
            400,
            json!({"errorMessages": [], "errors": {"assignee": "User 'x' cannot be assigned issues."}}),
            false,
            "cannot be assigned issues",
        ),
    ];
    for (status, body, transient, words) in cases {
        let jira = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path("/rest/api/2/issue/SHOP-1/assignee"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            // One request: the outbox retries, not the client.
            .expect(1)
            .mount(&jira)
            .await;
        let (writer, integration, org) = installed(&jira.uri()).await;
        let error = writer
            .assign(&integration, org, &IssueKey::new("SHOP-1"), Some("x"))
            .await
            .unwrap_err();
        assert_eq!(error.is_transient(), transient, "{status}: {error}");
        assert!(error.to_string().contains(words), "{status}: {error}");
        if !transient {
            assert!(
                matches!(error, JiraWriteError::Permanent { status: Some(got), .. } if got == status),
                "{error:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_malformed_search_answer_is_permanent_and_says_what_was_wrong() {
    let jira = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/user/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"not": "a list"})))
        .mount(&jira)
        .await;
    let (writer, integration, org) = installed(&jira.uri()).await;
    let error = writer
        .search_users(&integration, org, "alice@example.com")
        .await
        .unwrap_err();
    assert!(!error.is_transient(), "{error}");
}

#[tokio::test]
async fn an_organization_without_credentials_is_told_to_reinstall() {
    let jira = MockServer::start().await;
    let (writer, integration, _) = installed(&jira.uri()).await;
    let error = writer
        .assign(
            &integration,
            OrganizationId::new(999),
            &IssueKey::new("SHOP-1"),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error,
        JiraWriteError::NoCredentials {
            integration_id: integration.id
        }
    );
    assert!(jira.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn reads_createmeta_of_the_servers_generation() {
    let jira = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/serverInfo"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": "9.12.2"})))
        .mount(&jira)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/issue/createmeta/SHOP/issuetypes"))
        .and(header("authorization", "Bearer acme-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "maxResults": 50, "startAt": 0, "total": 2, "isLast": true,
            "values": [{"id": "10002", "name": "Task"}, {"id": "10004", "name": "Bug"}],
        })))
        .mount(&jira)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/api/2/issue/createmeta/SHOP/issuetypes/10004"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "maxResults": 50, "startAt": 0, "total": 3, "isLast": true,
            "values": [
                {"required": true, "name": "Summary", "fieldId": "summary", "hasDefaultValue": false, "operations": ["set"], "schema": {"type": "string", "system": "summary"}},
                {"required": true, "name": "Reporter", "fieldId": "reporter", "hasDefaultValue": true, "operations": ["set"], "schema": {"type": "user", "system": "reporter"}},
                {"required": true, "name": "Severity", "fieldId": "customfield_10200", "hasDefaultValue": false, "operations": ["set"], "schema": {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select"}},
            ],
        })))
        .mount(&jira)
        .await;
    let (writer, integration, org) = installed(&jira.uri()).await;
    let meta = writer
        .create_meta(&integration, org, "SHOP", "bug")
        .await
        .unwrap();
    assert_eq!(meta.issue_type_id, "10004");
    assert_eq!(meta.issue_type_name, "Bug");
    let fields: Vec<(&str, bool, bool)> = meta
        .fields
        .iter()
        .map(|field| (field.key.as_str(), field.required, field.has_default_value))
        .collect();
    assert_eq!(
        fields,
        [
            ("summary", true, false),
            ("reporter", true, true),
            ("customfield_10200", true, false)
        ]
    );
    let unknown = writer
        .create_meta(&integration, org, "SHOP", "Epic")
        .await
        .unwrap_err();
    assert_eq!(
        unknown,
        JiraWriteError::permanent(
            None,
            "Project SHOP has no issue type named \"Epic\" that the Jira user can create (it \
             has: Task, Bug)"
        )
    );
}

#[tokio::test]
async fn creates_an_issue_once_and_keeps_jiras_refusal() {
    let jira = MockServer::start().await;
    let fields = json!({"project": {"key": "SHOP"}, "issuetype": {"id": "10004"}, "summary": "Checkout fails"});
    Mock::given(method("POST"))
        .and(path("/rest/api/2/issue"))
        .and(header("authorization", "Bearer acme-token"))
        .and(body_json(json!({"fields": fields})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "10007", "key": "SHOP-7", "self": "http://jira/rest/api/2/issue/10007",
        })))
        .expect(1)
        .mount(&jira)
        .await;
    let (writer, integration, org) = installed(&jira.uri()).await;
    let created = writer
        .create_issue(&integration, org, fields.as_object().unwrap())
        .await
        .unwrap();
    assert_eq!(created.key, IssueKey::new("SHOP-7"));
    assert_eq!(created.id, "10007");

    let refusing = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/api/2/issue"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorMessages": [], "errors": {"customfield_10200": "Severity is required."},
        })))
        .expect(1)
        .mount(&refusing)
        .await;
    let (writer, integration, org) = installed(&refusing.uri()).await;
    let refused = writer
        .create_issue(&integration, org, fields.as_object().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, JiraWriteError::Permanent { status: Some(400), message }
            if message.contains("customfield_10200: Severity is required.")),
        "{refused:?}"
    );
}
