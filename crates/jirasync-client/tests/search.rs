//! The JQL search against a fake Jira: signed query, typed issues from answers modelled on Jira
//! Server 9, paging, Jira's refusals, and malformed answers refused with the member at fault.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{ACCESS_TOKEN, ValidSignature, at, fixture, oauth_client, verified};
use jirasync_client::{Error, MAX_RESULTS_LIMIT, SEARCH_FIELDS};
use serde_json::{Value, json};
use time::macros::datetime;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SEARCH: &str = "/rest/api/2/search";

async fn jira_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at(SEARCH)))
        .and(ValidSignature)
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// The first page of the fixture with `edit` applied to it.
async fn search_error_for(edit: impl FnOnce(&mut Value)) -> Error {
    let mut body = fixture_json("search/page.json");
    edit(&mut body);
    let server = jira_answering(ResponseTemplate::new(200).set_body_json(body)).await;
    oauth_client(&server)
        .search_issues("key in (APP-1)", 0, 50)
        .await
        .unwrap_err()
}

fn unexpected_reason(error: &Error) -> &str {
    match error {
        Error::UnexpectedBody { reason, path, .. } => {
            assert_eq!(path, SEARCH);
            reason
        }
        other => panic!("expected UnexpectedBody, got {other:?}"),
    }
}

#[tokio::test]
async fn search_sends_the_jql_page_and_fields_signed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at(SEARCH)))
        .and(query_param(
            "jql",
            "key in (\"APP-1\", \"APP-2\") ORDER BY key",
        ))
        .and(query_param("startAt", "2"))
        .and(query_param("maxResults", "100"))
        .and(query_param("fields", SEARCH_FIELDS))
        .and(query_param("validateQuery", "false"))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture_json("search/page.json")))
        .mount(&server)
        .await;

    let page = oauth_client(&server)
        .search_issues("key in (\"APP-1\", \"APP-2\") ORDER BY key", 2, 100)
        .await
        .unwrap();

    assert_eq!(page.issues.len(), 2);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(verified(&requests[0]).token.as_deref(), Some(ACCESS_TOKEN));
}

#[tokio::test]
async fn search_reads_assignee_status_and_updated_of_each_issue() {
    let server =
        jira_answering(ResponseTemplate::new(200).set_body_json(fixture_json("search/page.json")))
            .await;

    let page = oauth_client(&server)
        .search_issues("key in (APP-1, APP-2)", 0, 2)
        .await
        .unwrap();

    assert_eq!((page.start_at, page.max_results, page.total), (0, 2, 3));
    assert_eq!(page.next_start(), Some(2));
    let first = &page.issues[0];
    assert_eq!((first.id.as_str(), first.key.as_str()), ("10001", "APP-1"));
    let assignee = first.assignee.as_ref().unwrap();
    assert_eq!(assignee.name.as_deref(), Some("jess"));
    assert_eq!(assignee.key.as_deref(), Some("JIRAUSER10100"));
    assert_eq!(assignee.email_address.as_deref(), Some("jess@example.com"));
    assert_eq!(first.status.id, "10102");
    assert!(first.status.is_done());
    // `+0200`: the same instant as 10:05 UTC.
    assert_eq!(first.updated, datetime!(2026-06-01 10:05:00 UTC));
    let second = &page.issues[1];
    assert_eq!(second.assignee, None);
    assert_eq!(second.status.name, "In Progress");
    assert!(!second.status.is_done());
    assert_eq!(second.updated, datetime!(2026-06-01 10:07:30.123 UTC));
}

#[tokio::test]
async fn search_keeps_hidden_emails_numeric_ids_and_warnings() {
    let server = jira_answering(
        ResponseTemplate::new(200).set_body_json(fixture_json("search/hidden_email.json")),
    )
    .await;

    let page = oauth_client(&server)
        .search_issues("key in (APP-3, APP-404)", 2, 2)
        .await
        .unwrap();

    let issue = &page.issues[0];
    assert_eq!(issue.id, "10003");
    let assignee = issue.assignee.as_ref().unwrap();
    assert_eq!(assignee.email_address, None);
    assert_eq!(assignee.name.as_deref(), Some("bob"));
    assert_eq!(
        page.warnings,
        vec!["An issue with key 'APP-404' does not exist for field 'key'.".to_owned()]
    );
    assert_eq!(page.next_start(), None);
}

#[tokio::test]
async fn page_size_is_capped_at_jiras_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at(SEARCH)))
        .and(query_param("maxResults", MAX_RESULTS_LIMIT.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture_json("search/page.json")))
        .mount(&server)
        .await;
    let page = oauth_client(&server)
        .search_issues("key in (APP-1)", 0, 50_000)
        .await;
    assert!(page.is_ok(), "{page:?}");
}

#[tokio::test]
async fn jql_refused_by_jira_carries_its_error_messages() {
    let server = jira_answering(
        ResponseTemplate::new(400).set_body_raw(fixture("search/bad_jql.json"), "application/json"),
    )
    .await;
    let error = oauth_client(&server)
        .search_issues("key in (%)", 0, 50)
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status, 400);
    assert!(
        api.error_messages[0].starts_with("Error in the JQL Query"),
        "{api:?}"
    );
    assert!(
        error.to_string().contains("reserved JQL character"),
        "{error}"
    );
}

#[tokio::test]
async fn html_page_instead_of_a_search_result_is_refused() {
    let server = jira_answering(
        ResponseTemplate::new(200)
            .set_body_raw(b"<!DOCTYPE html><html>Log in</html>".to_vec(), "text/html"),
    )
    .await;
    let error = oauth_client(&server)
        .search_issues("key in (APP-1)", 0, 50)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::HtmlPage {
                expected: "a search result",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn answer_without_issues_is_refused() {
    let error = search_error_for(|body| {
        body.as_object_mut().unwrap().remove("issues");
    })
    .await;
    assert!(
        unexpected_reason(&error).contains("missing field `issues`"),
        "{error}"
    );
}

#[tokio::test]
async fn answer_without_total_is_refused() {
    let error = search_error_for(|body| {
        body.as_object_mut().unwrap().remove("total");
    })
    .await;
    assert!(
        unexpected_reason(&error).contains("missing field `total`"),
        "{error}"
    );
}

#[tokio::test]
async fn issue_without_key_is_refused_naming_it() {
    let error = search_error_for(|body| {
        body["issues"][1].as_object_mut().unwrap().remove("key");
    })
    .await;
    let reason = unexpected_reason(&error);
    assert!(reason.starts_with("at issues[1]"), "{reason}");
    assert!(reason.contains("missing field `key`"), "{reason}");
}

#[tokio::test]
async fn issue_without_status_is_refused_naming_it() {
    let error = search_error_for(|body| {
        body["issues"][0]["fields"]
            .as_object_mut()
            .unwrap()
            .remove("status");
    })
    .await;
    let reason = unexpected_reason(&error);
    assert!(reason.starts_with("at issues[0].fields"), "{reason}");
    assert!(reason.contains("missing field `status`"), "{reason}");
}

#[tokio::test]
async fn unreadable_updated_time_is_refused_naming_the_issue() {
    let error = search_error_for(|body| {
        body["issues"][1]["fields"]["updated"] = json!("yesterday");
    })
    .await;
    let reason = unexpected_reason(&error);
    assert!(
        reason.starts_with("at issues[1].fields.updated: \"yesterday\" is not a date-time"),
        "{reason}"
    );
}

#[tokio::test]
async fn updated_of_the_wrong_type_is_refused_naming_it() {
    let error = search_error_for(|body| {
        body["issues"][0]["fields"]["updated"] = json!(1_780_308_300_000_u64);
    })
    .await;
    let reason = unexpected_reason(&error);
    assert!(
        reason.starts_with("at issues[0].fields.updated: invalid type"),
        "{reason}"
    );
}

#[tokio::test]
async fn empty_key_is_refused() {
    let error = search_error_for(|body| {
        body["issues"][0]["key"] = json!(" ");
    })
    .await;
    assert_eq!(
        unexpected_reason(&error),
        "at issues[0].key: the key is empty"
    );
}
