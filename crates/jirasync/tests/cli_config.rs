//! `jirasync config list|set` and `jirasync link|unlink` against a database whose application
//! data was written by application ids: what they print, and for bad input the precise error,
//! the exit code, and nothing stored.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod support;

use jirasync_domain::app_data::{AppId, IssueData, OrganizationData, ProjectData};
use jirasync_domain::integration::SyncConfig;
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::rules::organization_links::organization_links;

/// Organization `acme` (installed Jira, every flag off), project `shop`, issue `I-1`.
async fn scene(workdir: &support::Workdir) -> u64 {
    let store = workdir.store().await;
    store
        .upsert_organizations(&[OrganizationData {
            id: AppId::new("acme"),
            name: "Acme".into(),
            features: None,
        }])
        .await
        .unwrap();
    let (organization, _) = store
        .app_organization(&AppId::new("acme"))
        .await
        .unwrap()
        .unwrap();
    let installation =
        support::install_for(store.as_ref(), organization, "https://jira.example.com").await;
    store
        .upsert_projects(
            &AppId::new("acme"),
            &[ProjectData {
                id: AppId::new("shop"),
                name: "Shop".into(),
                teams: Vec::new(),
            }],
        )
        .await
        .unwrap();
    store
        .upsert_issues(
            &AppId::new("acme"),
            &[IssueData {
                id: AppId::new("I-1"),
                project: AppId::new("shop"),
                status: ResolutionStatus::Unresolved,
                assignee: None,
            }],
        )
        .await
        .unwrap();
    installation.integration.id.get()
}

/// The stored configuration of acme's only link.
async fn stored_config(workdir: &support::Workdir) -> SyncConfig {
    let store = workdir.store().await;
    let (organization, _) = store
        .app_organization(&AppId::new("acme"))
        .await
        .unwrap()
        .unwrap();
    let links = organization_links(store.as_ref(), organization)
        .await
        .unwrap();
    links[0].1.config
}

#[tokio::test]
async fn config_set_turns_inbound_flags_on_and_list_shows_them() {
    let workdir = support::Workdir::new();
    let integration = scene(&workdir).await;
    let run = workdir.run(&[
        "config",
        "set",
        "--organization",
        "acme",
        "sync_reverse_assignment=true",
        "sync_status_reverse=true",
        "resolution_strategy=resolve_next_release",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let listed = workdir.run(&["config", "list"]);
    assert_eq!(listed.code, Some(0), "{listed:?}");
    assert_eq!(
        listed.stdout,
        format!(
            "organization acme, integration {integration} (jirasync, https://jira.example.com), active\n  \
             sync_reverse_assignment = true\n  \
             sync_status_reverse = true\n  \
             sync_forward_assignment = false\n  \
             sync_status_forward = false\n  \
             sync_comments = false\n  \
             resolution_strategy = resolve_next_release\n"
        )
    );
    assert_eq!(run.stdout, listed.stdout);
    let config = stored_config(&workdir).await;
    assert!(config.sync_reverse_assignment && config.sync_status_reverse);
}

/// Each bad `config set` is refused with its message and exit code, and stores nothing.
#[tokio::test]
async fn config_set_refuses_bad_input_and_stores_nothing() {
    let workdir = support::Workdir::new();
    let integration = scene(&workdir).await.to_string();
    let before = stored_config(&workdir).await;
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &["--organization", "acme", "sync_everything=true"],
            2,
            "unknown sync configuration key \"sync_everything\": the keys are \
             sync_reverse_assignment, sync_status_reverse",
        ),
        (
            &["--organization", "acme", "sync_status_reverse=yes"],
            2,
            "sync_status_reverse: expected true or false, found \"yes\"",
        ),
        (
            &["--organization", "acme", "sync_reverse_assignment"],
            2,
            "\"sync_reverse_assignment\" is not KEY=VALUE",
        ),
        (
            &["--organization", "globex", "sync_reverse_assignment=true"],
            1,
            "no organization has the id \"globex\"; the organizations: acme",
        ),
        (
            &[
                "--organization",
                "acme",
                "--integration",
                "99",
                "sync_status_reverse=true",
            ],
            1,
            "organization \"acme\" has no link to integration 99",
        ),
        (
            &[
                "--integration",
                &integration,
                "resolution_strategy=resolve_later",
            ],
            2,
            "resolution_strategy: expected \"resolve\", \"resolve_current_release\" or \
             \"resolve_next_release\", found \"resolve_later\"",
        ),
    ];
    for (args, code, message) in cases {
        let mut all = vec!["config", "set"];
        all.extend_from_slice(args);
        let run = workdir.run(&all);
        assert_eq!(run.code, Some(code), "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(message),
            "{args:?}: {:?} should contain {message:?}",
            run.stderr
        );
        assert_eq!(
            stored_config(&workdir).await,
            before,
            "{args:?} stored something"
        );
    }
}

#[tokio::test]
async fn link_and_unlink_by_application_ids() {
    let workdir = support::Workdir::new();
    let integration = scene(&workdir).await;
    let run = workdir.run(&["link", "I-1", "APP-7"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!("linked: issue I-1 of organization acme and APP-7 (integration {integration})\n")
    );
    let again = workdir.run(&["link", "I-1", "APP-7", "--organization", "acme"]);
    assert!(again.stdout.starts_with("already linked:"), "{again:?}");
    let store = workdir.store().await;
    let (issue, _) = store
        .app_issue(&AppId::new("acme"), &AppId::new("I-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.external_issues_of(issue).await.unwrap().len(), 1);
    let run = workdir.run(&["unlink", "I-1", "APP-7"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(store.external_issues_of(issue).await.unwrap().is_empty());
}

#[tokio::test]
async fn link_refuses_unknown_issues_and_bad_keys_and_stores_nothing() {
    let workdir = support::Workdir::new();
    scene(&workdir).await;
    for (args, message) in [
        (
            ["link", "I-9", "APP-7"],
            "organization \"acme\" has no issue with the application id \"I-9\"",
        ),
        (
            ["link", "I-1", "not a key"],
            "\"not a key\" is not a Jira issue key",
        ),
        (["unlink", "I-1", "APP-7"], "not found"),
    ] {
        let run = workdir.run(&args);
        assert_eq!(run.code, Some(1), "{args:?}: {run:?}");
        assert!(run.stderr.contains(message), "{args:?}: {:?}", run.stderr);
    }
    let store = workdir.store().await;
    let (issue, _) = store
        .app_issue(&AppId::new("acme"), &AppId::new("I-1"))
        .await
        .unwrap()
        .unwrap();
    assert!(store.external_issues_of(issue).await.unwrap().is_empty());
}
