//! The scene most conformance tests start from, and event builders.

use std::sync::Arc;

use jirasync_webhook::{AssigneeChanged, EventTime, IssueKey, JiraUser, StatusChanged, StatusId};

use crate::ids::{IntegrationId, LocalIssueId, OrganizationId, ProjectId, TeamId, UserId};
use crate::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use crate::issue::{Assignee, ResolutionStatus};
use crate::jira_directory::{Clock, JiraDirectory, StaticJiraDirectory, SystemClock};
use crate::organization::OrganizationFeatures;
use crate::people::UserEmail;
use crate::rules::assignee::InboundAssigneeOutcome;
use crate::rules::inbound::InboundSync;
use crate::rules::status::InboundStatusOutcome;
use crate::store::SyncKind;

use super::World;

/// The Jira key of the fixture's linked issue.
pub const KEY: &str = "APP-1";
/// The `done` status id the fixture's directory knows.
pub const DONE: &str = "10002";
/// A status id outside the `done` category.
pub const IN_PROGRESS: &str = "3";
/// Another status id outside the `done` category.
pub const TO_DO: &str = "1";
/// Another `done` status id.
pub const CLOSED: &str = "6";

/// One organization (every feature on) with one Jira integration (every sync flag on), one
/// project reached by one team, Alice (`alice@example.com`, verified) in that team, and one local
/// issue linked to [`KEY`].
#[allow(missing_debug_implementations)]
pub struct Fixture<S: World + ?Sized, D: JiraDirectory + ?Sized = StaticJiraDirectory> {
    /// The store under test.
    pub store: Arc<S>,
    /// The Jira directory the rules use.
    pub directory: Arc<D>,
    /// Inbound sync on the store (jirasync's store and the host) and directory.
    pub sync: InboundSync<S, S, D>,
    /// The organization.
    pub organization: OrganizationId,
    /// The Jira integration, linked to the organization.
    pub integration: IntegrationId,
    /// The project.
    pub project: ProjectId,
    /// The team that reaches the project.
    pub team: TeamId,
    /// Alice, in the team.
    pub alice: UserId,
    /// The local issue linked to [`KEY`].
    pub issue: LocalIssueId,
}

impl<S: World + 'static> Fixture<S, StaticJiraDirectory> {
    /// The scene, with a directory that knows no user and [`DONE`] / [`CLOSED`] as `done`.
    pub async fn new(store: S) -> Self {
        Self::with_directory(
            store,
            StaticJiraDirectory::new().with_done_statuses([DONE, CLOSED]),
        )
        .await
    }
}

impl<S: World + 'static, D: JiraDirectory + 'static> Fixture<S, D> {
    /// The scene with this directory, on the system clock.
    pub async fn with_directory(store: S, directory: D) -> Self {
        Self::with_directory_and_clock(store, directory, Arc::new(SystemClock)).await
    }

    /// The scene with this directory and clock.
    pub async fn with_directory_and_clock(store: S, directory: D, clock: Arc<dyn Clock>) -> Self {
        let store = Arc::new(store);
        let directory = Arc::new(directory);
        let organization = store
            .seed_organization("acme", OrganizationFeatures::all())
            .await
            .unwrap();
        let integration = store
            .seed_integration(
                ExternalId::for_jira("jira.example.com", "jirasync"),
                "jirasync",
                IntegrationMetadata {
                    base_url: "https://jira.example.com".into(),
                    domain_name: "jira.example.com".into(),
                    verify_ssl: true,
                    webhook_secrets: Vec::new(),
                },
            )
            .await
            .unwrap();
        store
            .seed_organization_integration(
                organization,
                integration,
                LinkStatus::Active,
                SyncConfig::all_on(),
            )
            .await
            .unwrap();
        let project = store.seed_project(organization, "web").await.unwrap();
        let team = store.seed_team(organization, "web-team").await.unwrap();
        store.seed_team_project(team, project).await.unwrap();
        let alice = store
            .seed_user(true, vec![UserEmail::verified("alice@example.com")])
            .await
            .unwrap();
        store.seed_team_member(team, alice, true).await.unwrap();
        let sync = InboundSync::with_clock(
            Arc::clone(&store),
            Arc::clone(&store),
            Arc::clone(&directory),
            clock,
        );
        let mut fixture = Self {
            store,
            directory,
            sync,
            organization,
            integration,
            project,
            team,
            alice,
            issue: LocalIssueId::new(0),
        };
        fixture.issue = fixture
            .linked_issue(fixture.organization, fixture.project, KEY)
            .await;
        fixture
    }

    /// A new unassigned, unresolved local issue in `project`, linked to `key` by `organization`.
    pub async fn linked_issue(
        &self,
        organization: OrganizationId,
        project: ProjectId,
        key: &str,
    ) -> LocalIssueId {
        self.linked_issue_with(
            organization,
            project,
            key,
            ResolutionStatus::Unresolved,
            None,
        )
        .await
    }

    /// A new local issue in `project` with this status and assignee, linked to `key`.
    pub async fn linked_issue_with(
        &self,
        organization: OrganizationId,
        project: ProjectId,
        key: &str,
        status: ResolutionStatus,
        assignee: Option<Assignee>,
    ) -> LocalIssueId {
        let issue = self
            .store
            .seed_local_issue(project, status, assignee)
            .await
            .unwrap();
        self.store
            .seed_issue_link(organization, self.integration, &IssueKey::new(key), issue)
            .await
            .unwrap();
        issue
    }

    /// A new active user with these verified e-mails, in the fixture's team.
    pub async fn member(&self, emails: &[&str]) -> UserId {
        let user = self
            .store
            .seed_user(
                true,
                emails
                    .iter()
                    .map(|email| UserEmail::verified(*email))
                    .collect(),
            )
            .await
            .unwrap();
        self.store
            .seed_team_member(self.team, user, true)
            .await
            .unwrap();
        user
    }

    /// A second organization linked to the integration (every flag on), with its own project,
    /// team and one member with `email`; returns (organization, project, member).
    pub async fn other_organization(&self, email: &str) -> (OrganizationId, ProjectId, UserId) {
        let store = &self.store;
        let organization = store
            .seed_organization("globex", OrganizationFeatures::all())
            .await
            .unwrap();
        store
            .seed_organization_integration(
                organization,
                self.integration,
                LinkStatus::Active,
                SyncConfig::all_on(),
            )
            .await
            .unwrap();
        let project = store.seed_project(organization, "api").await.unwrap();
        let team = store.seed_team(organization, "api-team").await.unwrap();
        store.seed_team_project(team, project).await.unwrap();
        let user = store
            .seed_user(true, vec![UserEmail::verified(email)])
            .await
            .unwrap();
        store.seed_team_member(team, user, true).await.unwrap();
        (organization, project, user)
    }

    /// Applies an assignee change (no delivery key); panics on an error.
    pub async fn assign(&self, event: &AssigneeChanged) -> InboundAssigneeOutcome {
        self.sync
            .sync_assignee(self.integration, event, None)
            .await
            .unwrap()
    }

    /// Applies an assignee change of [`KEY`] to the Jira user with `email`, at `at` epoch ms.
    pub async fn assign_email(&self, email: &str, at: i64) -> InboundAssigneeOutcome {
        self.assign(&assigned_to_email(email, at)).await
    }

    /// Applies a status change (no delivery key); panics on an error.
    pub async fn change_status(&self, event: &StatusChanged) -> InboundStatusOutcome {
        self.sync
            .sync_status(self.integration, event, None)
            .await
            .unwrap()
    }

    /// The fixture organization's watermark of `kind` for [`KEY`].
    pub async fn watermark(&self, kind: SyncKind) -> Option<EventTime> {
        self.store
            .watermark(
                self.organization,
                self.integration,
                &IssueKey::new(KEY),
                kind,
            )
            .await
            .unwrap()
    }

    /// The current assignee of a local issue.
    pub async fn assignee_of(&self, issue: LocalIssueId) -> Option<Assignee> {
        self.store
            .local_issue(issue)
            .await
            .unwrap()
            .unwrap()
            .assignee
    }

    /// The current status of a local issue.
    pub async fn status_of(&self, issue: LocalIssueId) -> ResolutionStatus {
        self.store.local_issue(issue).await.unwrap().unwrap().status
    }

    /// How many activities a local issue has.
    pub async fn activity_count(&self, issue: LocalIssueId) -> usize {
        self.store.activities(issue).await.unwrap().len()
    }
}

/// A Jira user with only an e-mail.
pub fn jira_user_with_email(email: &str) -> JiraUser {
    JiraUser {
        name: Some("someone".into()),
        key: Some("JIRAUSER10100".into()),
        email_address: Some(email.into()),
        display_name: Some("Someone".into()),
        active: Some(true),
    }
}

/// A Jira user whose e-mail Jira hides.
pub fn jira_user_without_email(name: &str, key: &str) -> JiraUser {
    JiraUser {
        name: Some(name.into()),
        key: Some(key.into()),
        email_address: None,
        display_name: Some(name.into()),
        active: Some(true),
    }
}

/// An assignee change of [`KEY`] at `at` epoch ms.
pub fn assigned(user: JiraUser, at: i64) -> AssigneeChanged {
    assigned_on(KEY, Some(user), Some(at))
}

/// An assignee change of [`KEY`] to the Jira user with this e-mail, at `at` epoch ms.
pub fn assigned_to_email(email: &str, at: i64) -> AssigneeChanged {
    assigned(jira_user_with_email(email), at)
}

/// An unassignment of [`KEY`] at `at` epoch ms.
pub fn unassigned(at: i64) -> AssigneeChanged {
    assigned_on(KEY, None, Some(at))
}

/// An assignee change of `key`.
pub fn assigned_on(key: &str, user: Option<JiraUser>, at: Option<i64>) -> AssigneeChanged {
    AssigneeChanged {
        issue_key: IssueKey::new(key),
        issue_id: Some("10001".into()),
        assignee: user,
        occurred_at: at.map(EventTime::from_unix_millis),
    }
}

/// A status change of [`KEY`] from `from` to `to` at `at` epoch ms.
pub fn status_changed(from: &str, to: &str, at: i64) -> StatusChanged {
    StatusChanged {
        issue_key: IssueKey::new(KEY),
        issue_id: Some("10001".into()),
        from: Some(StatusId::new(from)),
        to: Some(StatusId::new(to)),
        from_name: None,
        to_name: None,
        occurred_at: Some(EventTime::from_unix_millis(at)),
    }
}
