//! Running the real `jirasync` binary in a temporary directory, and seeding its SQLite database.

// Shared by several test binaries, each using part of it; set-up failures fail the test.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use jirasync_domain::SecretString;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::integration::JiraCredentials;
use jirasync_domain::organization::{Organization, OrganizationFeatures};
use jirasync_domain::rules::install::{InstallRequest, install_jira_server};
use jirasync_domain::store::Installation;
use jirasync_store::{AnyStore, DatabaseUrl};
use jirasync_webhook::WebhookSecret;

/// The consumer key of the seeded integration.
pub const CONSUMER_KEY: &str = "jirasync";
/// The webhook secret of the seeded integration.
pub const WEBHOOK_SECRET: &str = "webhook-secret-for-tests";
/// The integration of `fixtures/serve-state.json`.
pub const SERVE_STATE_EXTERNAL_ID: &str = "jira.example.com:jirasync";

/// The path Jira posts to for the integration of `fixtures/serve-state.json`, with a token
/// signed by its secret.
pub fn serve_state_webhook_path() -> String {
    jirasync_webhook::webhook_url(
        "",
        &jirasync_webhook::mint_token(SERVE_STATE_EXTERNAL_ID, &WebhookSecret::new(WEBHOOK_SECRET)),
    )
}

/// The public URL the tests configure.
pub const PUBLIC_URL: &str = "https://sync.example.com";

/// What a run of the binary left.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A temporary working directory with the default database `jirasync.db` in it.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The database file the binary opens by default (`sqlite://jirasync.db`).
    pub fn database(&self) -> PathBuf {
        self.path().join("jirasync.db")
    }

    /// Runs `jirasync ARGS` here with only the variables `env` (plus none inherited).
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_jirasync"))
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap();
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// Runs `jirasync ARGS` here with an empty environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Opens the database the binary uses.
    pub async fn store(&self) -> Arc<dyn AnyStore> {
        let url = DatabaseUrl::new(self.database().to_str().unwrap());
        jirasync_store::open(&url).await.unwrap()
    }
}

/// A private key the fake Jira never checks (wiremock does not verify signatures).
pub const PRIVATE_KEY_PEM: &str =
    include_str!("../../../jirasync-client/tests/fixtures/rsa-2048-pkcs8.pem");

/// Registers organization `id` named `name` with these features.
pub async fn organization(
    store: &dyn AnyStore,
    id: u64,
    name: &str,
    features: OrganizationFeatures,
) -> OrganizationId {
    let organization = Organization {
        id: OrganizationId::new(id),
        name: name.to_owned(),
        features,
    };
    store.save_organization(organization).await.unwrap();
    OrganizationId::new(id)
}

/// Installs an integration for Jira at `base_url` (OAuth 1.0a credentials) for a new organization
/// (1, `acme`).
pub async fn install(store: &dyn AnyStore, base_url: &str) -> Installation {
    let organization = organization(store, 1, "acme", OrganizationFeatures::all()).await;
    install_for(store, organization, base_url).await
}

/// Installs the integration for Jira at `base_url` for `organization`.
pub async fn install_for(
    store: &dyn AnyStore,
    organization: OrganizationId,
    base_url: &str,
) -> Installation {
    let request = InstallRequest {
        organization_id: organization,
        base_url: base_url.to_owned(),
        consumer_key: CONSUMER_KEY.to_owned(),
        verify_ssl: false,
        webhook_secret: WebhookSecret::new(WEBHOOK_SECRET),
        credentials: JiraCredentials::OAuth1 {
            consumer_key: CONSUMER_KEY.to_owned(),
            private_key_pem: SecretString::new(PRIVATE_KEY_PEM),
            access_token: "access-token".to_owned(),
            access_token_secret: SecretString::new("access-token-secret"),
        },
        installed_by: None,
    };
    install_jira_server(store, request).await.unwrap()
}

/// A file under `crates/jirasync/tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A Jira webhook delivery under the workspace's `tests/fixtures/webhooks/`.
pub fn webhook_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/webhooks")
            .join(name),
    )
    .unwrap()
}

impl Workdir {
    /// A working directory whose database holds `fixtures/serve-state.json`: local issue 9,
    /// linked to APP-123, unassigned; user 2 (jess@example.com) reaches its project; sync flags
    /// on.
    pub fn with_serve_state() -> Self {
        let workdir = Self::new();
        let state = fixture("serve-state.json");
        let imported = workdir.run(&["state", "import", state.to_str().unwrap()]);
        assert_eq!(imported.code, Some(0), "{imported:?}");
        workdir
    }

    /// Runs `jirasync ARGS` here with an empty environment, `input` on standard input.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        run_in(self.path(), args, input)
    }

    /// Starts `jirasync serve --listen 127.0.0.1:0 ARGS` here and waits for its listening line.
    /// Standard error goes to `serve.log` in the directory.
    pub fn serve(&self, args: &[&str]) -> Served {
        self.serve_with_env(args, &[])
    }

    /// [`Workdir::serve`] with the variables `env` (and none inherited).
    pub fn serve_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Served {
        use std::io::BufRead as _;
        use std::process::Stdio;
        let log = self.path().join("serve.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_jirasync"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(address) = line
            .trim_end()
            .strip_prefix("jirasync listening on http://")
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "no listening line, got {line:?}; standard error:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Served {
            address: address.parse().unwrap(),
            child: Some(child),
            log,
        }
    }
}

/// A running `jirasync serve`; killed when dropped (use [`Served::terminate`] to stop it cleanly).
pub struct Served {
    pub address: std::net::SocketAddr,
    child: Option<std::process::Child>,
    log: PathBuf,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Served {
    /// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole answer.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> Answer {
        self.request_with(method, path, &[], body)
    }

    /// As [`Served::request`], with extra headers.
    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let answer = self.exchange(method, path, headers, body).unwrap();
        let answer = String::from_utf8(answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        Answer {
            status,
            body: body.to_owned(),
        }
    }

    /// Sends SIGKILL (`kill -9`: no shutdown of any kind) to the process, which may be in the
    /// middle of anything; dropping `self` reaps it.
    /// The names of the server's threads (`/proc/PID/task/*/comm`, Linux).
    pub fn thread_names(&self) -> Vec<String> {
        let child = self.child.as_ref().unwrap();
        let tasks = std::fs::read_dir(format!("/proc/{}/task", child.id())).unwrap();
        tasks
            .map(|task| {
                let comm = std::fs::read_to_string(task.unwrap().path().join("comm")).unwrap();
                comm.trim_end().to_owned()
            })
            .collect()
    }

    pub fn kill_9(&self) {
        let child = self.child.as_ref().unwrap();
        let sent = Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -9 failed");
    }

    /// As [`Served::request`], but `None` instead of a panic when the connection fails or the
    /// answer is cut off (the server went away); the answer's status.
    pub fn try_request(&self, method: &str, path: &str, body: &[u8]) -> Option<u16> {
        let answer = self.exchange(method, path, &[], body).ok()?;
        let answer = String::from_utf8(answer).ok()?;
        answer.split(' ').nth(1)?.parse().ok()
    }

    /// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole answer.
    fn exchange(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Vec<u8>> {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(self.address)?;
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
            self.address,
            body.len()
        )?;
        stream.write_all(body)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(answer)
    }

    /// Sends SIGTERM and waits for the process; its exit code and standard error.
    pub fn terminate(mut self) -> (Option<i32>, String) {
        let mut child = self.child.take().unwrap();
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM failed");
        let status = child.wait().unwrap();
        (status.code(), std::fs::read_to_string(&self.log).unwrap())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `jirasync ARGS` in `dir` with an empty environment, `input` on standard input.
pub fn run_in(dir: &Path, args: &[&str], input: &str) -> Run {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jirasync"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The binary may stop before reading (a refusal): a closed pipe is no failure here.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}
