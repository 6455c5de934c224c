//! A project and its workflow statuses, read signed from a fake Jira: Jira Server's answers reach
//! typed values, 404 is "no such project", malformed answers are refused with the member at fault,
//! and bad references never leave the process.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{ValidSignature, at, fixture, oauth_client};
use jirasync_client::{Error, InputError, distinct_statuses};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROJECT: &str = r#"{"expand":"description,lead,url,projectKeys","self":"https://jira.example.com/rest/api/2/project/10000","id":"10000","key":"APP","name":"Application","projectTypeKey":"software","archived":false}"#;
const NO_PROJECT: &str =
    r#"{"errorMessages":["No project could be found with key 'NOPE'."],"errors":{}}"#;

async fn jira(resource: &str, status: u16, body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at(resource)))
        .and(ValidSignature)
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_raw(body.as_bytes().to_vec(), "application/json"),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn project_is_read_by_key_with_its_id() {
    let server = jira("/rest/api/2/project/APP", 200, PROJECT).await;
    let project = oauth_client(&server).project("APP").await.unwrap().unwrap();
    assert_eq!(project.id, "10000");
    assert_eq!(project.key, "APP");
    assert_eq!(project.name.as_deref(), Some("Application"));
}

#[tokio::test]
async fn an_unknown_project_is_none() {
    let server = jira("/rest/api/2/project/NOPE", 404, NO_PROJECT).await;
    assert_eq!(oauth_client(&server).project("NOPE").await.unwrap(), None);
    assert_eq!(
        oauth_client(&server)
            .project_statuses("NOPE")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_project_answer_without_an_id_is_refused_with_its_path() {
    let server = jira("/rest/api/2/project/APP", 200, r#"{"key":"APP"}"#).await;
    let error = oauth_client(&server).project("APP").await.unwrap_err();
    let Error::UnexpectedBody { reason, .. } = &error else {
        panic!("expected UnexpectedBody, got {error:?}");
    };
    assert!(reason.contains("id"), "{reason}");
}

#[tokio::test]
async fn a_bad_project_reference_sends_nothing() {
    let server = MockServer::start().await;
    for bad in ["APP-1", "app x", "", "../status"] {
        let error = oauth_client(&server).project(bad).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidInput(InputError::ProjectReference { .. })
            ),
            "{bad}: {error:?}"
        );
        let error = oauth_client(&server)
            .project_statuses(bad)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidInput(InputError::ProjectReference { .. })
            ),
            "{bad}: {error:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn project_statuses_are_read_per_issue_type_and_listed_once() {
    let server = jira(
        "/rest/api/2/project/APP/statuses",
        200,
        &fixture("outbound/project_statuses.json"),
    )
    .await;
    let types = oauth_client(&server)
        .project_statuses("APP")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(types.len(), 2);
    assert_eq!(types[0].name, "Bug");
    assert_eq!(types[0].statuses.len(), 3);
    assert!(types[0].statuses[2].is_done());
    let names: Vec<(&str, &str)> = distinct_statuses(&types)
        .into_iter()
        .map(|status| (status.id.as_str(), status.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("1", "Open"),
            ("3", "In Progress"),
            ("5", "Resolved"),
            ("10102", "Done")
        ]
    );
}

#[tokio::test]
async fn a_status_without_an_id_is_refused() {
    let server = jira(
        "/rest/api/2/project/APP/statuses",
        200,
        r#"[{"id":"1","name":"Bug","statuses":[{"name":"Open"}]}]"#,
    )
    .await;
    let error = oauth_client(&server)
        .project_statuses("APP")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::UnexpectedBody { .. }), "{error:?}");
}
