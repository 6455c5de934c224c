//! `jirasync serve` through the real binary on 127.0.0.1 with a temporary SQLite file: the
//! listening line, health, Jira-shaped deliveries in inbox and inline mode (on one thread and
//! on several), a refused token, a clean stop on SIGTERM, and a port already in use.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod support;

use jirasync_webhook::{WebhookSecret, mint_token, webhook_url};
use serde_json::{Value, json};
use support::{
    SERVE_STATE_EXTERNAL_ID, Served, Workdir, serve_state_webhook_path, webhook_fixture,
};

/// Local issue 9's assignee, as `state export` shows it.
fn assignee_of_issue_9(workdir: &Workdir) -> Value {
    let exported = workdir.run(&["state", "export"]);
    assert_eq!(exported.code, Some(0), "{exported:?}");
    let state: Value = serde_json::from_str(&exported.stdout).unwrap();
    let issue = state["local_issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|issue| issue["id"] == json!(9))
        .unwrap()
        .clone();
    issue["assignee"].clone()
}

fn stop(served: Served) -> String {
    let (code, log) = served.terminate();
    assert_eq!(code, Some(0), "{log}");
    log
}

#[test]
fn answers_health_checks() {
    let workdir = Workdir::new();
    let served = workdir.serve(&[]);
    let health = served.request("GET", "/healthz", b"");
    assert_eq!(health.status, 200, "{health:?}");
    let log = stop(served);
    assert!(
        log.contains("jirasync listening on http://127.0.0.1:"),
        "{log}"
    );
}

#[test]
fn mounts_the_admin_api_only_with_an_admin_token() {
    let workdir = Workdir::with_serve_state();
    let token = "an-admin-token-of-32-characters!";
    let served = workdir.serve(&["--admin-token", token]);
    let authorization = format!("Bearer {token}");
    let listed = served.request_with(
        "GET",
        "/api/0/organizations/",
        &[("Authorization", &authorization)],
        b"",
    );
    assert_eq!(listed.status, 200, "{listed:?}");
    assert!(listed.body.contains("\"acme\""), "{listed:?}");
    let refused = served.request("GET", "/api/0/organizations/", b"");
    assert_eq!(refused.status, 401, "{refused:?}");
    let log = stop(served);
    assert!(
        !log.contains(token),
        "the admin token reached the log: {log}"
    );

    let without = workdir.serve(&[]);
    let absent = without.request_with(
        "GET",
        "/api/0/organizations/",
        &[("Authorization", &authorization)],
        b"",
    );
    assert_eq!(absent.status, 404, "{absent:?}");
    stop(without);
}

#[test]
fn inbox_mode_accepts_a_delivery_with_202_and_a_worker_applies_it() {
    let workdir = Workdir::with_serve_state();
    let served = workdir.serve(&["--workers", "1"]);
    a_worker_applies_an_accepted_delivery(&workdir, &served);
    assert!(
        !served
            .thread_names()
            .iter()
            .any(|name| name.starts_with("tokio-rt")),
        "one thread by default: {:?}",
        served.thread_names()
    );
    stop(served);
}

#[test]
fn runtime_threads_run_the_service_on_that_many_threads() {
    let workdir = Workdir::with_serve_state();
    let served = workdir.serve(&["--workers", "1", "--runtime-threads", "3"]);
    a_worker_applies_an_accepted_delivery(&workdir, &served);
    let runtime_threads = served
        .thread_names()
        .into_iter()
        .filter(|name| name.starts_with("tokio-rt"))
        .count();
    assert_eq!(runtime_threads, 3, "{:?}", served.thread_names());
    stop(served);
}

/// A delivery accepted with 202 by `served` (inbox mode), then applied by a worker.
fn a_worker_applies_an_accepted_delivery(workdir: &Workdir, served: &Served) {
    assert_eq!(assignee_of_issue_9(workdir), Value::Null);

    let answer = served.request(
        "POST",
        &serve_state_webhook_path(),
        &webhook_fixture("assignee_set.json"),
    );
    assert_eq!(answer.status, 202, "{answer:?}");

    // The worker applies it in the background: look until it has (bounded).
    let mut assignee = Value::Null;
    for _ in 0..200 {
        assignee = assignee_of_issue_9(workdir);
        if assignee != Value::Null {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(assignee, json!({"user": 2}));
}

#[test]
fn inline_mode_applies_a_delivery_before_answering_200() {
    let workdir = Workdir::with_serve_state();
    let served = workdir.serve(&["--mode", "inline"]);

    let answer = served.request(
        "POST",
        &serve_state_webhook_path(),
        &webhook_fixture("assignee_set.json"),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(assignee_of_issue_9(&workdir), json!({"user": 2}));
    stop(served);
}

#[test]
fn refuses_a_bad_token_with_400_and_a_json_detail_and_changes_nothing() {
    let workdir = Workdir::with_serve_state();
    let served = workdir.serve(&[]);

    let forged = mint_token(
        SERVE_STATE_EXTERNAL_ID,
        &WebhookSecret::new("some other secret"),
    );
    let answer = served.request(
        "POST",
        &webhook_url("", &forged),
        &webhook_fixture("assignee_set.json"),
    );
    assert_eq!(answer.status, 400, "{answer:?}");
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert!(body["detail"].is_string(), "{body}");
    let log = stop(served);

    assert_eq!(assignee_of_issue_9(&workdir), Value::Null);
    let inbox = workdir.run(&["inbox", "list"]);
    assert_eq!(inbox.code, Some(0), "{inbox:?}");
    assert!(!inbox.stdout.contains("APP-123"), "{inbox:?}");
    assert!(
        !log.contains(forged.expose_secret()),
        "the token reached the log:\n{log}"
    );
}

#[test]
fn a_port_in_use_fails_with_exit_1_naming_the_address() {
    let workdir = Workdir::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();

    let run = workdir.run(&["serve", "--listen", &address]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("error: cannot listen on {address}:")),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn a_database_that_cannot_be_opened_fails_with_exit_1_naming_it() {
    let workdir = Workdir::new();
    let missing = workdir.path().join("no-such-dir/jirasync.db");
    let url = format!("sqlite://{}", missing.display());

    let run = workdir.run(&["serve", "--listen", "127.0.0.1:0", "--database-url", &url]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("error: cannot connect to the database at {url}")),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "{run:?}");
}

#[test]
fn a_refused_database_url_hides_its_password() {
    let workdir = Workdir::new();
    let run = workdir.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        "postgres://jirasync:hunter2@127.0.0.1:1/jirasync",
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr
            .contains("postgres://jirasync:***@127.0.0.1:1/jirasync"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("hunter2"), "{run:?}");
}

/// The external issue APP-123 as `state export` shows it.
fn external_issue(workdir: &Workdir) -> Value {
    let exported = workdir.run(&["state", "export"]);
    assert_eq!(exported.code, Some(0), "{exported:?}");
    let state: Value = serde_json::from_str(&exported.stdout).unwrap();
    state["external_issues"][0].clone()
}

#[test]
fn inline_mode_parks_a_delivery_the_installation_cannot_apply_and_lists_why() {
    // The installation has no default identity: the status sync cannot ask Jira which statuses
    // are `done`.
    let workdir = Workdir::with_serve_state();
    let served = workdir.serve(&["--mode", "inline", "--workers", "1"]);

    let answer = served.request(
        "POST",
        &serve_state_webhook_path(),
        &webhook_fixture("status_changed.json"),
    );
    assert_eq!(answer.status, 202, "{answer:?}");

    // A worker parks it at its first attempt: look until it has (bounded).
    let mut listed = String::new();
    for _ in 0..200 {
        listed = workdir.run(&["inbox", "list", "--state", "dead"]).stdout;
        if listed.contains("parked") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let line = listed
        .lines()
        .find(|line| line.contains("parked"))
        .unwrap_or_else(|| panic!("no parked delivery in {listed:?}"));
    assert!(line.starts_with("1\tdead\t1\t"), "{line}");
    assert!(
        line.contains("parked, not retried: a Jira look-up failed: no credentials for integration 13: reinstall it; fix the installation's credentials, then run `jirasync inbox replay 1`"),
        "{line}"
    );
    stop(served);
}

#[test]
fn a_webhook_dated_year_10000_is_applied_without_moving_the_watermark() {
    let workdir = Workdir::with_serve_state();
    let served = workdir.serve(&["--mode", "inline"]);
    let mut body: Value = serde_json::from_slice(&webhook_fixture("assignee_set.json")).unwrap();
    body["timestamp"] = json!(253_402_300_800_000_i64);
    body["issue"]["fields"]["updated"] = json!("10000-01-01T00:00:00.000+0000");

    let answer = served.request(
        "POST",
        &serve_state_webhook_path(),
        &serde_json::to_vec(&body).unwrap(),
    );

    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(assignee_of_issue_9(&workdir), json!({"user": 2}));
    assert_eq!(external_issue(&workdir)["assignee_updated_at"], Value::Null);
    let metrics = served.request("GET", "/metrics", b"");
    assert!(
        metrics
            .body
            .contains("jirasync_event_times_ignored_total 1\n"),
        "{metrics:?}"
    );
    stop(served);
}
