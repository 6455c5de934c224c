//! Clients that hang up mid-request never wedge the service: a storm of webhook deliveries whose
//! connections close at random points (before the body is complete, right after it, a little
//! later, or after the answer) is followed by writes that succeed, and every delivery the
//! service acknowledged (200 inline, 202 inbox) is applied.
//!
//! Runs through the real binary and in-process, inline and inbox, on SQLite and (with
//! `JIRASYNC_TEST_DATABASE_URL`) PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod e2e_support;

use std::time::Duration;

use e2e_support::service::{Deployment, Launch};
use e2e_support::{
    BURST_EXTERNAL_ID, Delivery, import_state, jira_user, post, storefront_state,
    wait_until_drained,
};
use jirasync_service::WebhookMode;
use jirasync_webhook::{WebhookSecret, mint_token};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Deliveries in the storm, one per Jira issue, so that each acknowledged one leaves a mark
/// of its own (its issue assigned) whatever the order they are applied in. They go in waves of
/// [`WAVE`] at once.
const STORM: i64 = 576;
const WAVE: i64 = 192;
/// Deliveries sent after the storm, one at a time, each of which must succeed.
const AFTER: i64 = 16;
const ISSUES: i64 = STORM + AFTER;
const WEBHOOK_SECRET: &str = "disconnects-webhook-secret-0123456789";
/// How long one answer after the storm may take before the service counts as wedged: generous,
/// above the stores' busy timeout.
const ANSWER_BOUND: Duration = Duration::from_secs(20);

/// SHOP-`issue` assigned to Alice.
fn delivery(issue: i64) -> Vec<u8> {
    let changelog = u64::try_from(issue).unwrap();
    Delivery::assignee(
        &format!("SHOP-{issue}"),
        changelog,
        1,
        Some(jira_user("alice", "alice", Some("alice@example.com"))),
    )
    .bytes()
}

/// A small deterministic generator (xorshift64*): a failure replays with the same hang-ups.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

/// When a storm client hangs up.
#[derive(Debug, Clone, Copy)]
enum HangUp {
    /// Half-way through the body.
    MidBody,
    /// As soon as the request is sent.
    AfterRequest,
    /// This many microseconds after the request is sent.
    After(u64),
    /// After reading the answer: the answer's status.
    Never,
}

/// Sends one delivery over a raw connection and hangs up as `hang_up` says; the status when
/// the answer was read.
async fn send_and_hang_up(address: &str, path: &str, body: &[u8], hang_up: HangUp) -> Option<u16> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nUser-Agent: Atlassian HttpClient 3.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    if let HangUp::MidBody = hang_up {
        let _ = stream.write_all(&body[..body.len() / 2]).await;
        return None;
    }
    if stream.write_all(body).await.is_err() {
        return None;
    }
    match hang_up {
        HangUp::MidBody | HangUp::AfterRequest => None,
        HangUp::After(micros) => {
            tokio::time::sleep(Duration::from_micros(micros)).await;
            None
        }
        HangUp::Never => {
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.ok()?;
            let text = String::from_utf8_lossy(&answer);
            text.split(' ').nth(1)?.parse().ok()
        }
    }
}

/// Sends the deliveries of `issues` at once, each hanging up as `rng` says; the issues whose
/// delivery was answered `accepted`.
async fn send_wave(
    rng: &mut Rng,
    address: &str,
    webhook: &str,
    issues: std::ops::Range<i64>,
    accepted: u16,
) -> Vec<i64> {
    let mut clients = Vec::new();
    for issue in issues {
        let hang_up = match rng.below(4) {
            0 => HangUp::MidBody,
            1 => HangUp::AfterRequest,
            2 => HangUp::After(rng.below(3_000)),
            _ => HangUp::Never,
        };
        let (address, webhook) = (address.to_owned(), webhook.to_owned());
        clients.push(tokio::spawn(async move {
            let status = send_and_hang_up(&address, &webhook, &delivery(issue), hang_up).await;
            (issue, hang_up, status)
        }));
    }
    let mut acknowledged = Vec::new();
    for client in clients {
        let (issue, hang_up, status) = client.await.unwrap();
        match status {
            Some(status) if status == accepted => acknowledged.push(issue),
            Some(status) => panic!("SHOP-{issue} ({hang_up:?}) was answered {status}"),
            None => {}
        }
    }
    acknowledged
}

async fn run_storm(launch: Launch, deployment: &Deployment, mode: WebhookMode) {
    // Alice (2); local issues 1000+k linked to SHOP-k, unassigned.
    let state = storefront_state(
        WEBHOOK_SECRET,
        &[(2, "alice@example.com")],
        ISSUES,
        1000,
        5000,
    );
    import_state(deployment, &state);
    let service = launch.serve_in_mode(deployment, 2, mode).await;
    let address = service.url().trim_start_matches("http://").to_owned();
    let token = mint_token(BURST_EXTERNAL_ID, &WebhookSecret::new(WEBHOOK_SECRET));
    let webhook = jirasync_webhook::webhook_url("", &token);
    let accepted = match mode {
        WebhookMode::Inline => 200,
        WebhookMode::Inbox => 202,
    };

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut acknowledged = Vec::new();
    for wave in 0..STORM / WAVE {
        let first = wave * WAVE + 1;
        acknowledged
            .extend(send_wave(&mut rng, &address, &webhook, first..first + WAVE, accepted).await);
    }
    assert!(!acknowledged.is_empty(), "no storm delivery was answered");

    // Writes still succeed, one after the other.
    let client = reqwest::Client::builder()
        .timeout(ANSWER_BOUND)
        .build()
        .unwrap();
    for issue in STORM + 1..=ISSUES {
        let answer = post(&client, service.url(), &webhook, delivery(issue)).await;
        assert_eq!(
            answer.status, accepted,
            "SHOP-{issue} after the storm: {answer:?}"
        );
        acknowledged.push(issue);
    }
    if mode == WebhookMode::Inbox {
        wait_until_drained(deployment.open_store().await.as_ref()).await;
    }
    service.stop().await;

    // Nothing acknowledged is lost.
    let exported: Value = serde_json::from_str(&deployment.jirasync(&["state", "export"])).unwrap();
    let issues = exported["local_issues"].as_array().unwrap();

    for issue in acknowledged {
        let record = issues
            .iter()
            .find(|record| record["id"] == json!(1000 + issue))
            .unwrap();
        assert_eq!(
            record["assignee"],
            json!({"user": 2}),
            "acknowledged SHOP-{issue} was not applied"
        );
    }
}

async fn on_sqlite(launch: Launch, mode: WebhookMode) {
    let dir = tempfile::tempdir().unwrap();
    run_storm(launch, &Deployment::sqlite_in(&dir), mode).await;
}

async fn on_postgres(launch: Launch, mode: WebhookMode) {
    e2e_support::on_fresh_postgres(async |deployment| run_storm(launch, deployment, mode).await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_ups_leave_inline_sqlite_writable_binary() {
    on_sqlite(Launch::Binary, WebhookMode::Inline).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_ups_leave_inbox_sqlite_writable_binary() {
    on_sqlite(Launch::Binary, WebhookMode::Inbox).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_ups_leave_inline_sqlite_writable_in_process() {
    on_sqlite(Launch::InProcess, WebhookMode::Inline).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_ups_leave_inline_postgres_writable_binary() {
    on_postgres(Launch::Binary, WebhookMode::Inline).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_ups_leave_inbox_postgres_writable_binary() {
    on_postgres(Launch::Binary, WebhookMode::Inbox).await;
}
