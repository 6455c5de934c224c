//! `createmeta` in both generations against a fake Jira: the generation chosen from serverInfo,
//! paging, required fields, the issue type looked up by name, and Jira's and malformed answers.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{ValidSignature, at, fixture, oauth_client};
use jirasync_client::{CreateMetaApi, Error, InputError};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ISSUETYPES: &str = "/rest/api/2/issue/createmeta/APP/issuetypes";
const LEGACY: &str = "/rest/api/2/issue/createmeta";

fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

async fn mount_get(server: &MockServer, resource: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(at(resource)))
        .and(ValidSignature)
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn jira_of_version(version: &str) -> MockServer {
    let server = MockServer::start().await;
    mount_get(
        &server,
        "/rest/api/2/serverInfo",
        json!({"version": version}),
    )
    .await;
    server
}

fn keys(
    fields: impl IntoIterator<Item = impl std::ops::Deref<Target = jirasync_client::CreateField>>,
) -> Vec<String> {
    fields.into_iter().map(|field| field.key.clone()).collect()
}

#[tokio::test]
async fn jira_9_reads_the_issue_types_then_the_fields_of_the_one_named() {
    let server = jira_of_version("9.12.2").await;
    Mock::given(method("GET"))
        .and(path(at(ISSUETYPES)))
        .and(query_param("startAt", "0"))
        .and(query_param("maxResults", "50"))
        .and(ValidSignature)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_json("outbound/createmeta_issuetypes.json")),
        )
        .mount(&server)
        .await;
    mount_get(
        &server,
        &format!("{ISSUETYPES}/10004"),
        fixture_json("outbound/createmeta_fields.json"),
    )
    .await;

    let meta = oauth_client(&server)
        .create_meta("APP", "bug")
        .await
        .unwrap();

    assert_eq!(meta.api, CreateMetaApi::PerIssueType);
    assert_eq!(meta.project_key, "APP");
    assert_eq!(
        (meta.issue_type_id.as_str(), meta.issue_type_name.as_str()),
        ("10004", "Bug")
    );
    assert_eq!(
        keys(meta.required_without_default()),
        ["issuetype", "project", "summary", "customfield_10200"]
    );
    let severity = meta.field("customfield_10200").unwrap();
    assert_eq!(severity.name, "Severity");
    assert_eq!(severity.schema_type.as_deref(), Some("option"));
    assert_eq!(
        severity.schema_kind.as_deref(),
        Some("com.atlassian.jira.plugin.system.customfieldtypes:select")
    );
    assert_eq!(
        severity.allowed_values[0].value.as_deref(),
        Some("Critical")
    );
    assert_eq!(severity.allowed_values[0].id.as_deref(), Some("10300"));
    let reporter = meta.field("reporter").unwrap();
    assert!(reporter.required && reporter.has_default_value);
    let given = json!({"project": {"key": "APP"}, "issuetype": {"id": "10004"}, "summary": "x"});
    assert_eq!(
        keys(meta.missing_required(given.as_object().unwrap())),
        ["customfield_10200"]
    );
}

#[tokio::test]
async fn issue_types_are_read_page_by_page() {
    let server = jira_of_version("9.4.0").await;
    let mut first = fixture_json("outbound/createmeta_issuetypes.json");
    first["isLast"] = json!(false);
    first["maxResults"] = json!(1);
    first["values"] = json!([first["values"][0].clone()]);
    let mut second = fixture_json("outbound/createmeta_issuetypes.json");
    second["startAt"] = json!(1);
    second["values"] = json!([second["values"][1].clone()]);
    for (start, body) in [("0", first), ("1", second)] {
        Mock::given(method("GET"))
            .and(path(at(ISSUETYPES)))
            .and(query_param("startAt", start))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    mount_get(
        &server,
        &format!("{ISSUETYPES}/10004"),
        fixture_json("outbound/createmeta_fields.json"),
    )
    .await;

    let meta = oauth_client(&server)
        .create_meta("APP", "Bug")
        .await
        .unwrap();

    assert_eq!(meta.issue_type_id, "10004");
}

#[tokio::test]
async fn an_issue_type_the_project_lacks_names_the_ones_it_has() {
    let server = jira_of_version("9.12.2").await;
    mount_get(
        &server,
        ISSUETYPES,
        fixture_json("outbound/createmeta_issuetypes.json"),
    )
    .await;

    let error = oauth_client(&server)
        .create_meta("APP", "Epic")
        .await
        .unwrap_err();

    let Error::IssueTypeNotInProject { available, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(available, &["Task", "Bug", "Sub-task"]);
    assert!(error.to_string().contains("Task, Bug, Sub-task"), "{error}");
    assert!(error.is_permanent());
}

#[tokio::test]
async fn a_project_jira_does_not_know_is_not_creatable() {
    let server = jira_of_version("9.12.2").await;
    Mock::given(method("GET"))
        .and(path(at("/rest/api/2/issue/createmeta/NOPE/issuetypes")))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            br#"{"errorMessages":["Project with key 'NOPE' was not found"],"errors":{}}"#.to_vec(),
            "application/json",
        ))
        .mount(&server)
        .await;

    let error = oauth_client(&server)
        .create_meta("NOPE", "Bug")
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::ProjectNotCreatable { project_key } if project_key == "NOPE"),
        "{error:?}"
    );
}

/// The reason of the refusal of the Bug fields page of the fixture with `edit` applied to it.
async fn fields_refusal(edit: impl FnOnce(&mut Value)) -> String {
    let server = jira_of_version("9.12.2").await;
    mount_get(
        &server,
        ISSUETYPES,
        fixture_json("outbound/createmeta_issuetypes.json"),
    )
    .await;
    let mut fields = fixture_json("outbound/createmeta_fields.json");
    edit(&mut fields);
    mount_get(&server, &format!("{ISSUETYPES}/10004"), fields).await;
    match oauth_client(&server).create_meta("APP", "Bug").await {
        Err(Error::UnexpectedBody { reason, .. }) => reason,
        other => panic!("expected UnexpectedBody, got {other:?}"),
    }
}

#[tokio::test]
async fn a_field_without_an_id_is_refused_with_its_path() {
    let reason = fields_refusal(|fields| {
        fields["values"][2]
            .as_object_mut()
            .unwrap()
            .remove("fieldId");
    })
    .await;
    assert!(reason.starts_with("at values[2].fieldId"), "{reason}");
}

#[tokio::test]
async fn a_field_without_required_is_refused_with_its_path() {
    let reason = fields_refusal(|fields| {
        fields["values"][1]
            .as_object_mut()
            .unwrap()
            .remove("required");
    })
    .await;
    assert!(reason.starts_with("at values[1]"), "{reason}");
    assert!(reason.contains("missing field `required`"), "{reason}");
}

#[tokio::test]
async fn an_allowed_value_of_the_wrong_shape_is_refused_with_its_path() {
    let reason = fields_refusal(|fields| {
        fields["values"][5]["allowedValues"][1]["value"] = json!(["Minor"]);
    })
    .await;
    assert!(
        reason.starts_with("at values[5].allowedValues[1]"),
        "{reason}"
    );
}

#[tokio::test]
async fn jira_8_3_uses_the_legacy_createmeta() {
    let server = jira_of_version("8.3.4").await;
    Mock::given(method("GET"))
        .and(path(at(LEGACY)))
        .and(query_param("projectKeys", "APP"))
        .and(query_param("expand", "projects.issuetypes.fields"))
        .and(ValidSignature)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_json("outbound/createmeta_legacy.json")),
        )
        .mount(&server)
        .await;

    let meta = oauth_client(&server)
        .create_meta("APP", "Bug")
        .await
        .unwrap();

    assert_eq!(meta.api, CreateMetaApi::Legacy);
    assert_eq!(meta.issue_type_id, "10004");
    let mut required = keys(meta.required_without_default());
    required.sort();
    assert_eq!(required, ["customfield_10200", "summary"]);
    assert_eq!(
        meta.field("customfield_10200").unwrap().allowed_values[0]
            .value
            .as_deref(),
        Some("Critical")
    );
}

#[tokio::test]
async fn legacy_createmeta_without_the_project_is_not_creatable() {
    let server = MockServer::start().await;
    mount_get(
        &server,
        LEGACY,
        json!({"expand": "projects", "projects": []}),
    )
    .await;

    let error = oauth_client(&server)
        .create_meta_with(CreateMetaApi::Legacy, "APP", "Bug")
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::ProjectNotCreatable { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn legacy_createmeta_by_project_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(at(LEGACY)))
        .and(query_param("projectIds", "10000"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_json("outbound/createmeta_legacy.json")),
        )
        .mount(&server)
        .await;
    let meta = oauth_client(&server)
        .create_meta_with(CreateMetaApi::Legacy, "10000", "Task")
        .await
        .unwrap();
    assert_eq!(meta.project_key, "APP");
    assert_eq!(meta.issue_type_id, "10002");
}

#[tokio::test]
async fn legacy_field_of_the_wrong_shape_is_refused_with_its_path() {
    let server = MockServer::start().await;
    let mut body = fixture_json("outbound/createmeta_legacy.json");
    body["projects"][0]["issuetypes"][1]["fields"]["summary"]["required"] = json!("yes");
    mount_get(&server, LEGACY, body).await;
    let error = oauth_client(&server)
        .create_meta_with(CreateMetaApi::Legacy, "APP", "Bug")
        .await
        .unwrap_err();
    let Error::UnexpectedBody { reason, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        reason.starts_with("at projects[0].issuetypes[1].fields.summary"),
        "{reason}"
    );
}

#[tokio::test]
async fn bad_project_references_are_refused_before_any_request() {
    let server = MockServer::start().await;
    let client = oauth_client(&server);
    for project in ["app", "APP/..", "", "APP-1"] {
        let error = client.create_meta(project, "Bug").await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidInput(InputError::ProjectReference { .. })
            ),
            "{project:?}: {error:?}"
        );
    }
    let error = client.create_meta("APP", " ").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidInput(InputError::Empty { what: "issue type" })
        ),
        "{error:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_issue_type_may_be_named_by_its_id_in_both_generations() {
    let server = jira_of_version("9.12.2").await;
    mount_get(
        &server,
        ISSUETYPES,
        fixture_json("outbound/createmeta_issuetypes.json"),
    )
    .await;
    mount_get(
        &server,
        &format!("{ISSUETYPES}/10004"),
        fixture_json("outbound/createmeta_fields.json"),
    )
    .await;
    mount_get(
        &server,
        LEGACY,
        fixture_json("outbound/createmeta_legacy.json"),
    )
    .await;
    let client = oauth_client(&server);
    for api in [CreateMetaApi::PerIssueType, CreateMetaApi::Legacy] {
        let meta = client.create_meta_with(api, "APP", "10004").await.unwrap();
        assert_eq!(meta.issue_type_name, "Bug", "{api:?}");
        assert_eq!(meta.issue_type_id, "10004", "{api:?}");
    }
}
