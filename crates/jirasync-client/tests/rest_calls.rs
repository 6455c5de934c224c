//! Signed REST calls against a fake Jira: serverInfo, users, myself, statuses, and their errors.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{ACCESS_TOKEN, ValidSignature, at, oauth_client, options, verified};
use jirasync_client::oauth1::OAuthProblemKind;
use jirasync_client::{BearerToken, Credentials, Error, JiraClient, JiraVersion};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn jira_get(resource: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at(resource)))
        .and(ValidSignature)
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn json_answer(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn server_info_reads_version_numbers_under_context_path() {
    let server = jira_get(
        "/rest/api/2/serverInfo",
        json_answer(json!({
            "baseUrl": "https://jira.example.com/jira", "version": "9.12.2",
            "versionNumbers": [9, 12, 2], "deploymentType": "Server", "buildNumber": 9120002,
            "serverTime": "2024-01-01T00:00:00.000+0000", "scmInfo": "abc", "serverTitle": "Jira"
        })),
    )
    .await;

    let info = oauth_client(&server).server_info().await.unwrap();

    assert_eq!(info.parsed_version(), Some(JiraVersion::new(9, 12, 2)));
    assert_eq!(info.server_title.as_deref(), Some("Jira"));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(verified(&requests[0]).token.as_deref(), Some(ACCESS_TOKEN));
}

#[tokio::test]
async fn server_info_keeps_the_answers_date_header() {
    let server = jira_get(
        "/rest/api/2/serverInfo",
        json_answer(json!({"version": "9.12.2"}))
            .insert_header("Date", "Tue, 01 Dec 2026 18:00:00 GMT"),
    )
    .await;
    let info = oauth_client(&server).server_info().await.unwrap();
    assert_eq!(
        info.response_date.as_deref(),
        Some("Tue, 01 Dec 2026 18:00:00 GMT")
    );
}

#[tokio::test]
async fn server_info_falls_back_to_version_string() {
    let server = jira_get(
        "/rest/api/2/serverInfo",
        json_answer(json!({"version": "10.0.1"})),
    )
    .await;
    let info = oauth_client(&server).server_info().await.unwrap();
    assert_eq!(info.parsed_version(), Some(JiraVersion::new(10, 0, 1)));
}

#[tokio::test]
async fn user_by_username_signs_its_query_string() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/user")))
        .and(query_param("username", "jane doe+ops@example.com"))
        .and(ValidSignature)
        .respond_with(json_answer(json!({
            "key": "JIRAUSER10100", "name": "jane doe+ops@example.com", "displayName": "Jane Doe",
            "emailAddress": "jane@example.com", "active": true, "groups": {"size": 1}
        })))
        .mount(&server)
        .await;

    let user = oauth_client(&server)
        .user_by_username("jane doe+ops@example.com")
        .await
        .unwrap()
        .unwrap();

    assert_eq!(user.key.as_deref(), Some("JIRAUSER10100"));
    assert_eq!(user.email_address.as_deref(), Some("jane@example.com"));
    let requests = server.received_requests().await.unwrap();
    assert!(
        verified(&requests[0])
            .base_string
            .contains("username%3Djane%2520doe%252Bops%2540example.com")
    );
}

#[tokio::test]
async fn user_by_key_is_none_when_jira_has_no_such_user() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/user")))
        .and(query_param("key", "JIRAUSER404"))
        .and(ValidSignature)
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"errorMessages": ["The user with the key 'JIRAUSER404' does not exist"], "errors": {}})),
        )
        .mount(&server)
        .await;

    assert_eq!(
        oauth_client(&server)
            .user_by_key("JIRAUSER404")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn myself_ignores_unknown_fields() {
    let server = jira_get(
        "/rest/api/2/myself",
        json_answer(json!({"self": "x", "key": "admin", "name": "admin", "applicationRoles": {}, "locale": "en_US"})),
    )
    .await;
    let me = oauth_client(&server).myself().await.unwrap();
    assert_eq!(me.name.as_deref(), Some("admin"));
    assert_eq!(me.email_address, None);
}

#[tokio::test]
async fn statuses_carry_their_categories() {
    let server = jira_get(
        "/rest/api/2/status",
        json_answer(json!([
            {"self": "x", "id": "1", "name": "Open", "statusCategory": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"}},
            {"self": "x", "id": 10001, "name": "Done", "statusCategory": {"id": 3, "key": "done", "colorName": "green", "name": "Done"}},
        ])),
    )
    .await;

    let statuses = oauth_client(&server).statuses().await.unwrap();

    assert_eq!(statuses.len(), 2);
    assert!(!statuses[0].is_done());
    assert_eq!(statuses[1].id, "10001");
    assert!(statuses[1].is_done());
}

#[tokio::test]
async fn bearer_token_is_sent_as_bearer_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/myself")))
        .and(header("authorization", "Bearer personal-token"))
        .respond_with(json_answer(json!({"name": "bot"})))
        .mount(&server)
        .await;
    let client = JiraClient::new(
        &options(&server),
        Credentials::bearer(BearerToken::new("personal-token")),
    )
    .unwrap();

    assert_eq!(client.myself().await.unwrap().name.as_deref(), Some("bot"));
}

#[tokio::test]
async fn html_login_page_instead_of_json_is_an_error() {
    let page = ResponseTemplate::new(200)
        .set_body_raw(b"<!DOCTYPE html><html>Log in</html>".to_vec(), "text/html");
    let server = jira_get("/rest/api/2/myself", page).await;
    let error = oauth_client(&server).myself().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::HtmlPage {
                status: 200,
                expected: "JSON",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn error_messages_reach_the_error() {
    let server = jira_get(
        "/rest/api/2/status",
        ResponseTemplate::new(403)
            .set_body_json(json!({"errorMessages": ["You are not allowed"], "errors": {}})),
    )
    .await;
    let error = oauth_client(&server).statuses().await.unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status, 403);
    assert_eq!(api.error_messages, vec!["You are not allowed".to_owned()]);
    assert!(error.to_string().contains("You are not allowed"), "{error}");
}

#[tokio::test]
async fn oauth_refusal_of_a_rest_call_is_typed() {
    let server = jira_get(
        "/rest/api/2/myself",
        ResponseTemplate::new(401).set_body_string("oauth_problem=token_rejected"),
    )
    .await;
    let error = oauth_client(&server).myself().await.unwrap_err();
    assert_eq!(
        error.oauth_problem().unwrap().problem,
        OAuthProblemKind::TokenRejected
    );
}

#[tokio::test]
async fn body_that_is_not_the_expected_json_is_an_error() {
    let server = jira_get("/rest/api/2/status", json_answer(json!({"not": "a list"}))).await;
    let error = oauth_client(&server).statuses().await.unwrap_err();
    assert!(matches!(error, Error::UnexpectedBody { .. }), "{error:?}");
}

#[test]
fn credentials_debug_shows_no_secret() {
    let oauth = format!("{:?}", common::oauth_credentials());
    assert!(oauth.contains("jirasync-test"), "{oauth}");
    assert!(!oauth.contains("access-secret"), "{oauth}");
    assert!(!oauth.contains("MII"), "{oauth}");
    let bearer = format!(
        "{:?}",
        Credentials::bearer(BearerToken::new("personal-token"))
    );
    assert!(!bearer.contains("personal-token"), "{bearer}");
}
