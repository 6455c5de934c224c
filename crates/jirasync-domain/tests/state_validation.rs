//! Every rule of the state file refuses a file breaking it, names the first bad record exactly,
//! and leaves the store's previous state unchanged.
//!
//! Each test edits the example file (`tests/fixtures/state/example.json`: organization 1, users
//! 2-4, teams 5-6, projects 7-8, local issues 9-12, integration 13, identity 14, external issues
//! 15-17, external actors 18-19, activities 20-21) and imports it into a store holding the
//! unedited example.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use jirasync_domain::InMemoryStore;
use jirasync_domain::state::{
    OrganizationRecord, ProjectRecord, StateError, StateSnapshot, TeamRecord, UserOrTeam,
    UserRecord, export_state_json, import_state,
};

fn example_bytes() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/state/example.json");
    std::fs::read(path).unwrap()
}

fn example() -> StateSnapshot {
    StateSnapshot::from_json(&example_bytes()).unwrap()
}

/// Imports `bytes` into a store holding the example; returns the error after checking that the
/// store still holds the example.
async fn refused_bytes(bytes: &[u8]) -> StateError {
    let store = InMemoryStore::new();
    import_state(&store, &example_bytes()).await.unwrap();
    let before = export_state_json(&store).await.unwrap();
    let error = import_state(&store, bytes).await.unwrap_err();
    assert_eq!(
        export_state_json(&store).await.unwrap(),
        before,
        "a refused file changes nothing"
    );
    error
}

/// The message of the error refusing the example after `edit`, which must be an invalid record.
async fn refused(edit: impl FnOnce(&mut StateSnapshot)) -> String {
    let mut snapshot = example();
    edit(&mut snapshot);
    let error = refused_bytes(&snapshot.to_json().unwrap()).await;
    assert!(
        matches!(error, StateError::InvalidRecord { .. }),
        "expected an invalid record, got {error:?}"
    );
    error.to_string()
}

/// Adds organization 30 with project 31 and team 32 (application ids `globex`, `api`,
/// `api-team`).
fn add_second_organization(snapshot: &mut StateSnapshot) {
    let mut organization: OrganizationRecord = snapshot.organizations[0].clone();
    organization.id = 30;
    organization.name = "globex".into();
    organization.app_id = Some("globex".into());
    snapshot.organizations.push(organization);
    snapshot.projects.push(ProjectRecord {
        id: 31,
        organization_id: 30,
        app_id: Some("api".into()),
        name: "api".into(),
    });
    snapshot.teams.push(TeamRecord {
        id: 32,
        organization_id: 30,
        app_id: Some("api-team".into()),
        name: "api-team".into(),
    });
}

#[tokio::test]
async fn example_passes_every_rule() {
    example().validate().unwrap();
}

#[tokio::test]
async fn malformed_json_names_line_and_column() {
    let error =
        refused_bytes(b"{\n  \"format_version\": 1,\n  \"users\": [\n    {\"id\": 2,, }\n  ]\n}")
            .await;
    assert!(matches!(
        error,
        StateError::Malformed {
            line: 4,
            column: 14,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "the state file is malformed at users[0] (line 4, column 14): key must be a string"
    );
}

#[tokio::test]
async fn unknown_field_is_refused() {
    let text =
        String::from_utf8(example_bytes())
            .unwrap()
            .replacen("\"verify_ssl\"", "\"verify_tls\"", 1);
    let error = refused_bytes(text.as_bytes()).await;
    match error {
        StateError::Malformed { path, message, .. } => {
            assert_eq!(path, "integrations[0].verify_tls");
            assert!(
                message.starts_with("unknown field `verify_tls`, expected one of"),
                "{message}"
            );
        }
        other => panic!("expected a malformed file, got {other:?}"),
    }
}

#[tokio::test]
async fn unsupported_format_version_is_refused() {
    let text = String::from_utf8(example_bytes()).unwrap().replacen(
        "\"format_version\": 1",
        "\"format_version\": 2",
        1,
    );
    let error = refused_bytes(text.as_bytes()).await;
    assert!(matches!(error, StateError::UnsupportedVersion { found: 2 }));
}

#[tokio::test]
async fn validate_refuses_another_format_version() {
    let mut snapshot = example();
    snapshot.format_version = 0;
    assert!(matches!(
        snapshot.validate(),
        Err(StateError::UnsupportedVersion { found: 0 })
    ));
}

#[tokio::test]
async fn duplicate_id_in_a_collection_is_refused() {
    let message = refused(|s| s.users[2].id = 2).await;
    assert_eq!(message, "users[2] (id 2): id 2 is already used by users[0]");
}

#[tokio::test]
async fn id_beyond_what_a_store_keeps_is_refused() {
    let message = refused(|s| s.organizations[0].id = u64::MAX).await;
    assert_eq!(
        message,
        "organizations[0] (id 18446744073709551615): id 18446744073709551615 is larger than 9223372036854775807, the largest id a store keeps"
    );
}

#[tokio::test]
async fn empty_email_address_is_refused() {
    let message = refused(|s| s.users[1].emails[1].address = " ".into()).await;
    assert_eq!(message, "users[1] (id 3): e-mail address is empty");
}

#[tokio::test]
async fn email_address_listed_twice_is_refused() {
    let message = refused(|s| {
        let mut again = s.users[1].emails[0].clone();
        again.verified = false;
        s.users[1].emails.push(again);
    })
    .await;
    assert_eq!(
        message,
        "users[1] (id 3): e-mail address \"bob@example.com\" is listed twice"
    );
}

#[tokio::test]
async fn membership_of_an_unknown_organization_is_refused() {
    let message = refused(|s| s.organization_members[0].organization_id = 99).await;
    assert_eq!(
        message,
        "organization_members[0]: organization 99 is not in the file"
    );
}

#[tokio::test]
async fn duplicate_membership_is_refused() {
    let message = refused(|s| {
        let first = s.organization_members[0];
        s.organization_members.push(first);
    })
    .await;
    assert_eq!(
        message,
        "organization_members[3]: user 2 is already a member of organization 1 (organization_members[0])"
    );
}

#[tokio::test]
async fn team_of_an_unknown_organization_is_refused() {
    let message = refused(|s| s.teams[1].organization_id = 99).await;
    assert_eq!(
        message,
        "teams[1] (id 6): organization 99 is not in the file"
    );
}

#[tokio::test]
async fn team_member_must_be_a_member_of_the_teams_organization() {
    let message = refused(|s| {
        s.organization_members.remove(2);
    })
    .await;
    assert_eq!(
        message,
        "team_members[3]: user 4 is not a member of organization 1, the team's organization: add it to organization_members"
    );
}

#[tokio::test]
async fn team_member_of_an_unknown_user_is_refused() {
    let message = refused(|s| s.team_members[0].user_id = 99).await;
    assert_eq!(message, "team_members[0]: user 99 is not in the file");
}

#[tokio::test]
async fn team_reaches_only_projects_of_its_organization() {
    let message = refused(|s| {
        add_second_organization(s);
        s.team_projects[1].project_id = 31;
    })
    .await;
    assert_eq!(
        message,
        "team_projects[1]: team 6 is in organization 1 but project 31 is in organization 30: a team reaches only projects of its own organization"
    );
}

#[tokio::test]
async fn duplicate_team_project_is_refused() {
    let message = refused(|s| {
        let first = s.team_projects[0];
        s.team_projects.push(first);
    })
    .await;
    assert_eq!(
        message,
        "team_projects[2]: team 5 already reaches project 7 (team_projects[0])"
    );
}

#[tokio::test]
async fn local_issue_is_in_its_projects_organization() {
    let message = refused(|s| {
        add_second_organization(s);
        s.local_issues[0].organization_id = 30;
    })
    .await;
    assert_eq!(
        message,
        "local_issues[0] (id 9): the issue is in organization 30 but its project 7 is in organization 1"
    );
}

#[tokio::test]
async fn local_issue_of_an_unknown_project_is_refused() {
    let message = refused(|s| s.local_issues[3].project_id = 99).await;
    assert_eq!(
        message,
        "local_issues[3] (id 12): project 99 is not in the file"
    );
}

#[tokio::test]
async fn assignee_user_must_exist() {
    let message = refused(|s| s.local_issues[0].assignee = Some(UserOrTeam::User(99))).await;
    assert_eq!(
        message,
        "local_issues[0] (id 9): assignee user 99 is not in the file"
    );
}

#[tokio::test]
async fn assignee_team_must_be_in_the_issues_organization() {
    let message = refused(|s| {
        add_second_organization(s);
        s.local_issues[2].assignee = Some(UserOrTeam::Team(32));
    })
    .await;
    assert_eq!(
        message,
        "local_issues[2] (id 11): assignee team 32 is in organization 30, not in the issue's organization 1"
    );
}

#[tokio::test]
async fn integration_external_id_is_at_most_64_characters() {
    let message = refused(|s| s.integrations[0].external_id = "é".repeat(65)).await;
    assert_eq!(
        message,
        "integrations[0] (id 13): external id is 65 characters long; at most 64 are allowed"
    );
}

#[tokio::test]
async fn integration_external_id_is_not_empty() {
    let message = refused(|s| s.integrations[0].external_id = String::new()).await;
    assert_eq!(message, "integrations[0] (id 13): external id is empty");
}

#[tokio::test]
async fn one_integration_per_provider_and_external_id() {
    let message = refused(|s| {
        let mut second = s.integrations[0].clone();
        second.id = 40;
        s.integrations.push(second);
    })
    .await;
    assert_eq!(
        message,
        "integrations[1] (id 40): provider jira_server and external id \"jira.example.com:jirasync\" are already used by integrations[0]"
    );
}

#[tokio::test]
async fn identity_of_an_unknown_integration_is_refused() {
    let message = refused(|s| s.identities[0].integration_id = 99).await;
    assert_eq!(
        message,
        "identities[0] (id 14): integration 99 is not in the file"
    );
}

#[tokio::test]
async fn identity_installed_by_an_unknown_user_is_refused() {
    let message = refused(|s| s.identities[0].installed_by = Some(99)).await;
    assert_eq!(message, "identities[0] (id 14): user 99 is not in the file");
}

#[tokio::test]
async fn one_identity_per_organization_and_integration() {
    let message = refused(|s| {
        let mut second = s.identities[0].clone();
        second.id = 41;
        s.identities.push(second);
    })
    .await;
    assert_eq!(
        message,
        "identities[1] (id 41): organization 1 already has an identity for integration 13 (identities[0])"
    );
}

#[tokio::test]
async fn one_link_per_organization_and_integration() {
    let message = refused(|s| {
        let first = s.organization_integrations[0];
        s.organization_integrations.push(first);
    })
    .await;
    assert_eq!(
        message,
        "organization_integrations[1]: organization 1 is already linked to integration 13 (organization_integrations[0])"
    );
}

#[tokio::test]
async fn default_identity_must_exist() {
    let message = refused(|s| s.organization_integrations[0].default_identity_id = Some(99)).await;
    assert_eq!(
        message,
        "organization_integrations[0]: identity 99 is not in the file"
    );
}

#[tokio::test]
async fn default_identity_belongs_to_the_links_organization() {
    let message = refused(|s| {
        add_second_organization(s);
        let mut other = s.identities[0].clone();
        other.id = 42;
        other.organization_id = 30;
        other.installed_by = None;
        s.identities.push(other);
        s.organization_integrations[0].default_identity_id = Some(42);
    })
    .await;
    assert_eq!(
        message,
        "organization_integrations[0]: default identity 42 is for organization 30 and integration 13, not for this link's organization 1 and integration 13"
    );
}

#[tokio::test]
async fn issue_key_is_not_empty() {
    let message = refused(|s| s.external_issues[1].key = String::new()).await;
    assert_eq!(message, "external_issues[1] (id 16): issue key is empty");
}

#[tokio::test]
async fn one_external_issue_per_organization_integration_and_key() {
    let message = refused(|s| s.external_issues[2].key = "SHOP-1".into()).await;
    assert_eq!(
        message,
        "external_issues[2] (id 17): organization 1 already links SHOP-1 through integration 13 (external_issues[0])"
    );
}

#[tokio::test]
async fn linked_local_issue_must_exist() {
    let message = refused(|s| s.external_issues[0].local_issues.push(99)).await;
    assert_eq!(
        message,
        "external_issues[0] (id 15): local issue 99 is not in the file"
    );
}

#[tokio::test]
async fn linked_local_issue_is_in_the_linking_organization() {
    let message = refused(|s| {
        add_second_organization(s);
        let mut issue = s.local_issues[3].clone();
        issue.id = 33;
        issue.organization_id = 30;
        issue.project_id = 31;
        s.local_issues.push(issue);
        s.external_issues[0].local_issues.push(33);
    })
    .await;
    assert_eq!(
        message,
        "external_issues[0] (id 15): local issue 33 is in organization 30, not in organization 1 that links SHOP-1"
    );
}

#[tokio::test]
async fn linked_local_issue_is_listed_once() {
    let message = refused(|s| s.external_issues[2].local_issues.push(11)).await;
    assert_eq!(
        message,
        "external_issues[2] (id 17): local issue 11 is listed twice"
    );
}

#[tokio::test]
async fn external_actor_with_same_organization_provider_name_and_target_is_refused() {
    let message = refused(|s| {
        let mut twin = s.external_actors[0].clone();
        twin.id = 50;
        s.external_actors.push(twin);
    })
    .await;
    assert_eq!(
        message,
        "external_actors[2] (id 50): external_actors[0] already maps the jira_server name \"alice.jones\" to the same user or team in organization 1"
    );
}

#[tokio::test]
async fn external_actor_names_are_compared_exactly() {
    let mut snapshot = example();
    let mut variant = snapshot.external_actors[0].clone();
    variant.id = 50;
    variant.external_name = "Alice.Jones".into();
    snapshot.external_actors.push(variant);
    snapshot.validate().unwrap();
}

#[tokio::test]
async fn external_actor_of_an_unknown_provider_is_refused() {
    let message = refused(|s| s.external_actors[0].provider = "jira".into()).await;
    assert_eq!(
        message,
        "external_actors[0] (id 18): unknown provider \"jira\"; the providers are email, slack, msteams, pagerduty, discord, opsgenie, github, github_enterprise, gitlab, jira_server, perforce, custom_scm"
    );
}

#[tokio::test]
async fn external_actor_user_must_be_a_member() {
    let message = refused(|s| {
        s.users.push(UserRecord {
            id: 34,
            app_id: None,
            active: true,
            emails: Vec::new(),
        });
        s.external_actors[0].target = UserOrTeam::User(34);
    })
    .await;
    assert_eq!(
        message,
        "external_actors[0] (id 18): user 34 is not a member of organization 1"
    );
}

#[tokio::test]
async fn external_actor_team_must_be_in_the_organization() {
    let message = refused(|s| {
        add_second_organization(s);
        s.external_actors[1].target = UserOrTeam::Team(32);
    })
    .await;
    assert_eq!(
        message,
        "external_actors[1] (id 19): team 32 is in organization 30, not in organization 1"
    );
}

#[tokio::test]
async fn external_actor_name_is_not_blank() {
    let message = refused(|s| s.external_actors[1].external_name = "  ".into()).await;
    assert_eq!(
        message,
        "external_actors[1] (id 19): external_name: This field may not be blank."
    );
}

#[tokio::test]
async fn external_actor_external_id_is_at_most_64_characters() {
    let message = refused(|s| s.external_actors[0].external_id = Some("x".repeat(65))).await;
    assert_eq!(
        message,
        "external_actors[0] (id 18): external_id: external_id has invalid length: 65. Length must be between 1 and 64"
    );
}

#[tokio::test]
async fn activity_of_an_unknown_local_issue_is_refused() {
    let message = refused(|s| s.activities[1].local_issue_id = 99).await;
    assert_eq!(
        message,
        "activities[1] (id 21): local issue 99 is not in the file"
    );
}

#[tokio::test]
async fn activity_of_an_unknown_integration_is_refused() {
    let message = refused(|s| s.activities[0].integration_id = 99).await;
    assert_eq!(
        message,
        "activities[0] (id 20): integration 99 is not in the file"
    );
}

#[tokio::test]
async fn activity_sync_source_must_exist() {
    let message = refused(|s| s.activities[0].sync_source = Some(99)).await;
    assert_eq!(
        message,
        "activities[0] (id 20): sync source integration 99 is not in the file"
    );
}

#[tokio::test]
async fn first_bad_record_in_file_order_is_named() {
    let message = refused(|s| {
        s.activities[0].integration_id = 99;
        s.users[2].emails[0].address = String::new();
    })
    .await;
    assert_eq!(message, "users[2] (id 4): e-mail address is empty");
}

#[tokio::test]
async fn app_id_is_checked_like_the_host_apis() {
    for (app_id, problem) in [
        (String::new(), "the id is empty"),
        ("bob\n".to_owned(), "the id contains a control character"),
        (" bob".to_owned(), "the id starts or ends with a blank"),
        ("b".repeat(256), "the id has 256 characters, more than 255"),
    ] {
        let message = refused(|s| s.users[1].app_id = Some(app_id)).await;
        assert_eq!(message, format!("users[1] (id 3): app_id: {problem}"));
    }
    let message = refused(|s| s.local_issues[2].app_id = Some("I\u{7f}3".into())).await;
    assert_eq!(
        message,
        "local_issues[2] (id 11): app_id: the id contains a control character"
    );
}

#[tokio::test]
async fn an_app_id_of_255_characters_is_accepted() {
    let mut snapshot = example();
    snapshot.teams[1].app_id = Some("t".repeat(255));
    snapshot.validate().unwrap();
}

#[tokio::test]
async fn organization_app_id_is_unique() {
    let message = refused(|s| {
        add_second_organization(s);
        s.organizations[1].app_id = Some("acme".into());
    })
    .await;
    assert_eq!(
        message,
        "organizations[1] (id 30): app_id \"acme\" is already used by organizations[0]"
    );
}

#[tokio::test]
async fn user_app_id_is_unique() {
    let message = refused(|s| s.users[2].app_id = Some("alice".into())).await;
    assert_eq!(
        message,
        "users[2] (id 4): app_id \"alice\" is already used by users[0]"
    );
}

#[tokio::test]
async fn team_app_id_is_unique_within_its_organization() {
    let message = refused(|s| s.teams[1].app_id = Some("web".into())).await;
    assert_eq!(
        message,
        "teams[1] (id 6): app_id \"web\" is already used by teams[0] of organization 1"
    );
}

#[tokio::test]
async fn project_app_id_is_unique_within_its_organization() {
    let message = refused(|s| s.projects[1].app_id = Some("storefront".into())).await;
    assert_eq!(
        message,
        "projects[1] (id 8): app_id \"storefront\" is already used by projects[0] of organization 1"
    );
}

#[tokio::test]
async fn local_issue_app_id_is_unique_within_its_organization() {
    let message = refused(|s| s.local_issues[3].app_id = Some("I-1".into())).await;
    assert_eq!(
        message,
        "local_issues[3] (id 12): app_id \"I-1\" is already used by local_issues[0] of organization 1"
    );
}

#[tokio::test]
async fn teams_projects_and_issues_of_two_organizations_may_share_an_app_id() {
    let mut snapshot = example();
    add_second_organization(&mut snapshot);
    snapshot.teams[2].app_id = Some("web".into());
    snapshot.projects[2].app_id = Some("storefront".into());
    let mut issue = snapshot.local_issues[0].clone();
    issue.id = 33;
    issue.organization_id = 30;
    issue.project_id = 31;
    issue.assignee = None;
    snapshot.local_issues.push(issue);
    snapshot.validate().unwrap();
    assert_eq!(snapshot.local_issues[4].app_id.as_deref(), Some("I-1"));
}

#[tokio::test]
async fn issue_with_an_app_id_is_in_a_project_with_one() {
    let message = refused(|s| s.projects[0].app_id = None).await;
    assert_eq!(
        message,
        "local_issues[0] (id 9): the issue has an app_id but its project 7 has none: give the project an app_id too"
    );
}

#[tokio::test]
async fn app_ids_may_be_null_or_left_out() {
    let mut json: serde_json::Value = serde_json::from_slice(&example_bytes()).unwrap();
    json["users"][0]["app_id"] = serde_json::Value::Null;
    for collection in ["organizations", "teams", "projects", "local_issues"] {
        for record in json[collection].as_array_mut().unwrap() {
            record.as_object_mut().unwrap().remove("app_id");
        }
    }
    let snapshot = StateSnapshot::from_json(&serde_json::to_vec(&json).unwrap()).unwrap();
    snapshot.validate().unwrap();
    assert_eq!(snapshot.users[0].app_id, None);
    assert_eq!(snapshot.users[1].app_id.as_deref(), Some("bob"));
    assert!(
        snapshot
            .local_issues
            .iter()
            .all(|issue| issue.app_id.is_none())
    );
}

#[tokio::test]
async fn app_id_of_the_wrong_type_names_its_path() {
    let mut json: serde_json::Value = serde_json::from_slice(&example_bytes()).unwrap();
    json["teams"][1]["app_id"] = serde_json::json!(6);
    let error = refused_bytes(&serde_json::to_vec(&json).unwrap()).await;
    match error {
        StateError::Malformed { path, message, .. } => {
            assert_eq!(path, "teams[1].app_id");
            assert!(
                message.starts_with("invalid type: integer `6`"),
                "{message}"
            );
        }
        other => panic!("expected a malformed file, got {other:?}"),
    }
}
