//! `jirasync webhook list|delete` and `jirasync doctor` against a fake Jira (wiremock on
//! 127.0.0.1) and an integration installed in the SQLite database.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod support;

use jirasync_domain::organization::OrganizationFeatures;
use jirasync_store::SCHEMA_VERSION;
use jirasync_webhook::{WebhookSecret, mint_token, webhook_url};
use serde_json::json;
use support::{CONSUMER_KEY, PUBLIC_URL, WEBHOOK_SECRET, Workdir};
use time::OffsetDateTime;
use time::macros::format_description;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LEGACY_WEBHOOKS: &str = "/rest/webhooks/1.0/webhook";

/// The external id of the integration installed for `jira`.
fn external_id(jira: &MockServer) -> String {
    format!(
        "{}:{CONSUMER_KEY}",
        jira.uri().trim_start_matches("http://")
    )
}

/// The webhook URL Jira should call for this integration at the public URL.
fn our_webhook_url(jira: &MockServer, public_url: &str) -> String {
    webhook_url(
        public_url,
        &mint_token(&external_id(jira), &WebhookSecret::new(WEBHOOK_SECRET)),
    )
}

/// Jira's clock, now, in its own format.
fn jira_now() -> String {
    OffsetDateTime::now_utc()
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
        ))
        .unwrap()
}

async fn mock_server_info(jira: &MockServer, version: &str) {
    Mock::given(method("GET"))
        .and(path("/rest/api/2/serverInfo"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "baseUrl": jira.uri(),
            "version": version,
            "deploymentType": "Server",
            "serverTime": jira_now(),
            "serverTitle": "Fake Jira",
        })))
        .mount(jira)
        .await;
}

async fn mock_webhooks(jira: &MockServer, webhooks: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(LEGACY_WEBHOOKS))
        .respond_with(ResponseTemplate::new(200).set_body_json(webhooks))
        .mount(jira)
        .await;
}

async fn mock_myself(jira: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/rest/api/2/myself"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "key": "JIRAUSER10100", "name": "admin", "displayName": "Jira Admin", "active": true
        })))
        .mount(jira)
        .await;
}

/// A healthy Jira 9 with this integration's webhook registered.
async fn healthy_jira() -> MockServer {
    let jira = MockServer::start().await;
    mock_server_info(&jira, "9.12.2").await;
    mock_myself(&jira).await;
    let url = our_webhook_url(&jira, PUBLIC_URL);
    mock_webhooks(
        &jira,
        json!([
            {"self": format!("{}{LEGACY_WEBHOOKS}/7", jira.uri()), "name": "jirasync Issue Sync",
             "url": url, "events": ["jira:issue_created", "jira:issue_updated"], "enabled": true},
            {"self": format!("{}{LEGACY_WEBHOOKS}/8", jira.uri()), "name": "Other tool",
             "url": "https://other.example.com/hook", "events": ["jira:issue_deleted"], "enabled": true}
        ]),
    )
    .await;
    jira
}

async fn installed(jira: &MockServer) -> Workdir {
    let workdir = Workdir::new();
    support::install(workdir.store().await.as_ref(), &jira.uri()).await;
    workdir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_webhooks_with_their_tokens_hidden() {
    let jira = healthy_jira().await;
    let workdir = installed(&jira).await;
    let run = workdir.run(&["webhook", "list", "--integration", &external_id(&jira)]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "id\tname\turl\tevents\n\
             7\tjirasync Issue Sync\t{PUBLIC_URL}/extensions/jira-server/issue-updated/[redacted]/\tjira:issue_created,jira:issue_updated\n\
             8\tOther tool\thttps://other.example.com/hook\tjira:issue_deleted\n"
        )
    );
    let token = our_webhook_url(&jira, PUBLIC_URL);
    assert!(!run.stderr.contains(&token));
}

/// Runs `webhook delete 8` against a healthy Jira that answers the delete (once) with `answer`.
async fn delete_webhook_8(answer: ResponseTemplate) -> (MockServer, support::Run) {
    let jira = healthy_jira().await;
    Mock::given(method("DELETE"))
        .and(path(format!("{LEGACY_WEBHOOKS}/8")))
        .respond_with(answer)
        .expect(1)
        .mount(&jira)
        .await;
    let workdir = installed(&jira).await;
    let run = workdir.run(&[
        "webhook",
        "delete",
        "8",
        "--integration",
        &external_id(&jira),
    ]);
    (jira, run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_one_webhook() {
    let (jira, run) = delete_webhook_8(ResponseTemplate::new(204)).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!("deleted webhook 8 from {}\n", jira.uri())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explains_a_refused_delete() {
    let (_jira, run) = delete_webhook_8(
        ResponseTemplate::new(403).set_body_json(json!({"errorMessages": ["Forbidden"]})),
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("error: cannot delete the webhook: Jira answered DELETE /rest/webhooks/1.0/webhook/8 with HTTP 403 (Forbidden). The Jira user lacks a permission"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_an_integration_that_is_not_installed() {
    let jira = healthy_jira().await;
    let workdir = installed(&jira).await;
    let run = workdir.run(&["webhook", "list", "--integration", "jira.example.com:other"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("error: no Jira integration has the external id \"jira.example.com:other\""),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asks_whose_credentials_when_several_organizations_installed() {
    let jira = healthy_jira().await;
    let workdir = installed(&jira).await;
    let store = workdir.store().await;
    let second =
        support::organization(store.as_ref(), 2, "globex", OrganizationFeatures::default()).await;
    support::install_for(store.as_ref(), second, &jira.uri()).await;
    let integration = external_id(&jira);

    let run = workdir.run(&["webhook", "list", "--integration", &integration]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "error: the integration {integration} is installed by organizations 1, 2: choose whose credentials to use with --organization ORG"
        )),
        "{run:?}"
    );
    let chosen = workdir.run(&[
        "webhook",
        "list",
        "--integration",
        &integration,
        "--organization",
        "2",
    ]);
    assert_eq!(chosen.code, Some(0), "{chosen:?}");
    let unknown = workdir.run(&[
        "webhook",
        "list",
        "--integration",
        &integration,
        "--organization",
        "5",
    ]);
    assert!(
        unknown
            .stderr
            .contains("error: no organization has the id \"5\"; the organizations: 1, 2"),
        "{unknown:?}"
    );
    support::organization(
        store.as_ref(),
        3,
        "initech",
        OrganizationFeatures::default(),
    )
    .await;
    let not_linked = workdir.run(&[
        "webhook",
        "list",
        "--integration",
        &integration,
        "--organization",
        "3",
    ]);
    assert!(
        not_linked.stderr.contains(&format!(
            "error: organization 3 has not installed the integration {integration}; the organizations that have: 1, 2"
        )),
        "{not_linked:?}"
    );
}

/// Runs `doctor` for an integration installed for `jira`, with the tests' public URL.
async fn doctor(jira: &MockServer) -> support::Run {
    installed(jira).await.run(&[
        "doctor",
        "--integration",
        &external_id(jira),
        "--public-url",
        PUBLIC_URL,
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_every_check_against_a_healthy_jira() {
    let jira = healthy_jira().await;
    let run = doctor(&jira).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    let database = format!(
        "ok   database: sqlite://jirasync.db is reachable and at schema version {SCHEMA_VERSION}"
    );
    let expected_starts = [
        database.as_str(),
        "ok   integration: ",
        "ok   jira: ",
        "ok   server version: Jira 9.12.2 (Server): webhooks through the legacy webhook API, /rest/webhooks/1.0/webhook",
        "ok   clock: Jira's clock is ",
        "ok   credentials: Jira accepts them; acting as admin",
        "ok   webhook: webhook 7 posts to https://sync.example.com/extensions/jira-server/issue-updated/[redacted]/",
        "all checks passed",
    ];
    assert_eq!(lines.len(), expected_starts.len(), "{}", run.stdout);
    for (line, start) in lines.iter().zip(expected_starts) {
        assert!(
            line.starts_with(start),
            "{line:?} should start with {start:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_explains_a_rejected_token() {
    let jira = MockServer::start().await;
    let refusal = ResponseTemplate::new(401)
        .insert_header("content-type", "text/plain")
        .set_body_string("oauth_problem=token_rejected");
    Mock::given(method("GET"))
        .respond_with(refusal)
        .mount(&jira)
        .await;
    let workdir = installed(&jira).await;
    let run = workdir.run(&["doctor", "--integration", &external_id(&jira)]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.contains(
            "FAIL credentials: Jira refused the request (oauth_problem=token_rejected): Jira does not know this token: the access token was revoked, the Application Link was re-created, or the token belongs to another Jira; connect again to get a new token"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("FAIL jira: "), "{}", run.stdout);
    assert!(
        run.stderr.contains("error: 3 doctor check(s) failed"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_fails_when_the_webhook_posts_elsewhere() {
    let jira = MockServer::start().await;
    mock_server_info(&jira, "10.3.0").await;
    mock_myself(&jira).await;
    Mock::given(method("GET"))
        .and(path("/rest/jira-webhook/1.0/webhooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": 12, "name": "jirasync Issue Sync", "url": our_webhook_url(&jira, "http://old-host:8080"),
             "events": ["jira:issue_updated"], "enabled": true}
        ])))
        .mount(&jira)
        .await;
    let run = doctor(&jira).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.contains(
            "ok   server version: Jira 10.3.0 (Server): webhooks through the Jira 10 webhook API"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "FAIL webhook: webhook 12 is this integration's but posts to http://old-host:8080/extensions/jira-server/issue-updated/[redacted]/, not to https://sync.example.com"
        ),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_fails_when_no_webhook_is_registered() {
    let jira = MockServer::start().await;
    mock_server_info(&jira, "9.4.0").await;
    mock_myself(&jira).await;
    mock_webhooks(&jira, json!([])).await;
    let workdir = installed(&jira).await;
    let run = workdir.run(&["doctor", "--integration", &external_id(&jira)]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.contains("FAIL webhook: no webhook in Jira posts to http://127.0.0.1:8080/extensions/jira-server/issue-updated/…"),
        "{}",
        run.stdout
    );
}

#[test]
fn doctor_stops_at_an_unreachable_database() {
    let workdir = Workdir::new();
    let run = workdir.run(&["doctor", "--database-url", "sqlite://missing-dir/x.db"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.starts_with(
            "FAIL database: cannot connect to the database at sqlite://missing-dir/x.db"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

#[test]
fn without_integration_and_none_installed_says_to_connect_first() {
    let workdir = Workdir::new();
    let run = workdir.run(&["webhook", "list"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("no Jira integration is installed: connect one first"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_integration_and_several_installed_names_them() {
    let workdir = Workdir::new();
    let store = workdir.store().await;
    support::install(store.as_ref(), "http://jira-one.example.com").await;
    support::install(store.as_ref(), "http://jira-two.example.com").await;
    drop(store);
    let run = workdir.run(&["webhook", "list"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("several Jira integrations are installed")
            && run.stderr.contains("jira-one.example.com:")
            && run.stderr.contains("jira-two.example.com:"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_stops_when_jira_cannot_be_reached() {
    let workdir = Workdir::new();
    // Nothing listens on port 1.
    let installation = support::install(workdir.store().await.as_ref(), "http://127.0.0.1:1").await;
    let run = workdir.run(&[
        "doctor",
        "--integration",
        installation.integration.external_id.as_str(),
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].starts_with("ok   database: "), "{}", run.stdout);
    assert!(
        lines[1].starts_with("ok   integration: 127.0.0.1:1:jirasync at http://127.0.0.1:1"),
        "{}",
        run.stdout
    );
    assert!(
        lines[2].starts_with("FAIL jira: Could not connect to 127.0.0.1:1: "),
        "{}",
        run.stdout
    );
}
