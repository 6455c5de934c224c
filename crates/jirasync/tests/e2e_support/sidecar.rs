//! The service as an application beside it sees it: `jirasync serve` with an admin token, calls
//! to the host API, a subscriber that keeps what it is pushed, and the check of each push's
//! Standard Webhooks signature, by hand against the specification and with the
//! `standardwebhooks` Python package.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use super::fake_jira::FakeJira;
use super::service::{Connect, Deployment, Launch};

/// The admin token `Serve` runs with.
pub const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789";
/// The subscribers' signing secret.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// A generous bound on every wait.
pub const BOUND: Duration = Duration::from_secs(90);

/// `jirasync serve` as a child process, killed (SIGKILL) on drop.
pub struct Serve {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _stdout: BufReader<ChildStdout>,
}

impl Serve {
    /// Starts it on `deployment` with the admin token.
    pub fn start(deployment: &Deployment) -> Self {
        Self::start_with(deployment, &[])
    }

    /// `jirasync serve` with these extra flags.
    pub fn start_with(deployment: &Deployment, flags: &[&str]) -> Self {
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

    /// [`Serve::start_with`] off the runtime's threads (it blocks until the binary listens).
    pub async fn spawn(deployment: &Deployment, flags: &[&str]) -> Self {
        let deployment = deployment.clone();
        let flags: Vec<String> = flags.iter().map(|flag| (*flag).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
            Self::start_with(&deployment, &flags)
        })
        .await
        .expect("start jirasync serve")
    }

    /// `kill -9`: no shutdown, no flush, claims left behind.
    pub fn kill_9(mut self) {
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
pub struct Push {
    /// The headers, by lower-case name.
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl Push {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> &str {
        &self
            .headers
            .iter()
            .find(|(key, _)| key == name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .1
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A subscriber on `port` answering 200 and keeping every push.
pub async fn subscriber(port: u16) -> Arc<Mutex<Vec<Push>>> {
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

/// Subscribes a [`subscriber`] on a free port to the events of the service at `base`
/// (`http://127.0.0.1:PORT`), with [`SECRET`]; what it is pushed.
pub async fn subscribe(base: &str) -> Arc<Mutex<Vec<Push>>> {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let pushes = subscriber(port).await;
    expect(
        reqwest::Method::POST,
        format!("{base}/api/v1/subscriptions"),
        Some(json!({"url": format!("http://127.0.0.1:{port}/hook"), "secret": SECRET})),
        201,
    )
    .await;
    pushes
}

/// Calls the host API with the admin token; the status and the JSON body (null when none).
pub async fn api(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
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

/// Calls the host API with the admin token and checks the status; the JSON answer.
pub async fn expect(
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
    status: u16,
) -> Value {
    let (got, answer) = api(method.clone(), url.clone(), body).await;
    assert_eq!(got, status, "{method} {url}: {answer}");
    answer
}

/// Waits (up to [`BOUND`]) until `done` holds, checking every 100 ms.
pub async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = tokio::time::Instant::now();
    while !done().await {
        assert!(started.elapsed() < BOUND, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Verifies each push with the `standardwebhooks` Python package; skips, saying why, when
/// `python3 -c "import standardwebhooks"` fails (the CI gate installs it in a throw-away
/// virtualenv).
pub fn verify_with_standardwebhooks(pushes: &[Push]) {
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

/// Checks each push's signature by hand, as the Standard Webhooks specification defines it:
/// `v1,` and the base64 HMAC-SHA256, keyed with the secret's base64 part after `whsec_`, of
/// `webhook-id.webhook-timestamp.body`.
pub fn verify_by_hand(pushes: &[Push]) {
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    for push in pushes {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(push.header("webhook-id").as_bytes());
        mac.update(b".");
        mac.update(push.header("webhook-timestamp").as_bytes());
        mac.update(b".");
        mac.update(&push.body);
        let expected = format!("v1,{}", engine.encode(mac.finalize().into_bytes()));
        let signatures: Vec<&str> = push.header("webhook-signature").split(' ').collect();
        assert!(
            signatures.contains(&expected.as_str()),
            "{expected} is not among {signatures:?}"
        );
    }
}

/// Connects `jira` for the application's organization `acme` through the binary (its data
/// already given to the service at `base`), turns on the sync `flags` (the body of the
/// configuration `PATCH`), and links the application's `I-1` to `SHOP-1`; gives the path Jira
/// posts its webhooks to.
pub async fn connect_acme_and_link(
    jira: &FakeJira,
    deployment: &Deployment,
    base: &str,
    flags: Value,
) -> String {
    let v1 = |path: &str| format!("{base}/api/v1{path}");
    let mut connect = Connect::for_organization_1(jira, deployment, base);
    connect.organization = "acme".to_owned();
    Launch::Binary.connect(deployment, &connect).await;
    let webhooks = jira.webhooks();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    let integrations = expect(
        reqwest::Method::GET,
        v1("/organizations/acme/integrations"),
        None,
        200,
    )
    .await;
    let integration = integrations[0]["integration"].as_u64().unwrap();
    expect(
        reqwest::Method::PATCH,
        v1(&format!(
            "/organizations/acme/integrations/{integration}/config"
        )),
        Some(flags),
        200,
    )
    .await;
    expect(
        reqwest::Method::PUT,
        v1("/organizations/acme/issues/I-1/jira-links/SHOP-1"),
        None,
        201,
    )
    .await;
    super::webhook_path(&webhooks[0].url)
}
