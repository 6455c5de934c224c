//! The example state file (`tests/fixtures/state/example.json`, shown in `docs/state-format.md`)
//! imports cleanly, is in the form an export writes, and gives a working deployment.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::sync::Arc;

use jirasync_domain::app_data::{AppAssignee, AppId, ApplicationData};
use jirasync_domain::external_actor::ExternalProvider;
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};
use jirasync_domain::issue::Assignee;
use jirasync_domain::state::{ImportSummary, StateSnapshot, export_state_json, import_state};
use jirasync_domain::{
    ExternalActorStore, InMemoryStore, InboundSync, LocalIssueStore, StateStore,
    StaticJiraDirectory,
};
use jirasync_webhook::{AssigneeChanged, EventTime, IssueKey, JiraUser};

fn example_bytes() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/state/example.json");
    std::fs::read(path).unwrap()
}

#[tokio::test]
async fn example_imports_cleanly() {
    let memory = InMemoryStore::new();
    let store: &dyn StateStore = &memory;
    let summary = import_state(store, &example_bytes()).await.unwrap();
    assert_eq!(
        summary,
        ImportSummary {
            organizations: 1,
            users: 3,
            organization_members: 3,
            teams: 2,
            team_members: 4,
            projects: 2,
            team_projects: 2,
            local_issues: 4,
            integrations: 1,
            identities: 1,
            organization_integrations: 1,
            external_issues: 3,
            external_actors: 2,
            activities: 2,
        }
    );
    assert_eq!(
        summary.to_string(),
        "organizations: 1, users: 3, organization_members: 3, teams: 2, team_members: 4, \
         projects: 2, team_projects: 2, local_issues: 4, integrations: 1, identities: 1, \
         organization_integrations: 1, external_issues: 3, external_actors: 2, activities: 2"
    );
}

#[tokio::test]
async fn example_is_written_as_an_export_writes_it() {
    let store = InMemoryStore::new();
    import_state(&store, &example_bytes()).await.unwrap();
    let exported = export_state_json(&store).await.unwrap();
    assert_eq!(
        String::from_utf8(exported).unwrap(),
        String::from_utf8(example_bytes()).unwrap()
    );
}

#[tokio::test]
async fn example_debug_output_shows_no_secret() {
    let snapshot = StateSnapshot::from_json(&example_bytes()).unwrap();
    let debug = format!("{snapshot:?}");
    for secret in [
        "3f1c9e5a7b2d4f60818a9c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b",
        "Vt5Yh1Rw9Ee3Uu6Ii0Oo2Pp8",
        "REPLACE-WITH-THE-PEM",
    ] {
        assert!(!debug.contains(secret), "Debug shows {secret}");
    }
    assert!(debug.contains("<redacted>"));
}

#[tokio::test]
async fn imported_example_resolves_a_hidden_email_through_its_external_actor() {
    let store = Arc::new(InMemoryStore::new());
    import_state(&*store, &example_bytes()).await.unwrap();
    let jira = IntegrationId::new(13);
    let actors = store
        .users_with_external_name(jira, ExternalProvider::JiraServer, &["alice.jones"])
        .await
        .unwrap();
    assert_eq!(actors, [UserId::new(2)]);

    // SHOP-2's issue is unassigned; Jira assigns it to alice.jones, whose e-mail Jira hides.
    let sync = InboundSync::new(
        Arc::clone(&store),
        Arc::clone(&store),
        Arc::new(StaticJiraDirectory::new()),
    );
    let event = AssigneeChanged {
        issue_key: IssueKey::new("SHOP-2"),
        issue_id: None,
        assignee: Some(JiraUser {
            name: Some("alice.jones".into()),
            ..JiraUser::default()
        }),
        occurred_at: Some(EventTime::from_unix_millis(1_714_700_000_000)),
    };
    let outcome = sync.sync_assignee(jira, &event, None).await.unwrap();
    assert_eq!(outcome.changed, 1);
    let issue = store
        .local_issue(LocalIssueId::new(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.assignee, Some(Assignee::User(UserId::new(2))));
}

#[tokio::test]
async fn imported_example_is_found_by_the_applications_ids() {
    let store = InMemoryStore::new();
    import_state(&store, &example_bytes()).await.unwrap();
    let acme = AppId::new("acme");
    let (organization, _) = store.app_organization(&acme).await.unwrap().unwrap();
    assert_eq!(organization, OrganizationId::new(1));
    let bob = store.app_user(&AppId::new("bob")).await.unwrap().unwrap();
    assert_eq!(bob.emails.len(), 2);
    let members = store.app_members(&acme).await.unwrap();
    assert_eq!(members, ["alice", "bob", "carol"].map(AppId::new));
    let mobile = store
        .app_team(&acme, &AppId::new("mobile"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mobile.members.len(), 2);
    let project = store
        .app_project(&acme, &AppId::new("mobile-app"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(project.teams, [AppId::new("mobile")]);
    let (id, issue) = store
        .app_issue(&acme, &AppId::new("I-3"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id, LocalIssueId::new(11));
    assert_eq!(issue.project, AppId::new("mobile-app"));
    assert_eq!(
        issue.assignee,
        Some(AppAssignee::Team(AppId::new("mobile")))
    );
}

#[test]
fn state_format_documentation_shows_the_example_verbatim() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/state-format.md"),
    )
    .unwrap();
    let example = String::from_utf8(example_bytes()).unwrap();
    assert!(
        doc.contains(&format!("```json\n{example}```")),
        "docs/state-format.md must show tests/fixtures/state/example.json as it is"
    );
}
