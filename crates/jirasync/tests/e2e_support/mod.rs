//! Shared by the end-to-end tests (`e2e_*.rs`): the fake Jira, the service under test (in-process
//! or the binary), Jira-shaped deliveries, and waiting for the inbox to drain.

// Shared by several test binaries, each using part of it; a set-up failure fails the test, and a
// skipped PostgreSQL run says why on stderr.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)]

pub mod fake_jira;
pub mod service;
pub mod sidecar;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jirasync_client::PrivateKey;
use jirasync_store::AnyStore;
use serde_json::{Value, json};

/// The consumer key of the Application Link in the fake Jira.
pub const CONSUMER_KEY: &str = "jirasync-e2e";

/// The PEM of the consumer's private key (a fixture: generating one per test is slow).
pub const PRIVATE_KEY_PEM: &str =
    include_str!("../../../jirasync-service/tests/fixtures/rsa-2048-pkcs8.pem");

/// The variable naming the PostgreSQL test database.
pub const POSTGRES_VARIABLE: &str = "JIRASYNC_TEST_DATABASE_URL";

/// The consumer's private key.
pub fn private_key() -> PrivateKey {
    PrivateKey::from_pem(PRIVATE_KEY_PEM).expect("the fixture key loads")
}

/// A repository fixture under `tests/fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path)
}

/// A Jira user object as webhook payloads carry it; `email` `None` means hidden (absent).
pub fn jira_user(name: &str, key: &str, email: Option<&str>) -> Value {
    let mut user = json!({
        "self": format!("https://jira.example.com/rest/api/2/user?username={name}"),
        "name": name,
        "key": key,
        "displayName": name,
        "active": true,
        "timeZone": "UTC",
    });
    if let Some(email) = email {
        user["emailAddress"] = json!(email);
    }
    user
}

/// One `jira:issue_updated` delivery, built on the fixture `webhooks/assignee_set.json` (a real
/// Jira 9 payload) with the issue, the update time and the changelog replaced.
#[derive(Debug, Clone)]
pub struct Delivery {
    body: Value,
}

impl Delivery {
    fn base(issue_key: &str, changelog_id: u64, updated_minute: u32) -> Self {
        let text = std::fs::read_to_string(fixture("webhooks/assignee_set.json"))
            .expect("read the webhook fixture");
        let mut body: Value = serde_json::from_str(&text).expect("the fixture is JSON");
        let number: u64 = issue_key
            .rsplit('-')
            .next()
            .and_then(|number| number.parse().ok())
            .unwrap_or_default();
        body["issue"]["id"] = json!((20_000 + number).to_string());
        body["issue"]["key"] = json!(issue_key);
        let updated = format!("2026-06-01T10:{updated_minute:02}:00.000+0000");
        body["issue"]["fields"]["updated"] = json!(updated);
        body["timestamp"] = json!(1_780_308_000_000_u64 + u64::from(updated_minute) * 60_000);
        body["changelog"] = json!({"id": changelog_id.to_string(), "items": []});
        Self { body }
    }

    /// The assignee of `issue_key` set to `assignee` (`None`: unassigned) at minute
    /// `updated_minute` of the test's hour.
    pub fn assignee(
        issue_key: &str,
        changelog_id: u64,
        updated_minute: u32,
        assignee: Option<Value>,
    ) -> Self {
        let mut delivery = Self::base(issue_key, changelog_id, updated_minute);
        let to = assignee.as_ref().map(|user| user["key"].clone());
        delivery.body["issue"]["fields"]["assignee"] = assignee.unwrap_or(Value::Null);
        delivery.body["issue_event_type_name"] = json!("issue_assigned");
        delivery.body["changelog"]["items"] = json!([{
            "field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
            "from": null, "fromString": null,
            "to": to, "toString": to,
        }]);
        delivery
    }

    /// The status of `issue_key` changed from status id `from` to `to`.
    pub fn status(
        issue_key: &str,
        changelog_id: u64,
        updated_minute: u32,
        from: &str,
        to: &str,
    ) -> Self {
        let mut delivery = Self::base(issue_key, changelog_id, updated_minute);
        delivery.body["issue_event_type_name"] = json!("issue_generic");
        delivery.body["issue"]["fields"]["status"]["id"] = json!(to);
        delivery.body["changelog"]["items"] = json!([{
            "field": "status", "fieldtype": "jira", "fieldId": "status",
            "from": from, "fromString": from,
            "to": to, "toString": to,
        }]);
        delivery
    }

    /// The body as sent.
    pub fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).expect("a JSON value serializes")
    }
}

/// A deployment's state file for the burst tests: organization 1 with `users` (id, e-mail; all
/// in team 6, which reaches project 7), Jira installed as integration 13 (identity 14, external
/// id [`BURST_EXTERNAL_ID`], `webhook_secret`) with inbound assignee sync on, and `issues` local
/// issues `first_local_id + k` (unassigned) linked to SHOP-k as external issues
/// `first_external_id + k`, for k in 1..=`issues`.
pub fn storefront_state(
    webhook_secret: &str,
    users: &[(i64, &str)],
    issues: i64,
    first_local_id: i64,
    first_external_id: i64,
) -> Value {
    json!({
        "format_version": 1,
        "organizations": [{"id": 1, "name": "acme", "features": {"issue_sync": true, "external_actors": true}}],
        "users": users.iter().map(|(id, email)| json!({
            "id": id, "active": true, "emails": [{"address": email, "verified": true}],
        })).collect::<Vec<_>>(),
        "organization_members": users.iter().map(|(id, _)| json!({"organization_id": 1, "user_id": id})).collect::<Vec<_>>(),
        "teams": [{"id": 6, "organization_id": 1, "name": "web"}],
        "team_members": users.iter().map(|(id, _)| json!({"team_id": 6, "user_id": id, "active": true})).collect::<Vec<_>>(),
        "projects": [{"id": 7, "organization_id": 1, "name": "storefront"}],
        "team_projects": [{"team_id": 6, "project_id": 7}],
        "local_issues": (1..=issues).map(|k| json!({
            "id": first_local_id + k, "organization_id": 1, "project_id": 7, "status": "unresolved", "assignee": null,
        })).collect::<Vec<_>>(),
        "integrations": [{
            "id": 13, "provider": "jira_server", "external_id": BURST_EXTERNAL_ID, "name": CONSUMER_KEY,
            "base_url": "https://jira.example.com", "domain_name": "jira.example.com",
            "verify_ssl": true, "webhook_secrets": [webhook_secret],
        }],
        "identities": [{
            "id": 14, "organization_id": 1, "integration_id": 13, "installed_by": users.first().map(|(id, _)| *id),
            "credentials": {
                "kind": "oauth1", "consumer_key": CONSUMER_KEY, "private_key_pem": PRIVATE_KEY_PEM,
                "access_token": "access-token", "access_token_secret": "access-token-secret",
            },
        }],
        "organization_integrations": [{
            "organization_id": 1, "integration_id": 13, "status": "active",
            "config": {
                "sync_reverse_assignment": true, "sync_status_reverse": false,
                "sync_forward_assignment": false, "sync_status_forward": false,
                "sync_comments": false, "resolution_strategy": "resolve",
            },
            "default_identity_id": 14,
        }],
        "external_issues": (1..=issues).map(|k| json!({
            "id": first_external_id + k, "organization_id": 1, "integration_id": 13, "key": format!("SHOP-{k}"),
            "assignee_updated_at": null, "status_updated_at": null, "local_issues": [first_local_id + k],
        })).collect::<Vec<_>>(),
        "external_actors": [],
        "activities": [],
    })
}

/// The external id of the integration in [`storefront_state`].
pub const BURST_EXTERNAL_ID: &str = "jira.example.com:jirasync-e2e";

/// Imports `state` into `deployment` with `jirasync state import`.
pub fn import_state(deployment: &service::Deployment, state: &Value) {
    let path = deployment.workdir.join("state.json");
    std::fs::write(
        &path,
        serde_json::to_vec(state).expect("a JSON value serializes"),
    )
    .expect("write the state file");
    deployment.jirasync(&["state", "import", &path.to_string_lossy()]);
}

/// What the service answered.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

impl Answer {
    /// The `detail` of a JSON error body.
    pub fn detail(&self) -> String {
        let json: Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not a JSON body ({error}): {}", self.body));
        json["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("no detail in {}", self.body))
            .to_owned()
    }
}

/// Posts `body` to `service_url` + `path`, as Jira does.
pub async fn post(
    client: &reqwest::Client,
    service_url: &str,
    path: &str,
    body: Vec<u8>,
) -> Answer {
    let response = client
        .post(format!("{service_url}{path}"))
        .header("content-type", "application/json")
        .header(
            "user-agent",
            "Atlassian HttpClient 3.0.4 / JIRA-9.12.2 (912002) / Default",
        )
        .body(body)
        .send()
        .await
        .expect("the service answers");
    let status = response.status().as_u16();
    let body = response.text().await.expect("read the answer");
    Answer { status, body }
}

/// The path of a webhook URL registered in Jira (`/extensions/jira-server/issue-updated/<token>/`).
pub fn webhook_path(url: &str) -> String {
    url::Url::parse(url)
        .expect("the registered webhook URL parses")
        .path()
        .to_owned()
}

/// Waits until no delivery is pending in `store`'s inbox: polls at most 600 times, 50 ms apart.
pub async fn wait_until_drained(store: &dyn AnyStore) {
    for _ in 0..600 {
        let depth = store
            .depth(SystemTime::now())
            .await
            .expect("read the inbox depth");
        assert_eq!(depth.dead, 0, "a delivery was dead-lettered: {depth:?}");
        if depth.ready == 0 && depth.leased == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the inbox did not drain within 600 polls");
}

/// The PostgreSQL test database URL, or `None` after printing why the test is skipped.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            eprintln!(
                "skipped: {POSTGRES_VARIABLE} is not set (a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
            None
        }
    }
}

/// A fresh schema in the test database, and the URL whose connections work in it
/// (`?options=-csearch_path%3D<schema>`), so the binary and the library both stay in it.
pub async fn fresh_postgres_schema(base_url: &str) -> (String, String) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    let schema = format!(
        "jirasync_e2e_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    run_postgres(base_url, &format!("CREATE SCHEMA {schema}")).await;
    let separator = if base_url.contains('?') { '&' } else { '?' };
    let url = format!("{base_url}{separator}options=-csearch_path%3D{schema}");
    (schema, url)
}

/// Drops a schema [`fresh_postgres_schema`] made.
pub async fn drop_postgres_schema(base_url: &str, schema: &str) {
    run_postgres(base_url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
}

async fn run_postgres(url: &str, sql: &str) {
    let pool = sqlx::PgPool::connect(url)
        .await
        .expect("connect to the test database");
    sqlx::raw_sql(sql)
        .execute(&pool)
        .await
        .expect("run SQL on the test database");
    pool.close().await;
}

/// Runs `scenario` on a fresh schema of the PostgreSQL test database and drops the schema after;
/// skips (printing why) when no test database is configured.
pub async fn on_fresh_postgres(scenario: impl AsyncFnOnce(&service::Deployment)) {
    let Some(base_url) = postgres_url() else {
        return;
    };
    let (schema, url) = fresh_postgres_schema(&base_url).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let deployment = service::Deployment {
        workdir: dir.path().to_owned(),
        database_url: url,
    };
    scenario(&deployment).await;
    drop_postgres_schema(&base_url, &schema).await;
}
