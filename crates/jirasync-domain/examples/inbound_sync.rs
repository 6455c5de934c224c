//! Install a Jira instance for an organization, then apply one webhook delivery that assigns and
//! resolves a linked issue, on the in-memory store.
//!
//! ```sh
//! cargo run -p jirasync-domain --example inbound_sync
//! ```

// An example reports on standard output.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;

use jirasync_domain::SecretString;
use jirasync_domain::integration::{JiraCredentials, LinkStatus, SyncConfig};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::people::UserEmail;
use jirasync_domain::rules::install::{InstallRequest, install_jira_server};
use jirasync_domain::{InMemoryStore, InboundSync, LocalIssueStore, Seed, StaticJiraDirectory};
use jirasync_webhook::{
    AssigneeChanged, ChangeSet, DeliveryKey, EventTime, IssueKey, JiraUser, StatusChanged,
    StatusId, WebhookSecret,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let store = Arc::new(InMemoryStore::new());
    let org = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await?;

    // The setup flow registered the webhook in Jira; now record the install.
    let installation = install_jira_server(
        store.as_ref(),
        InstallRequest {
            organization_id: org,
            base_url: "https://jira.example.com/".into(),
            consumer_key: "jirasync".into(),
            verify_ssl: true,
            webhook_secret: WebhookSecret::generate(),
            credentials: JiraCredentials::Bearer {
                token: SecretString::new("personal-access-token"),
            },
            installed_by: None,
        },
    )
    .await?;
    let jira = installation.integration.id;
    println!(
        "installed {} as integration {jira} (identity {:?})",
        installation.integration.external_id, installation.identity.credentials
    );
    // An installation starts with every sync off; this organization turns them on.
    store
        .seed_organization_integration(org, jira, LinkStatus::Active, SyncConfig::all_on())
        .await?;

    let project = store.seed_project(org, "web").await?;
    let team = store.seed_team(org, "web-team").await?;
    store.seed_team_project(team, project).await?;
    let alice = store
        .seed_user(true, vec![UserEmail::verified("alice@example.com")])
        .await?;
    store.seed_team_member(team, alice, true).await?;
    let issue = store
        .seed_local_issue(project, ResolutionStatus::Unresolved, None)
        .await?;
    store
        .seed_issue_link(org, jira, &IssueKey::new("APP-7"), issue)
        .await?;

    // What jirasync-webhook makes of a delivery that assigns APP-7 and moves it to Done.
    let at = Some(EventTime::from_unix_millis(1_700_000_000_000));
    let changes = ChangeSet {
        delivery_key: Some(DeliveryKey::new("10007", "20042", "jira:issue_updated")),
        assignee: Some(AssigneeChanged {
            issue_key: IssueKey::new("APP-7"),
            issue_id: Some("10007".into()),
            assignee: Some(JiraUser {
                name: Some("alice".into()),
                email_address: Some("Alice@Example.com".into()),
                ..JiraUser::default()
            }),
            occurred_at: at,
        }),
        status: Some(StatusChanged {
            issue_key: IssueKey::new("APP-7"),
            issue_id: Some("10007".into()),
            from: Some(StatusId::new("3")),
            to: Some(StatusId::new("10002")),
            from_name: Some("In Progress".into()),
            to_name: Some("Done".into()),
            occurred_at: at,
        }),
        comment: None,
    };
    let directory = StaticJiraDirectory::new().with_done_statuses(["10002"]);
    // The in-memory store is both jirasync's store and a standalone host.
    let sync = InboundSync::new(Arc::clone(&store), Arc::clone(&store), Arc::new(directory));

    let outcome = sync.apply_change_set(jira, &changes).await?;
    if let Some(assignee) = &outcome.assignee {
        println!(
            "assignee: {} changed, matched by {:?}",
            assignee.changed, assignee.method
        );
    }
    if let Some(status) = &outcome.status {
        println!("status: {:?}, {} changed", status.action, status.changed);
    }
    let replay = sync.apply_change_set(jira, &changes).await?;
    println!(
        "replayed delivery halts: {:?} / {:?}",
        replay.assignee.and_then(|o| o.halt),
        replay.status.and_then(|o| o.halt)
    );
    println!("local issue now: {:?}", store.local_issue(issue).await?);
    Ok(())
}
