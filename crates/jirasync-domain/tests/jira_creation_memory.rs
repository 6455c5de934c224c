//! Creating a Jira issue from a local issue and linking it (`rules::jira_creation`), on the
//! in-memory store with the fake Jira writer: the link and its `issue.linked` event follow a
//! creation; every refusal before the create request sends no create and links nothing; a link
//! that fails after Jira created the issue still reports the key.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use jirasync_domain::conformance::fixture::Fixture;
use jirasync_domain::events::{EventCursor, EventPayload};
use jirasync_domain::ids::{IntegrationId, LocalIssueId};
use jirasync_domain::integration::Integration;
use jirasync_domain::memory::InMemoryStore;
use jirasync_domain::outbound::{FakeJiraWriter, JiraWriteError, WriterCall};
use jirasync_domain::rules::jira_creation::{
    JiraCreationError, JiraIssueCreation, JiraIssueDraft, create_and_link_jira_issue,
};
use jirasync_domain::store::{EventStore, IntegrationStore, IssueLinkStore};
use serde_json::{Map, json};

struct Scene {
    fixture: Fixture<InMemoryStore>,
    integration: Integration,
    jira: FakeJiraWriter,
}

impl Scene {
    async fn new(jira: FakeJiraWriter) -> Self {
        let fixture = Fixture::new(InMemoryStore::new()).await;
        let integration = fixture
            .store
            .integration(fixture.integration)
            .await
            .unwrap()
            .unwrap();
        Self {
            fixture,
            integration,
            jira,
        }
    }

    async fn create(
        &self,
        issue: LocalIssueId,
        draft: &JiraIssueDraft,
    ) -> Result<JiraIssueCreation, JiraCreationError> {
        create_and_link_jira_issue(
            self.fixture.store.as_ref(),
            self.fixture.store.as_ref(),
            &self.jira,
            self.fixture.organization,
            &self.integration,
            issue,
            draft,
        )
        .await
    }

    async fn linked_keys(&self) -> Vec<String> {
        self.fixture
            .store
            .external_issues_of(self.fixture.issue)
            .await
            .unwrap()
            .into_iter()
            .map(|external| external.key.to_string())
            .collect()
    }

    async fn linked_events(&self) -> Vec<String> {
        self.fixture
            .store
            .events_after(EventCursor::default(), 100)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|stored| match stored.event.payload {
                EventPayload::IssueLinked(data) => Some(data.jira_key.to_string()),
                _ => None,
            })
            .collect()
    }

    fn creates(&self) -> usize {
        self.jira.create_requests().len()
    }
}

fn bug(summary: &str) -> JiraIssueDraft {
    JiraIssueDraft {
        project: "SHOP".into(),
        issue_type: "Bug".into(),
        summary: summary.into(),
        description: Some("Steps: pay.".into()),
        fields: Map::new(),
    }
}

#[tokio::test]
async fn creates_the_issue_and_links_it_with_an_issue_linked_event() {
    let scene = Scene::new(FakeJiraWriter::new().with_project("SHOP", &[])).await;
    let created = scene
        .create(scene.fixture.issue, &bug("Checkout fails"))
        .await
        .unwrap();
    assert_eq!(created.issue.key.as_str(), "SHOP-1");
    let link = created.link.unwrap();
    assert!(link.created);
    assert_eq!(scene.linked_keys().await, ["APP-1", "SHOP-1"]);
    assert!(scene.linked_events().await.contains(&"SHOP-1".to_owned()));
    assert_eq!(
        scene.jira.calls()[0],
        WriterCall::CreateMeta("SHOP".into(), "Bug".into())
    );
    assert_eq!(
        serde_json::Value::Object(scene.jira.create_requests()[0].clone()),
        json!({
            "project": {"key": "SHOP"},
            "issuetype": {"id": "10004"},
            "summary": "Checkout fails",
            "description": "Steps: pay.",
        })
    );
}

#[tokio::test]
async fn names_every_missing_required_field_and_creates_nothing() {
    let jira = FakeJiraWriter::new().with_project(
        "SHOP",
        &[
            ("customfield_10200", "Severity"),
            ("customfield_10300", "Team"),
        ],
    );
    let scene = Scene::new(jira).await;
    let mut draft = bug("Checkout fails");
    draft
        .fields
        .insert("customfield_10300".into(), json!({"value": "Web"}));
    let error = scene.create(scene.fixture.issue, &draft).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "creating a Bug in SHOP requires customfield_10200 (Severity): give them in \"fields\" \
         by id; nothing was created"
    );
    assert_eq!(scene.creates(), 0);
    assert_eq!(scene.linked_keys().await, ["APP-1"]);
}

#[tokio::test]
async fn an_unknown_project_or_issue_type_creates_nothing() {
    let scene = Scene::new(FakeJiraWriter::new().with_project("SHOP", &[])).await;
    let unknown_project = JiraIssueDraft {
        project: "NOPE".into(),
        ..bug("x")
    };
    let error = scene
        .create(scene.fixture.issue, &unknown_project)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, JiraCreationError::CreateMeta { source, .. } if !source.is_transient()),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("lists no project \"NOPE\""),
        "{error}"
    );
    let unknown_type = JiraIssueDraft {
        issue_type: "Epic".into(),
        ..bug("x")
    };
    let error = scene
        .create(scene.fixture.issue, &unknown_type)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("has no issue type named \"Epic\""),
        "{error}"
    );
    assert_eq!(scene.creates(), 0);
    assert_eq!(scene.linked_keys().await, ["APP-1"]);
}

#[tokio::test]
async fn jira_down_creates_and_links_nothing() {
    let scene = Scene::new(FakeJiraWriter::new().with_project("SHOP", &[])).await;
    scene.jira.set_down(true);
    let error = scene
        .create(scene.fixture.issue, &bug("Checkout fails"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, JiraCreationError::CreateMeta { source, .. } if source.is_transient()),
        "{error:?}"
    );
    assert_eq!(scene.creates(), 0);
    assert_eq!(scene.linked_keys().await, ["APP-1"]);
}

#[tokio::test]
async fn a_create_jira_refuses_reports_jiras_words_and_links_nothing() {
    let scene = Scene::new(FakeJiraWriter::new().with_project("SHOP", &[])).await;
    let mut draft = bug("Checkout fails");
    draft
        .fields
        .insert("assignee".into(), json!({"name": "nobody"}));
    let error = scene.create(scene.fixture.issue, &draft).await.unwrap_err();
    assert!(
        matches!(
            &error,
            JiraCreationError::Create {
                source: JiraWriteError::Permanent {
                    status: Some(400),
                    ..
                }
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "Jira did not create the issue: Jira refused the request (HTTP 400): assignee: User \
         'nobody' cannot be assigned issues."
    );
    assert_eq!(scene.linked_keys().await, ["APP-1"]);
}

#[tokio::test]
async fn a_permission_refusal_creates_nothing() {
    let scene = Scene::new(FakeJiraWriter::new().with_project("SHOP", &[])).await;
    scene
        .jira
        .set_refusal(Some((403, "You do not have permission to create issues")));
    let error = scene
        .create(scene.fixture.issue, &bug("Checkout fails"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            JiraCreationError::CreateMeta {
                source: JiraWriteError::Permanent {
                    status: Some(403),
                    ..
                },
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(scene.creates(), 0);
    assert_eq!(scene.linked_keys().await, ["APP-1"]);
}

#[tokio::test]
async fn an_issue_not_of_the_organization_sends_nothing_to_jira() {
    let scene = Scene::new(FakeJiraWriter::new().with_project("SHOP", &[])).await;
    let error = scene
        .create(LocalIssueId::new(9_999), &bug("Checkout fails"))
        .await
        .unwrap_err();
    assert!(matches!(error, JiraCreationError::Issue(_)), "{error:?}");
    assert!(scene.jira.calls().is_empty());
}

#[tokio::test]
async fn a_refused_draft_sends_nothing_to_jira() {
    let scene = Scene::new(FakeJiraWriter::new().with_project("SHOP", &[])).await;
    let error = scene
        .create(scene.fixture.issue, &bug("two\nlines"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, JiraCreationError::Invalid { member, .. } if member == "summary"),
        "{error:?}"
    );
    assert!(scene.jira.calls().is_empty());
}

#[tokio::test]
async fn a_link_that_fails_after_creation_still_names_the_created_key() {
    let mut scene = Scene::new(FakeJiraWriter::new().with_project("SHOP", &[])).await;
    // An integration the organization has no link to: Jira creates, the store refuses the link.
    scene.integration.id = IntegrationId::new(9_999);
    let created = scene
        .create(scene.fixture.issue, &bug("Checkout fails"))
        .await
        .unwrap();
    assert_eq!(created.issue.key.as_str(), "SHOP-1");
    assert!(created.link.is_err(), "{:?}", created.link);
    assert_eq!(scene.linked_keys().await, ["APP-1"]);
}
