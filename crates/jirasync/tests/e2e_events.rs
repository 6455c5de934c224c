//! Outgoing events through the real binary: events produced while the subscriber cannot be
//! reached survive `kill -9` of `jirasync serve` and are all delivered, in order, once it runs
//! again with the subscriber up; each push's signature verifies with an independent
//! implementation (the `standardwebhooks` Python package, skipped with a printed reason when it
//! is missing); the long-poll feed returns the same events the subscriber got.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)]

mod e2e_support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use e2e_support::service::Deployment;
use e2e_support::{import_state, storefront_state};
use jirasync_domain::events::{DeliveryFilter, DeliveryStatus, EventCursor};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
use jirasync_webhook::IssueKey;
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// How many events the test produces (one issue: they must arrive in this order).
const EVENTS: usize = 5;
/// A generous bound on every wait of this test.
const BOUND: Duration = Duration::from_secs(90);

/// `jirasync serve` as a child process, killed (SIGKILL) on drop.
struct Serve {
    child: Child,
    url: String,
    _stdout: BufReader<ChildStdout>,
}

impl Serve {
    fn start(deployment: &Deployment) -> Self {
        Self::start_with(deployment, &[])
    }

    /// `jirasync serve` with these extra flags.
    fn start_with(deployment: &Deployment, flags: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jirasync"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--public-url",
                "http://127.0.0.1",
            ])
            .args(flags)
            .current_dir(&deployment.workdir)
            .env_clear()
            .env("JIRASYNC_DATABASE_URL", &deployment.database_url)
            .env("JIRASYNC_ADMIN_TOKEN", ADMIN_TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jirasync serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read the listening line");
        let url = line
            .trim_end()
            .strip_prefix("jirasync listening on ")
            .unwrap_or_else(|| panic!("jirasync serve printed {line:?}"))
            .to_owned();
        Self {
            child,
            url,
            _stdout: stdout,
        }
    }

    /// `kill -9`: no shutdown, no flush, claims left behind.
    fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL jirasync serve");
        self.child.wait().expect("reap jirasync serve");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One push as the subscriber got it.
#[derive(Debug, Clone)]
struct Push {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Push {
    fn header(&self, name: &str) -> &str {
        &self
            .headers
            .iter()
            .find(|(key, _)| key == name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .1
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A subscriber on `port` answering 200 and keeping every push.
async fn subscriber(port: u16) -> Arc<Mutex<Vec<Push>>> {
    let pushes = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&pushes);
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let kept = Arc::clone(&kept);
            async move {
                let headers = headers
                    .iter()
                    .map(|(name, value)| {
                        (name.to_string(), value.to_str().unwrap_or("").to_owned())
                    })
                    .collect();
                kept.lock().unwrap().push(Push {
                    headers,
                    body: body.to_vec(),
                });
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the subscriber's port again");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    pushes
}

async fn api(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url).bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("call the API");
    let status = response.status().as_u16();
    let value = response.json().await.unwrap_or(Value::Null);
    (status, value)
}

/// Waits (up to [`BOUND`]) until `done` holds, checking every 100 ms.
async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = tokio::time::Instant::now();
    while !done().await {
        assert!(started.elapsed() < BOUND, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_pending_at_a_kill_9_are_all_delivered_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    import_state(
        &deployment,
        &storefront_state("webhook-secret", &[(5, "alice@example.com")], 1, 100, 200),
    );
    // A port nobody listens on yet: the subscriber is down.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let serve = tokio::task::spawn_blocking({
        let deployment = deployment.clone();
        move || Serve::start(&deployment)
    })
    .await
    .unwrap();
    let (status, created) = api(
        reqwest::Method::POST,
        format!("{}/api/v1/subscriptions", serve.url),
        Some(json!({"url": format!("http://127.0.0.1:{port}/hook"), "secret": SECRET})),
    )
    .await;
    assert_eq!(status, 201, "{created}");

    // Five events of one issue, committed by another process sharing the database.
    let store = deployment.open_store().await;
    for k in 2..2 + EVENTS {
        store
            .link_issue(
                OrganizationId::new(1),
                IntegrationId::new(13),
                &IssueKey::new(format!("SHOP-{k}")),
                LocalIssueId::new(101),
            )
            .await
            .unwrap();
    }
    let produced = store.events_after(EventCursor::START, 100).await.unwrap();
    assert_eq!(produced.len(), EVENTS);
    // The dispatcher tried the first one and failed: the subscriber is down.
    wait_for("a failed attempt", async || {
        store
            .deliveries(DeliveryFilter::default())
            .await
            .unwrap()
            .iter()
            .any(|delivery| delivery.attempts >= 1)
    })
    .await;
    serve.kill_9();

    // The subscriber comes up, the service starts again: everything arrives, once, in order.
    let pushes = subscriber(port).await;
    let serve = tokio::task::spawn_blocking({
        let deployment = deployment.clone();
        move || Serve::start(&deployment)
    })
    .await
    .unwrap();
    wait_for("every event delivered", async || {
        store
            .deliveries(DeliveryFilter {
                status: Some(DeliveryStatus::Delivered),
                limit: 0,
            })
            .await
            .unwrap()
            .len()
            == EVENTS
    })
    .await;
    let pushes = pushes.lock().unwrap().clone();
    let received: Vec<String> = pushes
        .iter()
        .map(|push| push.header("webhook-id").to_owned())
        .collect();
    let expected: Vec<String> = produced
        .iter()
        .map(|stored| stored.event.id.to_string())
        .collect();
    assert_eq!(received, expected, "every event, once, in order");
    for (push, stored) in pushes.iter().zip(&produced) {
        assert_eq!(push.body, stored.event.to_json_bytes());
        assert_eq!(push.json()["type"], "issue.linked");
    }

    // The long-poll feed returns the same events the subscriber got.
    let (status, page) = api(
        reqwest::Method::GET,
        format!("{}/api/v1/events?after=0&wait=5", serve.url),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let fed: Vec<Value> = page["events"].as_array().unwrap().clone();
    let pushed: Vec<Value> = pushes.iter().map(Push::json).collect();
    assert_eq!(fed, pushed);

    // The signatures verify with an independent implementation.
    verify_with_standardwebhooks(&pushes);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_answers_is_dead_lettered_after_the_configured_time_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    import_state(
        &deployment,
        &storefront_state("webhook-secret", &[(5, "alice@example.com")], 1, 100, 200),
    );
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let serve = tokio::task::spawn_blocking({
        let deployment = deployment.clone();
        move || Serve::start_with(&deployment, &["--event-retry-for", "2"])
    })
    .await
    .unwrap();
    let (status, _) = api(
        reqwest::Method::POST,
        format!("{}/api/v1/subscriptions", serve.url),
        Some(json!({"url": format!("http://127.0.0.1:{port}/hook")})),
    )
    .await;
    assert_eq!(status, 201);
    let store = deployment.open_store().await;
    store
        .link_issue(
            OrganizationId::new(1),
            IntegrationId::new(13),
            &IssueKey::new("SHOP-9"),
            LocalIssueId::new(101),
        )
        .await
        .unwrap();
    let event = store.events_after(EventCursor::START, 10).await.unwrap()[0]
        .event
        .id
        .to_string();
    wait_for("the dead letter", async || {
        !store
            .deliveries(DeliveryFilter {
                status: Some(DeliveryStatus::Dead),
                limit: 0,
            })
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    let listed = deployment.jirasync(&["events", "list", "--dead"]);
    let line = listed
        .lines()
        .find(|line| line.starts_with(&event))
        .unwrap_or_else(|| panic!("{event} is not listed:\n{listed}"));
    assert!(line.contains("\tissue.linked\t"), "{line}");
    assert!(line.contains("\tdead\t"), "{line}");
    assert!(line.contains("could not connect"), "{line}");
    drop(serve);
}

/// Verifies each push with the `standardwebhooks` Python package; skips, saying why, when
/// `python3 -c "import standardwebhooks"` fails (the CI gate installs it in a throw-away
/// virtualenv).
fn verify_with_standardwebhooks(pushes: &[Push]) {
    let probe = Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .output();
    match probe {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            eprintln!(
                "verify_with_standardwebhooks: skipped, `python3 -c \"import standardwebhooks\"` \
                 failed: {} (install the standardwebhooks package to run it)",
                String::from_utf8_lossy(&output.stderr).trim()
            );
            return;
        }
        Err(error) => {
            eprintln!("verify_with_standardwebhooks: skipped, cannot run python3: {error}");
            return;
        }
    }
    // Reads one JSON document per line: {"body": "...", "headers": {...}}; the package checks
    // the signature and the timestamp's age (five minutes).
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
hook = Webhook(sys.argv[1])
for line in sys.stdin:
    push = json.loads(line)
    hook.verify(push["body"], push["headers"])
    print("verified", push["headers"]["webhook-id"])
"#;
    let mut child = Command::new("python3")
        .args(["-c", script, SECRET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    {
        let mut stdin = child.stdin.take().unwrap();
        for push in pushes {
            let headers: serde_json::Map<String, Value> =
                ["webhook-id", "webhook-timestamp", "webhook-signature"]
                    .iter()
                    .map(|name| ((*name).to_owned(), Value::from(push.header(name))))
                    .collect();
            let line = json!({
                "body": String::from_utf8(push.body.clone()).unwrap(),
                "headers": headers,
            });
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "standardwebhooks refused a signature: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verified = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with("verified "))
        .count();
    assert_eq!(verified, pushes.len());
}
