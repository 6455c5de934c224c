//! `Reconciler` against a fake Jira whose issues change without webhooks: the search it sends
//! (batches of keys, the window, pages), what it applies and counts, the point it keeps, the
//! lease it honours, and a malformed answer that changes nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a failed step should stop the test"
)]

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use jirasync_client::RetryPolicy;
use jirasync_domain::ids::{IntegrationId, LocalIssueId, UserId};
use jirasync_domain::integration::{JiraCredentials, SyncConfig};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::people::UserEmail;
use jirasync_domain::rules::install::{InstallRequest, install_jira_server};
use jirasync_domain::{
    InMemoryStore, IntegrationStore, LocalIssueStore, ReconcileStore, SecretString, Seed,
};
use jirasync_service::{
    ClientJiraDirectory, ReconcileError, ReconcileOptions, ReconcileRunOutcome, Reconciler,
    SyncService, WebhookMode,
};
use jirasync_webhook::{EventTime, IssueKey, WebhookSecret};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SEARCH: &str = "/rest/api/2/search";

/// An issue in the fake: assignee e-mail, status id, `updated` epoch ms.
type FakeIssue = (Option<String>, &'static str, i64);

/// Jira's issues by key, searched the way Jira
/// Server does: `key in (…)`, an optional `updated >= "-Nm"`, `startAt`/`maxResults`.
#[derive(Clone, Default)]
struct FakeSearch {
    issues: Arc<Mutex<BTreeMap<String, FakeIssue>>>,
    queries: Arc<Mutex<Vec<(String, u32)>>>,
    broken: Arc<Mutex<Option<Value>>>,
}

impl FakeSearch {
    fn set(&self, key: &str, assignee: Option<&str>, status: &'static str, updated: i64) {
        self.issues.lock().unwrap().insert(
            key.to_owned(),
            (assignee.map(str::to_owned), status, updated),
        );
    }

    fn queries(&self) -> Vec<(String, u32)> {
        self.queries.lock().unwrap().clone()
    }
}

fn status_json(id: &str) -> Value {
    let (name, category) = match id {
        "10102" => ("Done", "done"),
        "3" => ("In Progress", "indeterminate"),
        _ => ("Open", "new"),
    };
    json!({"id": id, "name": name, "statusCategory": {"key": category, "name": name}})
}

fn jira_time(millis: i64) -> String {
    let at =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).unwrap();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

impl Respond for FakeSearch {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if let Some(broken) = self.broken.lock().unwrap().clone() {
            return ResponseTemplate::new(200).set_body_json(broken);
        }
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let jql = query["jql"].clone();
        let start_at: u32 = query["startAt"].parse().unwrap();
        let max_results: u32 = query["maxResults"].parse().unwrap();
        assert_eq!(query["fields"], "assignee,status,updated");
        self.queries.lock().unwrap().push((jql.clone(), start_at));
        let inside = jql
            .split_once("key in (")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(keys, _)| keys)
            .expect("a key list");
        let keys: Vec<String> = inside
            .split(", ")
            .map(|key| key.trim_matches('"').to_owned())
            .collect();
        let since = jql.split_once("updated >= \"-").map(|(_, rest)| {
            let minutes: i64 = rest.split_once("m\"").unwrap().0.parse().unwrap();
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis();
            i64::try_from(now).unwrap() - minutes * 60_000
        });
        let issues = self.issues.lock().unwrap();
        let found: Vec<Value> = issues
            .iter()
            .filter(|(key, (_, _, updated))| {
                keys.contains(key) && since.is_none_or(|since| *updated >= since)
            })
            .map(|(key, (assignee, status, updated))| {
                let number: u64 = key.rsplit('-').next().unwrap().parse().unwrap();
                json!({
                    "id": (10_000 + number).to_string(),
                    "key": key,
                    "fields": {
                        "assignee": assignee.as_ref().map(|email| json!({
                            "name": email.split('@').next().unwrap(),
                            "key": email.split('@').next().unwrap(),
                            "emailAddress": email,
                            "active": true,
                        })),
                        "status": status_json(status),
                        "updated": jira_time(*updated),
                    }
                })
            })
            .collect();
        let total = u32::try_from(found.len()).unwrap();
        let page: Vec<Value> = found
            .into_iter()
            .skip(start_at as usize)
            .take(max_results as usize)
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "expand": "schema,names",
            "startAt": start_at,
            "maxResults": max_results,
            "total": total,
            "issues": page,
        }))
    }
}

/// One organization syncing everything through a Jira at the fake's URL (a personal access
/// token), jess and bob in the project, local issues linked to APP-1 … APP-5.
struct Scene {
    store: Arc<InMemoryStore>,
    integration: IntegrationId,
    issues: Vec<LocalIssueId>,
    jess: UserId,
    service: SyncService,
    jira: FakeSearch,
    server: MockServer,
}

/// Now minus `minutes`, in epoch ms: Jira's `updated` times are recent.
fn minutes_ago(minutes: i64) -> i64 {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    i64::try_from(now).unwrap() - minutes * 60_000
}

impl Scene {
    async fn new() -> Self {
        let server = MockServer::start().await;
        let jira = FakeSearch::default();
        Mock::given(method("GET"))
            .and(path(SEARCH))
            .respond_with(jira.clone())
            .mount(&server)
            .await;
        let store = Arc::new(InMemoryStore::new());
        let org = store
            .seed_organization("acme", OrganizationFeatures::all())
            .await
            .unwrap();
        let installation = install_jira_server(
            store.as_ref(),
            InstallRequest {
                organization_id: org,
                base_url: server.uri(),
                consumer_key: "jirasync".to_owned(),
                verify_ssl: true,
                webhook_secret: WebhookSecret::generate(),
                credentials: JiraCredentials::Bearer {
                    token: SecretString::new("personal-access-token"),
                },
                installed_by: None,
            },
        )
        .await
        .unwrap();
        let integration = installation.integration.id;
        store
            .update_sync_config(org, integration, SyncConfig::all_on())
            .await
            .unwrap();
        let project = store.seed_project(org, "app").await.unwrap();
        let team = store.seed_team(org, "app-team").await.unwrap();
        store.seed_team_project(team, project).await.unwrap();
        let jess = store
            .seed_user(true, vec![UserEmail::verified("jess@example.com")])
            .await
            .unwrap();
        store.seed_team_member(team, jess, true).await.unwrap();
        let mut issues = Vec::new();
        for number in 1..=5 {
            let issue = store
                .seed_local_issue(project, ResolutionStatus::Unresolved, None)
                .await
                .unwrap();
            let key = IssueKey::new(format!("APP-{number}"));
            store
                .seed_issue_link(org, integration, &key, issue)
                .await
                .unwrap();
            issues.push(issue);
            // Jira's state as the application has it: unassigned, open, an hour ago.
            jira.set(key.as_str(), None, "1", minutes_ago(60));
        }
        let directory =
            Arc::new(ClientJiraDirectory::new(store.clone()).with_retry(RetryPolicy::never()));
        let service = SyncService::builder(store.clone(), store.clone(), directory)
            .mode(WebhookMode::Inline)
            .build()
            .unwrap();
        Self {
            store,
            integration,
            issues,
            jess,
            service,
            jira,
            server,
        }
    }

    fn reconciler(&self, options: ReconcileOptions) -> Reconciler {
        Reconciler::new(
            self.service.clone(),
            self.store.clone(),
            ClientJiraDirectory::new(self.store.clone()).with_retry(RetryPolicy::never()),
            options,
        )
    }

    async fn activities(&self) -> usize {
        let mut count = 0;
        for issue in &self.issues {
            count += self.store.activities(*issue).await.unwrap().len();
        }
        count
    }
}

/// Two keys per query, one issue per page, no rate limit: every path of the batching is taken.
fn small_batches() -> ReconcileOptions {
    let mut options = ReconcileOptions::default();
    options.keys_per_query = NonZeroU32::new(2).unwrap();
    options.page_size = NonZeroU32::new(1).unwrap();
    options.requests_per_second = f64::INFINITY;
    options
}

#[tokio::test]
async fn reconcile_applies_what_jira_changed_without_webhooks() {
    let scene = Scene::new().await;
    let changed_at = minutes_ago(2);
    scene
        .jira
        .set("APP-2", Some("jess@example.com"), "3", changed_at);
    scene.jira.set("APP-4", None, "10102", changed_at + 1_000);

    let report = scene
        .reconciler(small_batches())
        .reconcile_integration(scene.integration, None)
        .await
        .unwrap();

    assert!(report.ran);
    assert_eq!(report.since, None, "the first run reads every linked issue");
    assert_eq!(report.linked_keys, 5);
    assert_eq!(report.issues_read, 5);
    assert_eq!((report.assignee_changes, report.status_changes), (1, 1));
    assert_eq!(report.unchanged_issues, 3);
    assert_eq!(
        report.point,
        Some(EventTime::from_unix_millis(changed_at + 1_000))
    );
    let local = |index: usize| scene.store.local_issue(scene.issues[index]);
    assert_eq!(
        local(1).await.unwrap().unwrap().assignee,
        Some(Assignee::User(scene.jess))
    );
    assert_eq!(
        local(3).await.unwrap().unwrap().status,
        ResolutionStatus::Resolved
    );
    assert_eq!(scene.activities().await, 2);
    assert_eq!(
        scene
            .store
            .reconcile_point(scene.integration)
            .await
            .unwrap(),
        report.point
    );
    // Three batches of at most two keys, one page per issue found.
    let queries = scene.jira.queries();
    assert_eq!(report.requests, queries.len() as u64);
    assert_eq!(queries.len(), 5);
    assert_eq!(
        queries[0].0,
        "key in (\"APP-1\", \"APP-2\") ORDER BY key ASC"
    );
    assert_eq!(queries[1], (queries[0].0.clone(), 1));
    assert_eq!(queries[4].0, "key in (\"APP-5\") ORDER BY key ASC");
    let metrics = scene.service.metrics();
    assert_eq!(metrics.reconcile_missed(), (1, 1));
    assert_eq!(metrics.reconcile_runs(ReconcileRunOutcome::Completed), 1);
}

#[tokio::test]
async fn second_reconcile_reads_the_window_and_writes_nothing_when_nothing_changed() {
    let scene = Scene::new().await;
    scene
        .jira
        .set("APP-1", Some("jess@example.com"), "1", minutes_ago(3));
    let reconciler = scene.reconciler(small_batches());
    let first = reconciler
        .reconcile_integration(scene.integration, None)
        .await
        .unwrap();
    assert_eq!(first.missed_changes(), 1);
    let activities = scene.activities().await;
    let queries_before = scene.jira.queries().len();

    let second = reconciler
        .reconcile_integration(scene.integration, None)
        .await
        .unwrap();

    // The window starts 5 minutes (the overlap) before the point: APP-1 is read again, and
    // found as the application has it.
    let point = first.point.unwrap();
    assert_eq!(
        second.since,
        Some(EventTime::from_unix_millis(point.unix_millis() - 300_000))
    );
    assert_eq!(second.issues_read, 1);
    assert_eq!(second.missed_changes(), 0);
    assert_eq!(second.unchanged_issues, 1);
    assert_eq!(second.point, first.point);
    assert_eq!(scene.activities().await, activities);
    let queries = scene.jira.queries();
    let window = &queries[queries_before].0;
    assert!(
        window.starts_with("key in (\"APP-1\", \"APP-2\") AND updated >= \"-"),
        "{window}"
    );
    assert_eq!(scene.service.metrics().reconcile_missed(), (1, 0));
}

#[tokio::test]
async fn since_replaces_the_point() {
    let scene = Scene::new().await;
    scene
        .store
        .advance_reconcile_point(
            scene.integration,
            EventTime::from_unix_millis(minutes_ago(1)),
        )
        .await
        .unwrap();
    // A change older than the point minus the overlap: found only when asked to look back.
    scene
        .jira
        .set("APP-5", Some("jess@example.com"), "1", minutes_ago(30));
    let reconciler = scene.reconciler(small_batches());
    let report = reconciler
        .reconcile_integration(scene.integration, None)
        .await
        .unwrap();
    assert_eq!(report.issues_read, 0);

    let since = SystemTime::now() - Duration::from_secs(45 * 60);
    let report = reconciler
        .reconcile_integration(scene.integration, Some(since))
        .await
        .unwrap();
    assert_eq!(report.issues_read, 1);
    assert_eq!(report.assignee_changes, 1);
}

#[tokio::test]
async fn malformed_search_answer_fails_the_run_and_changes_nothing() {
    let scene = Scene::new().await;
    scene
        .jira
        .set("APP-1", Some("jess@example.com"), "10102", minutes_ago(2));
    *scene.jira.broken.lock().unwrap() = Some(json!({
        "startAt": 0, "maxResults": 50, "total": 1,
        "issues": [{"id": "10001", "key": "APP-1", "fields": {
            "assignee": null, "status": {"id": "1", "name": "Open"}, "updated": "soon"}}],
    }));

    let error = scene
        .reconciler(small_batches())
        .reconcile_integration(scene.integration, None)
        .await
        .unwrap_err();

    let ReconcileError::Search { source, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        source
            .to_string()
            .contains("at issues[0].fields.updated: \"soon\" is not a date-time"),
        "{error}"
    );
    assert_eq!(scene.activities().await, 0);
    assert_eq!(
        scene
            .store
            .reconcile_point(scene.integration)
            .await
            .unwrap(),
        None
    );
    let metrics = scene.service.metrics();
    assert_eq!(metrics.reconcile_runs(ReconcileRunOutcome::Failed), 1);
    // The lease was given back: another instance may run at once.
    let now = SystemTime::now();
    assert!(
        scene
            .store
            .acquire_reconcile_lease(
                scene.integration,
                "other",
                now,
                now + Duration::from_secs(60)
            )
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn integration_leased_by_another_instance_is_skipped() {
    let scene = Scene::new().await;
    let now = SystemTime::now();
    assert!(
        scene
            .store
            .acquire_reconcile_lease(
                scene.integration,
                "another-instance",
                now,
                now + Duration::from_secs(600)
            )
            .await
            .unwrap()
    );
    let report = scene
        .reconciler(small_batches())
        .reconcile_integration(scene.integration, None)
        .await
        .unwrap();
    assert!(!report.ran);
    assert!(scene.jira.queries().is_empty());
    assert_eq!(
        scene
            .service
            .metrics()
            .reconcile_runs(ReconcileRunOutcome::Skipped),
        1
    );
    assert!(scene.server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_integration_is_an_error() {
    let scene = Scene::new().await;
    let error = scene
        .reconciler(small_batches())
        .reconcile_integration(IntegrationId::new(999), None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ReconcileError::UnknownIntegration { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn integration_nobody_syncs_inbound_is_not_searched() {
    let scene = Scene::new().await;
    let org = scene
        .store
        .organization_links(scene.integration)
        .await
        .unwrap()[0]
        .link
        .organization_id;
    let mut config = SyncConfig::all_on();
    config.sync_reverse_assignment = false;
    config.sync_status_reverse = false;
    scene
        .store
        .update_sync_config(org, scene.integration, config)
        .await
        .unwrap();
    scene
        .jira
        .set("APP-1", Some("jess@example.com"), "10102", minutes_ago(2));

    let report = scene
        .reconciler(small_batches())
        .reconcile_integration(scene.integration, None)
        .await
        .unwrap();

    assert!(report.ran);
    assert_eq!((report.requests, report.issues_read), (0, 0));
    assert!(scene.jira.queries().is_empty());
    assert_eq!(scene.activities().await, 0);
}
