//! End-to-end latency and throughput of outbound sync, as `jirasync serve` wires it: the
//! application's `POST /api/v1/organizations/acme/issues/{issue}/assign` through the host API
//! router (in process, `tower::ServiceExt::oneshot`), the change and its outbound work written
//! in one SQLite transaction, the outbox worker woken, the Jira user found by e-mail search, the
//! echo recorded, and `PUT /rest/api/2/issue/{key}/assignee` sent by the real
//! `ClientJiraWriter` — each request signed with OAuth 1.0a RSA-SHA1 — to an HTTP fake Jira on
//! 127.0.0.1, until the fake answers.
//!
//! - `outbound/assign_to_jira_answer`: one change at a time, from the API call to Jira's answer
//!   to the assignment (criterion's estimate is the mean of each sample); a separate pass of
//!   [`PERCENTILE_RUNS`] changes prints the median and the 99th percentile.
//! - `outbound/assignments_per_worker`: [`ISSUES`] changes of as many issues made at once, until
//!   Jira answered each; throughput in assignments per second for one worker (each assignment is
//!   two signed Jira calls: the user search and the assignment).
//!
//! The fake Jira answers at once and checks only that each request carries an RSA-SHA1 OAuth
//! header (signature verification would be Jira's cost, not jirasync's).

// A bench whose set-up fails should stop loudly; it reports its percentiles on the console.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jirasync_axum::{AdminToken, ApiState, api_router};
use jirasync_domain::integration::JiraCredentials;
use jirasync_domain::rules::install::{InstallRequest, install_jira_server};
use jirasync_domain::{ApplicationData, Host, SecretString, SyncStore};
use jirasync_service::{
    ClientJiraWriter, OutboundOptions, OutboundWorker, ShutdownTrigger, SystemClock,
    shutdown_channel,
};
use jirasync_store::DatabaseUrl;
use jirasync_webhook::WebhookSecret;
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tower::ServiceExt;

/// The issues the throughput pass changes at once, each linked to its own Jira issue.
const ISSUES: usize = 64;
/// The sequential changes the percentile pass times one by one.
const PERCENTILE_RUNS: usize = 500;
/// The longest wait for Jira's answer before the bench gives up.
const BOUND: Duration = Duration::from_secs(30);
const TOKEN: &str = "bench-admin-token-0123456789";
const KEY_PEM: &str = include_str!("../../jirasync-client/tests/fixtures/rsa-2048-pkcs8.pem");

/// The Jira users the fake knows, by e-mail address: (username, address).
const USERS: &[(&str, &str)] = &[
    ("alice.j", "alice@example.com"),
    ("bob.j", "bob@example.com"),
];

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Whether the request carries an OAuth 1.0a RSA-SHA1 `Authorization` header.
fn signed(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("OAuth ") && value.contains("oauth_signature_method=\"RSA-SHA1\"")
        })
}

fn unsigned() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")],
    )
        .into_response()
}

/// A fake Jira on 127.0.0.1: user search by e-mail and the assignment, which it reports on
/// `answered` (the issue key) as it answers 204.
async fn fake_jira(answered: mpsc::UnboundedSender<String>) -> String {
    let search = get(
        |headers: HeaderMap, Query(query): Query<HashMap<String, String>>| async move {
            if !signed(&headers) {
                return unsigned();
            }
            let wanted = query.get("username").cloned().unwrap_or_default();
            let users: Vec<Value> = USERS
                .iter()
                .filter(|(_, address)| *address == wanted)
                .map(|(name, address)| {
                    json!({"name": name, "key": format!("JIRAUSER-{name}"),
                        "emailAddress": address, "displayName": name, "active": true})
                })
                .collect();
            axum::Json(users).into_response()
        },
    );
    let assign = put(
        move |headers: HeaderMap, Path(key): Path<String>| async move {
            if !signed(&headers) {
                return unsigned();
            }
            let _ = answered.send(key);
            StatusCode::NO_CONTENT.into_response()
        },
    );
    let app = Router::new()
        .route("/rest/api/2/user/search", search)
        .route("/rest/api/2/issue/{key}/assignee", assign);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// The service as `jirasync serve` wires it, with `acme`'s issues `I-0`… linked to `SHOP-0`…,
/// assignee sync outbound on, and the outbox worker running.
struct Scene {
    api: Router,
    answered: mpsc::UnboundedReceiver<String>,
    _trigger: ShutdownTrigger,
    _dir: tempfile::TempDir,
    /// Which user the next change of each issue assigns.
    next_user: Vec<usize>,
}

impl Scene {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = jirasync_store::open(&DatabaseUrl::new(url)).await.unwrap();
        let (sender, answered) = mpsc::unbounded_channel();
        let base_url = fake_jira(sender).await;
        let writer = Arc::new(ClientJiraWriter::new(Arc::clone(&store) as _));
        let worker = OutboundWorker::new(
            Arc::clone(&store) as Arc<dyn SyncStore>,
            writer,
            Arc::new(SystemClock),
            OutboundOptions::default(),
        );
        let state = ApiState::new(
            Arc::clone(&store) as Arc<dyn ApplicationData>,
            Arc::clone(&store) as Arc<dyn SyncStore>,
            Arc::clone(&store) as Arc<dyn Host>,
            AdminToken::new(TOKEN).unwrap(),
        )
        .with_outbound(worker.handle());
        let scene = Self {
            api: api_router(state),
            answered,
            _trigger: {
                let (trigger, shutdown) = shutdown_channel();
                worker.spawn(&shutdown);
                trigger
            },
            _dir: dir,
            next_user: vec![0; ISSUES],
        };
        let users: Vec<Value> = USERS
            .iter()
            .map(|(name, address)| {
                json!({"id": name.trim_end_matches(".j"), "emails": [{"address": address, "verified": true}]})
            })
            .collect();
        let members: Vec<Value> = USERS
            .iter()
            .map(|(name, _)| json!({"user": name.trim_end_matches(".j")}))
            .collect();
        let issues: Vec<Value> = (0..ISSUES)
            .map(|n| json!({"id": format!("I-{n}"), "project": "shop"}))
            .collect();
        for (path, body) in [
            (
                "/api/v1/organizations",
                json!({"items": [{"id": "acme", "name": "Acme"}]}),
            ),
            ("/api/v1/users", json!({ "items": users })),
            (
                "/api/v1/organizations/acme/members",
                json!({ "items": members }),
            ),
            (
                "/api/v1/organizations/acme/projects",
                json!({"items": [{"id": "shop", "name": "Shop"}]}),
            ),
            (
                "/api/v1/organizations/acme/issues",
                json!({ "items": issues }),
            ),
        ] {
            scene
                .call(Method::PUT, path, Some(body), StatusCode::OK)
                .await;
        }
        let (organization, _) = store
            .app_organization(&"acme".into())
            .await
            .unwrap()
            .unwrap();
        let installation = install_jira_server(
            store.as_ref(),
            InstallRequest {
                organization_id: organization,
                base_url,
                consumer_key: "jirasync".to_owned(),
                verify_ssl: true,
                webhook_secret: WebhookSecret::generate(),
                credentials: JiraCredentials::OAuth1 {
                    consumer_key: "jirasync".to_owned(),
                    private_key_pem: SecretString::new(KEY_PEM),
                    access_token: "bench-access-token".to_owned(),
                    access_token_secret: SecretString::new("bench-token-secret"),
                },
                installed_by: None,
            },
        )
        .await
        .unwrap();
        let integration = installation.integration.id;
        scene
            .call(
                Method::PATCH,
                &format!("/api/v1/organizations/acme/integrations/{integration}/config"),
                Some(json!({"sync_forward_assignment": true})),
                StatusCode::OK,
            )
            .await;
        for n in 0..ISSUES {
            scene
                .call(
                    Method::PUT,
                    &format!("/api/v1/organizations/acme/issues/I-{n}/jira-links/SHOP-{n}"),
                    None,
                    StatusCode::CREATED,
                )
                .await;
        }
        scene
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>, status: StatusCode) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |body| Body::from(body.to_string())))
            .unwrap();
        let response = self.api.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), status, "{path}");
    }

    /// The application assigns issue `n` to the other user (so it always changes).
    async fn assign(&mut self, n: usize) {
        let user = self.next_user[n];
        self.next_user[n] = (user + 1) % USERS.len();
        let (name, _) = USERS[user];
        self.call(
            Method::POST,
            &format!("/api/v1/organizations/acme/issues/I-{n}/assign"),
            Some(json!({"assignee": {"user": name.trim_end_matches(".j")}})),
            StatusCode::OK,
        )
        .await;
    }

    /// Waits for Jira to answer `count` assignments.
    async fn await_answers(&mut self, count: usize) {
        for _ in 0..count {
            tokio::time::timeout(BOUND, self.answered.recv())
                .await
                .expect("Jira's answer to the assignment in time (see the outbox's last_error)")
                .unwrap();
        }
    }

    /// One change, from the API call to Jira's answer.
    async fn one_change(&mut self) -> Duration {
        let start = Instant::now();
        self.assign(0).await;
        self.await_answers(1).await;
        start.elapsed()
    }
}

/// Prints the median and the 99th percentile of [`PERCENTILE_RUNS`] sequential changes.
fn report_percentiles(runtime: &Runtime, scene: &mut Scene) {
    let mut latencies: Vec<Duration> = runtime.block_on(async {
        let mut latencies = Vec::with_capacity(PERCENTILE_RUNS);
        for _ in 0..PERCENTILE_RUNS {
            latencies.push(scene.one_change().await);
        }
        latencies
    });
    latencies.sort();
    let at = |fraction: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a few hundred samples"
        )]
        let index = ((latencies.len() as f64 * fraction).ceil() as usize).saturating_sub(1);
        latencies[index.min(latencies.len() - 1)]
    };
    eprintln!(
        "outbound/assign_to_jira_answer over {PERCENTILE_RUNS} changes: median {:.2?}, p99 {:.2?}, max {:.2?}",
        at(0.5),
        at(0.99),
        latencies[latencies.len() - 1]
    );
}

fn outbound(c: &mut Criterion) {
    let runtime = runtime();
    let mut scene = runtime.block_on(Scene::new());
    let mut group = c.benchmark_group("outbound");
    group.sample_size(20);
    group.bench_function("assign_to_jira_answer", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += scene.one_change().await;
                }
                total
            })
        });
    });
    group.sample_size(10);
    group.throughput(Throughput::Elements(ISSUES as u64));
    group.bench_function("assignments_per_worker", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    for n in 0..ISSUES {
                        scene.assign(n).await;
                    }
                    scene.await_answers(ISSUES).await;
                }
                start.elapsed()
            })
        });
    });
    group.finish();
    report_percentiles(&runtime, &mut scene);
}

criterion_group!(benches, outbound);
criterion_main!(benches);
