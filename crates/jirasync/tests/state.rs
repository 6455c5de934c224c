//! `jirasync state import` / `state export`: a state file round-trips, and a bad file is refused
//! naming its first bad record, with nothing written.
//!
//! The import and export run in-process on the in-memory store; through the binary (on SQLite),
//! the refusal of a bad file and a backup and restore that keeps the application's ids.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use jirasync::state_file::{check_state_file, export_state_file, import_state_file};
use jirasync_domain::InMemoryStore;
use jirasync_domain::state::export_state_json;

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/state/example.json")
}

/// The example with user 3 given user 2's id: the second user record is the first bad one.
fn write_bad_state_file(dir: &Path) -> PathBuf {
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example_path()).unwrap()).unwrap();
    json["users"][1]["id"] = serde_json::json!(2);
    let path = dir.join("bad.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    path
}

const BAD_RECORD: &str = "users[1] (id 2)";

#[tokio::test]
async fn imports_the_example_and_exports_it_back_unchanged() {
    let store = InMemoryStore::new();
    let mut out = Vec::new();
    import_state_file(&store, &example_path(), &mut out)
        .await
        .unwrap();
    let summary = String::from_utf8(out).unwrap();
    assert!(
        summary.ends_with("example.json: organizations: 1, users: 3, organization_members: 3, teams: 2, team_members: 4, projects: 2, team_projects: 2, local_issues: 4, integrations: 1, identities: 1, organization_integrations: 1, external_issues: 3, external_actors: 2, activities: 2\n"),
        "{summary}"
    );

    let mut exported = Vec::new();
    export_state_file(&store, None, &mut exported)
        .await
        .unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example_path()).unwrap()).unwrap();
    let exported: serde_json::Value = serde_json::from_slice(&exported).unwrap();
    assert_eq!(exported, expected);
}

#[tokio::test]
async fn exports_to_a_file_readable_only_by_its_owner() {
    let store = InMemoryStore::new();
    import_state_file(&store, &example_path(), &mut Vec::new())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let mut out = Vec::new();
    export_state_file(&store, Some(&file), &mut out)
        .await
        .unwrap();
    assert!(out.is_empty(), "the state goes to the file only");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        export_state_json(&store).await.unwrap()
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test]
async fn a_bad_file_is_refused_naming_the_record_and_changes_nothing() {
    let store = InMemoryStore::new();
    import_state_file(&store, &example_path(), &mut Vec::new())
        .await
        .unwrap();
    let before = export_state_json(&store).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = write_bad_state_file(dir.path());

    let mut out = Vec::new();
    let error = import_state_file(&store, &bad, &mut out)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.starts_with(BAD_RECORD), "{error}");
    assert!(out.is_empty());
    assert_eq!(export_state_json(&store).await.unwrap(), before);
    assert_eq!(
        check_state_file(&bad).unwrap_err().to_string(),
        error,
        "the check before opening the database says the same"
    );
}

#[test]
fn a_missing_file_is_refused_naming_it() {
    let error = check_state_file(Path::new("/nonexistent/state.json"))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("cannot read the state file /nonexistent/state.json: "),
        "{error}"
    );
}

#[test]
fn the_binary_refuses_a_bad_file_before_touching_the_database() {
    let workdir = support::Workdir::new();
    let bad = write_bad_state_file(workdir.path());
    let run = workdir.run(&["state", "import", bad.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains(&format!("error: {BAD_RECORD}")),
        "{run:?}"
    );
    assert_eq!(run.stdout, "");
    assert!(!workdir.database().exists(), "no database was created");
}

#[test]
fn the_binary_refuses_malformed_json_naming_line_and_column() {
    let workdir = support::Workdir::new();
    std::fs::write(
        workdir.path().join("broken.json"),
        "{\"format_version\": 1,\n  \"users\": [}\n",
    )
    .unwrap();
    let run = workdir.run(&["state", "import", "broken.json"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains(
            "error: the state file is malformed at users[0] (line 2, column 13): expected value"
        ),
        "{run:?}"
    );
    assert!(!workdir.database().exists());
}

#[tokio::test]
async fn the_binary_leaves_an_existing_database_as_it_was_after_a_bad_file() {
    let workdir = support::Workdir::new();
    let installation =
        support::install(workdir.store().await.as_ref(), "http://jira.example.com").await;
    let bad = write_bad_state_file(workdir.path());
    let run = workdir.run(&["state", "import", bad.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let integration = workdir
        .store()
        .await
        .integration(installation.integration.id)
        .await
        .unwrap();
    assert_eq!(integration, Some(installation.integration));
}

/// The binary imports the example into a new SQLite database and exports it back unchanged.
#[test]
fn the_binary_round_trips_the_example_through_sqlite() {
    let workdir = support::Workdir::new();
    let import = workdir.run(&["state", "import", example_path().to_str().unwrap()]);
    assert_eq!(import.code, Some(0), "{import:?}");
    let export = workdir.run(&["state", "export"]);
    assert_eq!(export.code, Some(0), "{export:?}");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example_path()).unwrap()).unwrap();
    let exported: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    assert_eq!(exported, expected);
}

/// A watermark no RFC 3339 time can express (left by a webhook with an absurd timestamp before
/// the receiver ignored such times) is exported as the latest time the file can hold, and the
/// export succeeds.
#[tokio::test]
async fn the_binary_exports_a_watermark_beyond_the_year_9999() {
    use std::sync::Arc;

    use jirasync_domain::ids::IntegrationId;
    use jirasync_domain::{Host, InboundSync, JiraDirectory, StaticJiraDirectory, SyncStore};
    use jirasync_webhook::{AssigneeChanged, EventTime, IssueKey};

    let workdir = support::Workdir::new();
    let state = support::fixture("serve-state.json");
    let import = workdir.run(&["state", "import", state.to_str().unwrap()]);
    assert_eq!(import.code, Some(0), "{import:?}");
    let store = workdir.store().await;
    let sync = InboundSync::new(
        Arc::clone(&store) as Arc<dyn SyncStore>,
        Arc::clone(&store) as Arc<dyn Host>,
        Arc::new(StaticJiraDirectory::new()) as Arc<dyn JiraDirectory>,
    );
    let unassigned_at_the_end_of_time = AssigneeChanged {
        issue_key: IssueKey::new("APP-123"),
        issue_id: None,
        assignee: None,
        occurred_at: Some(EventTime::from_unix_millis(i64::MAX)),
    };
    sync.sync_assignee(IntegrationId::new(13), &unassigned_at_the_end_of_time, None)
        .await
        .unwrap();
    drop(sync);
    drop(store);

    let export = workdir.run(&["state", "export"]);
    assert_eq!(export.code, Some(0), "{export:?}");
    let exported: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    assert_eq!(
        exported["external_issues"][0]["assignee_updated_at"],
        "9999-12-31T23:59:59.999Z"
    );
}

/// The backup and restore an operator runs, through the binary on SQLite: a deployment seeded
/// from the example (which carries the application's ids) gets an issue through the host API,
/// is exported, and the export is imported into a new database; there the host API finds the
/// seeded and the added records by the application's ids, and an export gives the backup's bytes.
#[test]
fn the_binary_restores_the_applications_ids() {
    const TOKEN: &str = "an-admin-token-of-32-characters!";
    let authorization = format!("Bearer {TOKEN}");
    let headers = [("Authorization", authorization.as_str())];

    let original = support::Workdir::new();
    let imported = original.run(&["state", "import", example_path().to_str().unwrap()]);
    assert_eq!(imported.code, Some(0), "{imported:?}");
    let served = original.serve(&["--admin-token", TOKEN]);
    let added = served.request_with(
        "PUT",
        "/api/v1/organizations/acme/issues",
        &headers,
        br#"{"items": [{"id": "I-5", "project": "storefront", "assignee": {"team": "web"}}]}"#,
    );
    assert_eq!(added.status, 200, "{added:?}");
    let (code, log) = served.terminate();
    assert_eq!(code, Some(0), "{log}");
    let exported = original.run(&["state", "export", "--out", "backup.json"]);
    assert_eq!(exported.code, Some(0), "{exported:?}");
    let backup = std::fs::read(original.path().join("backup.json")).unwrap();

    let restored = support::Workdir::new();
    std::fs::write(restored.path().join("backup.json"), &backup).unwrap();
    let imported = restored.run(&["state", "import", "backup.json"]);
    assert_eq!(imported.code, Some(0), "{imported:?}");
    let served = restored.serve(&["--admin-token", TOKEN]);
    for (path, expected) in [
        (
            "/api/v1/organizations/acme/issues/I-5",
            serde_json::json!({"id": "I-5", "project": "storefront", "status": "unresolved",
                "assignee": {"team": "web"}, "jira_links": []}),
        ),
        (
            "/api/v1/organizations/acme/issues/I-2",
            serde_json::json!({"id": "I-2", "project": "storefront", "status": "resolved",
                "assignee": null, "jira_links": [{"key": "SHOP-2", "integration": 13}]}),
        ),
    ] {
        let answer = served.request_with("GET", path, &headers, b"");
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
        let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body, expected, "{path}");
    }
    let user = served.request_with("GET", "/api/v1/users/bob", &headers, b"");
    assert_eq!(user.status, 200, "{user:?}");
    let (code, log) = served.terminate();
    assert_eq!(code, Some(0), "{log}");
    let exported = restored.run(&["state", "export"]);
    assert_eq!(exported.code, Some(0), "{exported:?}");
    assert_eq!(exported.stdout.as_bytes(), backup.as_slice());
}
