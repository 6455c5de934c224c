//! The outbound calls against a fake Jira: read, assign, transition, comment, create, user search.
//! Each request is checked as sent (method, path, query, JSON body, valid signature), Jira
//! Server's real error bodies reach typed errors, malformed answers are refused with the member at
//! fault, bad keys never leave the process, and changes are sent once.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{ACCESS_TOKEN, ValidSignature, at, fixture, oauth_client, options, verified};
use jirasync_client::oauth1::OAuthProblemKind;
use jirasync_client::{
    Assignment, BaseUrl, BearerToken, ClientOptions, Credentials, Error, InputError, JiraClient,
    MAX_USER_RESULTS,
};
use serde_json::{Map, Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ISSUE_DOES_NOT_EXIST: &str = r#"{"errorMessages":["Issue Does Not Exist"],"errors":{}}"#;
const INVALID_TRANSITION: &str = r#"{"errorMessages":["It seems that you have tried to perform a workflow operation (Resolve Issue) that is not valid for the current state of this issue (APP-1). The likely cause is that somebody has changed the issue recently, please look at the issue history for details."],"errors":{}}"#;

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn jira_json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

async fn jira_answering(verb: &str, resource: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(at(resource)))
        .and(ValidSignature)
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn bearer_client(server: &MockServer) -> JiraClient {
    JiraClient::new(
        &options(server),
        Credentials::bearer(BearerToken::new("personal-token")),
    )
    .unwrap()
}

fn api_error(error: &Error) -> &jirasync_client::ApiError {
    match error {
        Error::Api(api) => api,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

fn unexpected_reason(error: &Error) -> &str {
    match error {
        Error::UnexpectedBody { reason, .. } => reason,
        other => panic!("expected UnexpectedBody, got {other:?}"),
    }
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

// ---- GET issue -------------------------------------------------------------------------------

#[tokio::test]
async fn issue_reads_the_fields_asked_for_signed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/issue/APP-1")))
        .and(query_param("fields", "summary,assignee,status,project"))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture_json("outbound/issue.json")))
        .mount(&server)
        .await;

    let issue = oauth_client(&server)
        .issue("APP-1", &["summary", "assignee", "status", "project"])
        .await
        .unwrap()
        .unwrap();

    assert_eq!((issue.id.as_str(), issue.key.as_str()), ("10001", "APP-1"));
    assert_eq!(issue.summary(), Some("Checkout fails with a 500"));
    assert_eq!(issue.assignee_name(), Some("jess"));
    assert_eq!(issue.status_id(), Some("3"));
    assert_eq!(issue.status_category_key(), Some("indeterminate"));
    assert_eq!(issue.project_id(), Some("10000"));
    assert_eq!(issue.project_key(), Some("APP"));
    assert!(issue.fields.contains_key("summary"));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(verified(&requests[0]).token.as_deref(), Some(ACCESS_TOKEN));
}

#[tokio::test]
async fn issue_accepts_numeric_ids_and_an_unassigned_issue() {
    let mut body = fixture_json("outbound/issue.json");
    body["id"] = json!(10001);
    body["fields"]["assignee"] = Value::Null;
    body["fields"]["status"]["id"] = json!(3);
    let server = jira_answering(
        "GET",
        "/rest/api/2/issue/10001",
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await;

    let issue = oauth_client(&server)
        .issue("10001", &[])
        .await
        .unwrap()
        .unwrap();

    assert_eq!(issue.id, "10001");
    assert_eq!(issue.assignee(), None);
    assert_eq!(issue.status_id(), Some("3"));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.query(), None, "no fields: Jira's default");
}

#[tokio::test]
async fn issue_is_none_when_jira_answers_issue_does_not_exist() {
    let server = jira_answering(
        "GET",
        "/rest/api/2/issue/APP-404",
        jira_json(404, ISSUE_DOES_NOT_EXIST),
    )
    .await;
    assert_eq!(
        oauth_client(&server)
            .issue("APP-404", &["status"])
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn issue_404_html_page_is_a_wrong_base_url_not_a_missing_issue() {
    let server = jira_answering(
        "GET",
        "/rest/api/2/issue/APP-1",
        ResponseTemplate::new(404).set_body_raw(b"<html>Not Found</html>".to_vec(), "text/html"),
    )
    .await;
    let error = oauth_client(&server).issue("APP-1", &[]).await.unwrap_err();
    assert!(
        matches!(error, Error::HtmlPage { status: 404, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn issue_with_a_malformed_status_is_refused_with_its_path() {
    let mut body = fixture_json("outbound/issue.json");
    body["fields"]["status"]["id"] = json!(["3"]);
    let server = jira_answering(
        "GET",
        "/rest/api/2/issue/APP-1",
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await;
    let error = oauth_client(&server).issue("APP-1", &[]).await.unwrap_err();
    assert!(
        unexpected_reason(&error).starts_with("at fields.status.id:"),
        "{error}"
    );
}

#[tokio::test]
async fn issue_answer_with_a_key_that_is_not_one_is_refused() {
    let mut body = fixture_json("outbound/issue.json");
    body["key"] = json!("");
    let server = jira_answering(
        "GET",
        "/rest/api/2/issue/APP-1",
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await;
    let error = oauth_client(&server).issue("APP-1", &[]).await.unwrap_err();
    assert!(unexpected_reason(&error).starts_with("at key:"), "{error}");
}

#[tokio::test]
async fn bad_keys_are_refused_before_any_request() {
    let server = MockServer::start().await;
    let client = oauth_client(&server);
    for key in [
        "app-1",
        "APP-1/../../admin",
        "APP 1",
        "",
        "APP-1?fields=x",
        "-1",
    ] {
        let error = client.issue(key, &[]).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidInput(InputError::IssueReference { .. })
            ),
            "{key:?}: {error:?}"
        );
        assert!(error.is_permanent());
        assert!(client.transitions(key).await.is_err());
        assert!(client.transition_issue(key, "31").await.is_err());
        assert!(client.add_comment(key, "x").await.is_err());
        assert!(
            client
                .assign_issue(key, Assignment::Unassigned)
                .await
                .is_err()
        );
    }
    assert_eq!(request_count(&server).await, 0);
}

// ---- PUT assignee ----------------------------------------------------------------------------

async fn assignee_server(expected_body: Value, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(at("/rest/api/2/issue/APP-1/assignee")))
        .and(header("content-type", "application/json"))
        .and(body_json(expected_body))
        .and(ValidSignature)
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn assign_puts_the_user_name() {
    let server = assignee_server(json!({"name": "jdoe"}), ResponseTemplate::new(204)).await;
    oauth_client(&server)
        .assign_issue("APP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap();
}

#[tokio::test]
async fn unassign_puts_a_null_name() {
    let server = assignee_server(json!({"name": null}), ResponseTemplate::new(204)).await;
    oauth_client(&server)
        .assign_issue("APP-1", Assignment::Unassigned)
        .await
        .unwrap();
}

#[tokio::test]
async fn automatic_assignee_puts_minus_one() {
    let server = assignee_server(json!({"name": "-1"}), ResponseTemplate::new(204)).await;
    oauth_client(&server)
        .assign_issue("APP-1", Assignment::Automatic)
        .await
        .unwrap();
}

#[tokio::test]
async fn assign_with_a_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(at("/rest/api/2/issue/APP-1/assignee")))
        .and(header("authorization", "Bearer personal-token"))
        .and(body_json(json!({"name": "jdoe"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    bearer_client(&server)
        .assign_issue("APP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap();
}

#[tokio::test]
async fn assigning_a_user_who_cannot_be_assigned_keeps_jiras_field_error() {
    let server = assignee_server(
        json!({"name": "x"}),
        jira_json(
            400,
            r#"{"errorMessages":[],"errors":{"assignee":"User 'x' cannot be assigned issues."}}"#,
        ),
    )
    .await;
    let error = oauth_client(&server)
        .assign_issue("APP-1", Assignment::User("x".into()))
        .await
        .unwrap_err();
    let api = api_error(&error);
    assert_eq!(api.status, 400);
    assert_eq!(
        api.field_errors.get("assignee").map(String::as_str),
        Some("User 'x' cannot be assigned issues.")
    );
    assert_eq!(
        error
            .field_errors()
            .and_then(|errors| errors.get("assignee")),
        Some(&"User 'x' cannot be assigned issues.".to_owned())
    );
    assert!(error.is_permanent());
    assert!(
        error
            .to_string()
            .contains("assignee: User 'x' cannot be assigned issues."),
        "{error}"
    );
}

#[tokio::test]
async fn assigning_a_missing_issue_is_a_permanent_404() {
    let server = assignee_server(
        json!({"name": "jdoe"}),
        jira_json(404, ISSUE_DOES_NOT_EXIST),
    )
    .await;
    let error = oauth_client(&server)
        .assign_issue("APP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.error_messages(), ["Issue Does Not Exist".to_owned()]);
    assert!(error.is_permanent());
}

#[tokio::test]
async fn assign_without_permission_is_a_permanent_403() {
    let server = assignee_server(
        json!({"name": "jdoe"}),
        jira_json(
            403,
            r#"{"errorMessages":["You do not have permission to assign issues."],"errors":{}}"#,
        ),
    )
    .await;
    let error = oauth_client(&server)
        .assign_issue("APP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(403));
    assert!(error.is_permanent());
}

#[tokio::test]
async fn assign_is_sent_once_when_jira_is_down_and_the_failure_is_transient() {
    let server = assignee_server(json!({"name": "jdoe"}), ResponseTemplate::new(503)).await;
    let error = oauth_client(&server)
        .assign_issue("APP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert!(!error.is_permanent());
    // `expect(1)` on the mock checks it was sent once.
}

#[tokio::test]
async fn assign_refuses_an_empty_or_automatic_user_name_before_any_request() {
    let server = MockServer::start().await;
    let client = oauth_client(&server);
    let empty = client
        .assign_issue("APP-1", Assignment::User("  ".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            empty,
            Error::InvalidInput(InputError::Empty { what: "user name" })
        ),
        "{empty:?}"
    );
    let minus_one = client
        .assign_issue("APP-1", Assignment::User("-1".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            minus_one,
            Error::InvalidInput(InputError::AutomaticAsUserName)
        ),
        "{minus_one:?}"
    );
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn an_oauth_refusal_is_permanent_but_a_used_nonce_is_not() {
    let server = assignee_server(
        json!({"name": "jdoe"}),
        ResponseTemplate::new(401)
            .insert_header(
                "WWW-Authenticate",
                "OAuth realm=\"jira\", oauth_problem=\"token_rejected\"",
            )
            .set_body_string("oauth_problem=token_rejected"),
    )
    .await;
    let error = oauth_client(&server)
        .assign_issue("APP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap_err();
    assert_eq!(
        error.oauth_problem().map(|problem| problem.problem.clone()),
        Some(OAuthProblemKind::TokenRejected)
    );
    assert!(error.is_permanent());

    let server = assignee_server(
        json!({"name": "jdoe"}),
        ResponseTemplate::new(401).set_body_string("oauth_problem=nonce_used"),
    )
    .await;
    let error = oauth_client(&server)
        .assign_issue("APP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap_err();
    assert!(!error.is_permanent(), "{error}");
}

#[tokio::test]
async fn rate_limiting_and_an_unreachable_jira_are_transient() {
    let server = assignee_server(
        json!({"name": "jdoe"}),
        ResponseTemplate::new(429).insert_header("Retry-After", "5"),
    )
    .await;
    let error = oauth_client(&server)
        .assign_issue("APP-1", Assignment::User("jdoe".into()))
        .await
        .unwrap_err();
    assert!(!error.is_permanent());

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let options =
        ClientOptions::new(BaseUrl::parse(&format!("http://127.0.0.1:{port}/jira/")).unwrap());
    let client = JiraClient::new(&options, common::oauth_credentials()).unwrap();
    let error = client
        .assign_issue("APP-1", Assignment::Unassigned)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert!(!error.is_permanent());
}

// ---- transitions -----------------------------------------------------------------------------

#[tokio::test]
async fn transitions_read_each_target_status_with_its_category() {
    let server = jira_answering(
        "GET",
        "/rest/api/2/issue/APP-1/transitions",
        ResponseTemplate::new(200).set_body_json(fixture_json("outbound/transitions.json")),
    )
    .await;

    let transitions = oauth_client(&server).transitions("APP-1").await.unwrap();

    let summary: Vec<(&str, &str, &str, Option<&str>)> = transitions
        .iter()
        .map(|transition| {
            (
                transition.id.as_str(),
                transition.name.as_str(),
                transition.to.id.as_str(),
                transition.to.status_category_key.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("21", "Stop Progress", "1", Some("new")),
            ("31", "Resolve Issue", "5", Some("done")),
            ("41", "Close Issue", "6", Some("done")),
        ]
    );
    assert_eq!(transitions[1].to.name, "Resolved");
}

#[tokio::test]
async fn transitions_with_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/issue/APP-1/transitions")))
        .and(header("authorization", "Bearer personal-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_json("outbound/transitions.json")),
        )
        .mount(&server)
        .await;
    assert_eq!(
        bearer_client(&server)
            .transitions("APP-1")
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn a_transition_without_a_target_is_refused_with_its_path() {
    let mut body = fixture_json("outbound/transitions.json");
    body["transitions"][1].as_object_mut().unwrap().remove("to");
    let server = jira_answering(
        "GET",
        "/rest/api/2/issue/APP-1/transitions",
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await;
    let error = oauth_client(&server)
        .transitions("APP-1")
        .await
        .unwrap_err();
    let reason = unexpected_reason(&error);
    assert!(reason.starts_with("at transitions[1]"), "{reason}");
    assert!(reason.contains("missing field `to`"), "{reason}");
}

#[tokio::test]
async fn transitions_answer_without_the_list_is_refused() {
    let server = jira_answering(
        "GET",
        "/rest/api/2/issue/APP-1/transitions",
        ResponseTemplate::new(200).set_body_json(json!({"expand": "transitions"})),
    )
    .await;
    let error = oauth_client(&server)
        .transitions("APP-1")
        .await
        .unwrap_err();
    assert!(
        unexpected_reason(&error).contains("missing field `transitions`"),
        "{error}"
    );
}

#[tokio::test]
async fn transition_issue_posts_the_transition_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at("/rest/api/2/issue/APP-1/transitions")))
        .and(body_json(json!({"transition": {"id": "31"}})))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    oauth_client(&server)
        .transition_issue("APP-1", "31")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_transition_not_valid_now_is_jiras_permanent_400() {
    let server = jira_answering(
        "POST",
        "/rest/api/2/issue/APP-1/transitions",
        jira_json(400, INVALID_TRANSITION),
    )
    .await;
    let error = oauth_client(&server)
        .transition_issue("APP-1", "31")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(error.error_messages()[0].starts_with(
        "It seems that you have tried to perform a workflow operation (Resolve Issue)"
    ));
    assert!(error.is_permanent());
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_transition_id_that_is_not_a_number_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let client = oauth_client(&server);
    for id in ["", "thirty-one", "31\"}", "-1"] {
        let error = client.transition_issue("APP-1", id).await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{id:?}: {error:?}");
    }
    assert_eq!(request_count(&server).await, 0);
}

// ---- comments --------------------------------------------------------------------------------

#[tokio::test]
async fn add_comment_posts_the_body_and_reads_the_created_comment() {
    let text = "Jane Doe wrote in Storefront:\n\nThe fix is deployed.";
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at("/rest/api/2/issue/APP-1/comment")))
        .and(body_json(json!({"body": text})))
        .and(ValidSignature)
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture_json("outbound/comment.json")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let comment = oauth_client(&server)
        .add_comment("APP-1", text)
        .await
        .unwrap();

    assert_eq!(comment.id, "10100");
    assert_eq!(comment.body, text);
    assert_eq!(comment.author_name.as_deref(), Some("jirasync"));
    assert_eq!(
        comment.created.as_deref(),
        Some("2026-06-01T10:05:00.000+0000")
    );
}

#[tokio::test]
async fn add_comment_with_a_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at("/rest/api/2/issue/APP-1/comment")))
        .and(header("authorization", "Bearer personal-token"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(fixture_json("outbound/comment.json")),
        )
        .mount(&server)
        .await;
    let comment = bearer_client(&server)
        .add_comment("APP-1", "hi")
        .await
        .unwrap();
    assert_eq!(comment.id, "10100");
}

#[tokio::test]
async fn a_comment_answer_without_an_id_is_refused() {
    let mut body = fixture_json("outbound/comment.json");
    body.as_object_mut().unwrap().remove("id");
    let server = jira_answering(
        "POST",
        "/rest/api/2/issue/APP-1/comment",
        ResponseTemplate::new(201).set_body_json(body),
    )
    .await;
    let error = oauth_client(&server)
        .add_comment("APP-1", "hi")
        .await
        .unwrap_err();
    assert!(
        unexpected_reason(&error).contains("missing field `id`"),
        "{error}"
    );
    assert!(
        error.is_permanent(),
        "never repeat a POST whose answer is unreadable"
    );
}

#[tokio::test]
async fn an_empty_comment_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let error = oauth_client(&server)
        .add_comment("APP-1", " \n")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidInput(InputError::Empty {
                what: "comment body"
            })
        ),
        "{error:?}"
    );
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn commenting_on_a_missing_issue_is_a_permanent_404() {
    let server = jira_answering(
        "POST",
        "/rest/api/2/issue/APP-9/comment",
        jira_json(404, ISSUE_DOES_NOT_EXIST),
    )
    .await;
    let error = oauth_client(&server)
        .add_comment("APP-9", "hi")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert!(error.is_permanent());
}

// ---- user search -----------------------------------------------------------------------------

#[tokio::test]
async fn search_users_sends_the_query_and_keeps_hidden_emails_hidden() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/user/search")))
        .and(query_param("username", "jess@example.com"))
        .and(query_param("maxResults", "10"))
        .and(ValidSignature)
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_json("outbound/user_search.json")),
        )
        .mount(&server)
        .await;

    let users = oauth_client(&server)
        .search_users("jess@example.com", 10)
        .await
        .unwrap();

    assert_eq!(users.len(), 2);
    assert_eq!(users[0].email_address.as_deref(), Some("jess@example.com"));
    assert_eq!(users[1].name.as_deref(), Some("jessica"));
    assert_eq!(users[1].email_address, None);
}

#[tokio::test]
async fn search_users_caps_max_results_and_refuses_an_empty_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/user/search")))
        .and(query_param("maxResults", MAX_USER_RESULTS.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let client = oauth_client(&server);
    assert_eq!(client.search_users("j", 50_000).await.unwrap(), []);
    let error = client.search_users("", 10).await.unwrap_err();
    assert!(
        matches!(error, Error::InvalidInput(InputError::Empty { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn search_users_refuses_an_answer_that_is_not_a_list_of_users() {
    let server = jira_answering(
        "GET",
        "/rest/api/2/user/search",
        ResponseTemplate::new(200).set_body_json(json!([{"name": "jess", "active": "yes"}])),
    )
    .await;
    let error = oauth_client(&server)
        .search_users("jess", 10)
        .await
        .unwrap_err();
    assert!(
        unexpected_reason(&error).starts_with("at [0].active"),
        "{error}"
    );
}

#[tokio::test]
async fn assignable_users_name_the_issue() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/user/assignable/search")))
        .and(query_param("issueKey", "APP-1"))
        .and(query_param("username", "jess"))
        .and(query_param("maxResults", "2"))
        .and(ValidSignature)
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_json("outbound/user_search.json")),
        )
        .mount(&server)
        .await;
    let users = oauth_client(&server)
        .assignable_users("APP-1", "jess", 2)
        .await
        .unwrap();
    assert_eq!(users.len(), 2);
}

// ---- create issue ----------------------------------------------------------------------------

fn create_fields() -> Map<String, Value> {
    json!({
        "project": {"key": "APP"},
        "issuetype": {"id": "10004"},
        "summary": "Checkout fails with a 500",
        "customfield_10200": {"id": "10300"},
    })
    .as_object()
    .unwrap()
    .clone()
}

#[tokio::test]
async fn create_issue_posts_the_fields_and_reads_the_new_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at("/rest/api/2/issue")))
        .and(body_json(json!({"fields": create_fields()})))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "10010", "key": "APP-24",
            "self": "https://jira.example.com/jira/rest/api/2/issue/10010"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let created = oauth_client(&server)
        .create_issue(create_fields())
        .await
        .unwrap();

    assert_eq!(
        (created.id.as_str(), created.key.as_str()),
        ("10010", "APP-24")
    );
    assert_eq!(
        created.self_link.as_deref(),
        Some("https://jira.example.com/jira/rest/api/2/issue/10010")
    );
}

#[tokio::test]
async fn create_issue_with_a_bearer_token_and_a_numeric_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at("/rest/api/2/issue")))
        .and(header("authorization", "Bearer personal-token"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": 10010, "key": "APP-24"})),
        )
        .mount(&server)
        .await;
    let created = bearer_client(&server)
        .create_issue(create_fields())
        .await
        .unwrap();
    assert_eq!(created.id, "10010");
}

#[tokio::test]
async fn a_missing_required_field_is_jiras_400_with_the_field_map() {
    let server = jira_answering(
        "POST",
        "/rest/api/2/issue",
        jira_json(
            400,
            r#"{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue.","customfield_10200":"Severity is required."}}"#,
        ),
    )
    .await;
    let error = oauth_client(&server)
        .create_issue(create_fields())
        .await
        .unwrap_err();
    let errors = error.field_errors().unwrap();
    assert_eq!(
        errors.get("summary").map(String::as_str),
        Some("You must specify a summary of the issue.")
    );
    assert_eq!(errors.len(), 2);
    assert!(error.is_permanent());
}

#[tokio::test]
async fn a_create_answer_without_a_key_is_refused() {
    let server = jira_answering(
        "POST",
        "/rest/api/2/issue",
        ResponseTemplate::new(201).set_body_json(json!({"id": "10010"})),
    )
    .await;
    let error = oauth_client(&server)
        .create_issue(create_fields())
        .await
        .unwrap_err();
    assert!(
        unexpected_reason(&error).contains("missing field `key`"),
        "{error}"
    );
}

#[tokio::test]
async fn create_issue_refuses_no_fields_before_any_request() {
    let server = MockServer::start().await;
    let error = oauth_client(&server)
        .create_issue(Map::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidInput(InputError::Empty { what: "fields" })
        ),
        "{error:?}"
    );
    assert_eq!(request_count(&server).await, 0);
}
