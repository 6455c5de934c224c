//! When PostgreSQL cannot be reached, jirasync says so fast: a command fails within seconds
//! naming the cause, and a running `serve` answers `/readyz` and webhooks 503 within about its
//! database timeout (1 s by default), instead of the pool's 30 s. Times are checked against a
//! generous bound (10 s). The running-server case needs `JIRASYNC_TEST_DATABASE_URL` and skips
//! (printing why) without it: the database goes away by closing a TCP relay in front of it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a panic is a failed test"
)]

mod e2e_support;
mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{Workdir, fixture, webhook_fixture};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A generous bound on what should take about a second.
const BOUND: Duration = Duration::from_secs(10);

/// A port on 127.0.0.1 that nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_command_fails_within_seconds_naming_why_when_postgresql_does_not_listen() {
    let workdir = Workdir::new();
    let url = format!("postgres://jirasync@127.0.0.1:{}/jirasync", closed_port());

    let started = Instant::now();
    let run = workdir.run(&["inbox", "list", "--database-url", &url]);
    let elapsed = started.elapsed();

    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(elapsed < BOUND, "took {elapsed:?}");
    let expected =
        format!("error: cannot connect to the database at {url}: no connection within 1 s: ");
    assert!(run.stderr.contains(&expected), "{run:?}");
    assert!(run.stderr.contains("Connection refused"), "{run:?}");
}

#[test]
fn the_database_timeout_is_configurable() {
    let workdir = Workdir::new();
    let url = format!("postgres://jirasync@127.0.0.1:{}/jirasync", closed_port());

    let run = workdir.run(&[
        "inbox",
        "list",
        "--database-url",
        &url,
        "--database-timeout",
        "200ms",
    ]);

    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("no connection within 0.2 s: "),
        "{run:?}"
    );
}

/// A TCP relay to `target` whose stop closes the listener and every relayed connection, as a
/// database server that went away.
struct Relay {
    address: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let relayed = Arc::clone(&tasks);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                relayed.lock().unwrap().push(relay);
            }
        });
        tasks.lock().unwrap().push(accept);
        Self { address, tasks }
    }

    /// Closes the listener and every connection.
    async fn stop(&self) {
        let tasks: Vec<_> = self.tasks.lock().unwrap().drain(..).collect();
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_and_webhooks_answer_503_within_seconds_once_postgresql_goes_away() {
    let Some(base_url) = e2e_support::postgres_url() else {
        return;
    };
    let (schema, schema_url) = e2e_support::fresh_postgres_schema(&base_url).await;
    let mut parsed = url::Url::parse(&schema_url).unwrap();
    let target = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    );
    let relay = Relay::start(target).await;
    parsed.set_host(Some("127.0.0.1")).unwrap();
    parsed.set_port(Some(relay.address.port())).unwrap();
    let url = parsed.to_string();

    let workdir = Workdir::new();
    let state = fixture("serve-state.json");
    let imported = workdir.run(&[
        "state",
        "import",
        state.to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    assert_eq!(imported.code, Some(0), "{imported:?}");
    let served = workdir.serve(&["--database-url", &url]);
    assert_eq!(served.request("GET", "/readyz", b"").status, 200);

    relay.stop().await;

    let started = Instant::now();
    let ready = served.request("GET", "/readyz", b"");
    let elapsed = started.elapsed();
    assert_eq!(ready.status, 503, "{ready:?}");
    assert!(elapsed < BOUND, "/readyz took {elapsed:?}");

    let started = Instant::now();
    let webhook = served.request(
        "POST",
        &support::serve_state_webhook_path(),
        &webhook_fixture("assignee_set.json"),
    );
    let elapsed = started.elapsed();
    assert_eq!(webhook.status, 503, "{webhook:?}");
    assert!(elapsed < BOUND, "the webhook took {elapsed:?}");

    drop(served);
    e2e_support::drop_postgres_schema(&base_url, &schema).await;
}
