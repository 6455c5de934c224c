//! The jirasync service under test and the `connect` step, each in two ways: **in-process**
//! (the library: `jirasync_axum::router` + `spawn_workers` on `jirasync_store::open`, and
//! `OAuthDance` + `setup::install_jira`), runnable today; and through the **binary**
//! (`jirasync serve`, `jirasync connect`), which needs those sub-commands. A scenario picks one
//! with its [`Launch`] value: switching is one line.

// Set-up failures fail the test.
#![allow(clippy::expect_used, clippy::panic)]

use jirasync_domain::app_data::AppId;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use jirasync_axum::{AppState, router};
use jirasync_client::{BaseUrl, ClientOptions, ConsumerKey, OAuthCallback, OAuthDance, PrivateKey};
use jirasync_domain::SecretString;
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::{Host, Inbox, SyncStore};
use jirasync_service::{
    ClientJiraDirectory, JiraInstall, ShutdownTrigger, SyncService, WebhookMode,
    WebhookRegistrationMode as InstallWebhookMode, WorkerOptions, install_jira, shutdown_channel,
    spawn_workers,
};
use jirasync_store::{AnyStore, DatabaseUrl};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::fake_jira::FakeJira;

/// How the service and `connect` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// In this test process, through the library crates.
    InProcess,
    /// Through the real `jirasync` binary (`serve` and `connect`).
    Binary,
}

/// Where the test keeps its files and which database the service uses.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// A temporary directory (the binary's working directory, key and state files).
    pub workdir: PathBuf,
    /// The database URL every process uses.
    pub database_url: String,
}

impl Deployment {
    /// The SQLite file `jirasync.db` in `dir`, which is also the working directory.
    pub fn sqlite_in(dir: &tempfile::TempDir) -> Self {
        Self {
            workdir: dir.path().to_owned(),
            database_url: format!("sqlite://{}", dir.path().join("jirasync.db").display()),
        }
    }

    /// The environment the binary runs with: only the database URL.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![("JIRASYNC_DATABASE_URL", self.database_url.clone())]
    }

    /// Opens the database as the service does.
    pub async fn open_store(&self) -> Arc<dyn AnyStore> {
        jirasync_store::open(&DatabaseUrl::new(self.database_url.as_str()))
            .await
            .expect("open the deployment's database")
    }

    /// Runs `jirasync ARGS` in the working directory with [`Self::env`]; returns stdout, and
    /// fails the test (with stderr) when the command fails.
    pub fn jirasync(&self, args: &[&str]) -> String {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "jirasync {args:?} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
            output.status
        );
        stdout
    }

    /// Runs `jirasync ARGS` expecting it to fail; returns the exit code and stderr.
    pub fn jirasync_refused(&self, args: &[&str]) -> (i32, String) {
        let output = self.run(args);
        assert!(
            !output.status.success(),
            "jirasync {args:?} succeeded: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_jirasync"))
            .args(args)
            .current_dir(&self.workdir)
            .env_clear()
            .envs(self.env())
            .output()
            .expect("run jirasync")
    }
}

/// A running service.
#[derive(Debug)]
pub struct Service {
    url: String,
    running: Running,
}

#[derive(Debug)]
enum Running {
    InProcess {
        shutdown: ShutdownTrigger,
        server: JoinHandle<()>,
        workers: Vec<JoinHandle<()>>,
    },
    Binary {
        child: KillOnDrop,
        /// Kept open so the binary never writes into a closed pipe.
        _stdout: BufReader<ChildStdout>,
    },
}

impl Launch {
    /// Starts the service on `deployment`'s database, listening on 127.0.0.1 port 0, in inbox
    /// mode with `workers` workers.
    pub async fn serve(self, deployment: &Deployment, workers: usize) -> Service {
        self.serve_in_mode(deployment, workers, WebhookMode::Inbox)
            .await
    }

    /// Starts the service as [`Launch::serve`] does, in webhook mode `mode`.
    pub async fn serve_in_mode(
        self,
        deployment: &Deployment,
        workers: usize,
        mode: WebhookMode,
    ) -> Service {
        match self {
            Self::InProcess => serve_in_process(deployment, workers, mode).await,
            Self::Binary => {
                // It blocks until the binary listens: off the runtime's threads.
                let deployment = deployment.clone();
                tokio::task::spawn_blocking(move || serve_binary(&deployment, workers, mode, &[]))
                    .await
                    .expect("start jirasync serve")
            }
        }
    }

    /// Connects `connect.jira` as an operator does: request token with callback `oob`, the user
    /// approves in Jira and copies the verification code, access token, webhook under
    /// `connect.public_url`, install record for `connect.organization`.
    pub async fn connect(self, deployment: &Deployment, connect: &Connect) {
        match self {
            Self::InProcess => connect_in_process(deployment, connect).await,
            Self::Binary => {
                // The fake Jira answers on the runtime while the binary waits on it.
                let (deployment, connect) = (deployment.clone(), connect.clone());
                tokio::task::spawn_blocking(move || connect_binary(&deployment, &connect))
                    .await
                    .expect("run jirasync connect");
            }
        }
    }
}

/// What `connect` is given.
#[derive(Debug, Clone)]
pub struct Connect {
    /// The Jira to connect.
    pub jira: FakeJira,
    /// The consumer key of its Application Link.
    pub consumer_key: String,
    /// The PEM file of the consumer's private key.
    pub private_key_file: PathBuf,
    /// The organization that installs: its application id, or jirasync's number for one that
    /// has none.
    pub organization: String,
    /// The service's public URL, under which the webhook URL is built.
    pub public_url: String,
    /// Also accept the webhook tokens of a Jira wired to Sentry (`--accept-sentry-tokens`).
    pub accept_sentry_tokens: bool,
}

impl Connect {
    /// Organization 1 connects `jira` with [`super::CONSUMER_KEY`] and the fixture key, written to
    /// `jirasync.pem` in the working directory.
    pub fn for_organization_1(jira: &FakeJira, deployment: &Deployment, public_url: &str) -> Self {
        let private_key_file = deployment.workdir.join("jirasync.pem");
        std::fs::write(&private_key_file, super::PRIVATE_KEY_PEM).expect("write the key file");
        Self {
            jira: jira.clone(),
            consumer_key: super::CONSUMER_KEY.to_owned(),
            private_key_file,
            organization: "1".to_owned(),
            public_url: public_url.to_owned(),
            accept_sentry_tokens: false,
        }
    }
}

impl Service {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the service gracefully (the binary with SIGTERM, which must exit 0) and waits for
    /// in-flight work.
    pub async fn stop(self) {
        match self.running {
            Running::InProcess {
                shutdown,
                server,
                workers,
            } => {
                shutdown.trigger();
                let _ = server.await;
                for worker in workers {
                    let _ = worker.await;
                }
            }
            Running::Binary { child, _stdout } => {
                let mut child = child.disarm();
                let status = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status()
                    .expect("send SIGTERM");
                assert!(status.success(), "kill -TERM failed: {status}");
                let exit = tokio::task::spawn_blocking(move || child.wait())
                    .await
                    .expect("wait for jirasync serve")
                    .expect("wait for jirasync serve");
                assert_eq!(exit.code(), Some(0), "jirasync serve after SIGTERM: {exit}");
            }
        }
    }
}

async fn serve_in_process(deployment: &Deployment, workers: usize, mode: WebhookMode) -> Service {
    let store = deployment.open_store().await;
    let sync_store: Arc<dyn SyncStore> = store.clone();
    let host: Arc<dyn Host> = store.clone();
    let inbox: Arc<dyn Inbox> = store.clone();
    let directory = Arc::new(ClientJiraDirectory::new(store));
    let service = SyncService::builder(sync_store, host, directory)
        .inbox(inbox)
        .mode(mode)
        .worker_options(WorkerOptions {
            // Another instance's deliveries are found by polling: keep the wait short.
            idle_poll: Duration::from_millis(50),
            ..WorkerOptions::default()
        })
        .build()
        .expect("build the sync service");
    let state = AppState::new(service.clone());
    let (trigger, shutdown) = shutdown_channel();
    let worker_handles = spawn_workers(&service, workers, &shutdown);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the service");
    let address = listener.local_addr().expect("service address");
    let app = router(state);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.triggered())
            .await;
    });
    Service {
        url: format!("http://{address}"),
        running: Running::InProcess {
            shutdown: trigger,
            server,
            workers: worker_handles,
        },
    }
}

/// A `jirasync serve` child killed when a failing test drops it, so that no orphan keeps the
/// test's output pipe open.
#[derive(Debug)]
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    /// The child, no longer killed on drop.
    fn disarm(mut self) -> Child {
        self.0
            .take()
            .expect("a guard holds its child until disarmed")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The line `jirasync serve` prints once it listens.
const LISTENING: &str = "jirasync listening on ";

/// Starts `jirasync serve` on `deployment` in inbox mode with `workers` workers and the
/// extra flags `extra` (such as `--reconcile-interval 1s`).
pub async fn serve_binary_with(deployment: &Deployment, workers: usize, extra: &[&str]) -> Service {
    let deployment = deployment.clone();
    let extra: Vec<String> = extra.iter().map(|flag| (*flag).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        serve_binary(&deployment, workers, WebhookMode::Inbox, &extra)
    })
    .await
    .expect("start jirasync serve")
}

fn serve_binary(
    deployment: &Deployment,
    workers: usize,
    mode: WebhookMode,
    extra: &[&str],
) -> Service {
    let mode = match mode {
        WebhookMode::Inline => "inline",
        WebhookMode::Inbox => "inbox",
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_jirasync"))
        .args([
            "serve",
            "--database-url",
            &deployment.database_url,
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "http://127.0.0.1",
            "--mode",
            mode,
            "--workers",
            &workers.to_string(),
        ])
        .args(extra)
        .current_dir(&deployment.workdir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start jirasync serve");
    let Some(stdout) = child.stdout.take() else {
        panic!("jirasync serve has a piped stdout")
    };
    let mut stdout = BufReader::new(stdout);
    let mut line = String::new();
    let read = stdout.read_line(&mut line);
    let url = line.trim_end().strip_prefix(LISTENING).map(str::to_owned);
    let Some(url) = url.filter(|_| read.is_ok()) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("jirasync serve printed {line:?} instead of `{LISTENING}http://ADDRESS`")
    };
    Service {
        url,
        running: Running::Binary {
            child: KillOnDrop(Some(child)),
            _stdout: stdout,
        },
    }
}

async fn connect_in_process(deployment: &Deployment, connect: &Connect) {
    let Connect {
        jira,
        consumer_key,
        private_key_file,
        organization,
        public_url,
        accept_sentry_tokens,
    } = connect;
    let pem = std::fs::read_to_string(private_key_file).expect("read the private key");
    let key = PrivateKey::from_pem(&pem).expect("key");
    let base_url = BaseUrl::parse(jira.base_url()).expect("fake Jira URL");
    let options = ClientOptions::new(base_url).verify_ssl(false);
    let dance = OAuthDance::new(
        &options,
        ConsumerKey::new(consumer_key),
        Arc::new(key.clone()),
    )
    .expect("OAuth client");
    let request_token = dance
        .request_token(Some(&OAuthCallback::OutOfBand))
        .await
        .expect("request token");
    let Some(verifier) = jira.approve(request_token.token.as_str()) else {
        panic!("the fake Jira did not issue the request token")
    };
    let access = dance
        .access_token(&request_token, &verifier)
        .await
        .expect("access token");
    let store = deployment.open_store().await;
    // An application id, or jirasync's number for an organization without one.
    let organization = match store
        .app_organization(&AppId::new(organization.as_str()))
        .await
        .expect("look up the organization")
    {
        Some((id, _)) => id,
        None => OrganizationId::new(organization.parse().expect("an organization number")),
    };
    let mut install = JiraInstall::new(
        organization,
        options,
        ConsumerKey::new(consumer_key),
        SecretString::new(pem),
        key,
        access,
    );
    if *accept_sentry_tokens {
        install = install.accept_reference_tokens();
    }
    install_jira(
        store.as_ref(),
        install,
        public_url,
        InstallWebhookMode::Ensure,
    )
    .await
    .expect("install");
}

/// What `jirasync connect` prints before it reads the verification code.
const AUTHORIZE_PROMPT: &str = "Open this URL to authorize: ";

fn connect_binary(deployment: &Deployment, connect: &Connect) {
    let Connect {
        jira,
        consumer_key,
        private_key_file,
        organization,
        public_url,
        accept_sentry_tokens,
    } = connect;
    let mut env = deployment.env();
    env.push(("JIRASYNC_PUBLIC_URL", public_url.to_owned()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_jirasync"))
        .args([
            "connect",
            "--url",
            jira.base_url(),
            "--consumer-key",
            consumer_key.as_str(),
        ])
        .arg("--private-key")
        .arg(private_key_file)
        .args(["--organization", organization.as_str(), "--no-verify-ssl"])
        .args(accept_sentry_tokens.then_some("--accept-sentry-tokens"))
        .current_dir(&deployment.workdir)
        .env_clear()
        .envs(env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start jirasync connect");
    let (Some(stdout), Some(mut stdin)) = (child.stdout.take(), child.stdin.take()) else {
        panic!("jirasync connect has piped stdin and stdout")
    };
    let mut stdout = BufReader::new(stdout);
    let mut printed = String::new();
    let mut authorize_url = None;
    let mut line = String::new();
    while authorize_url.is_none() && stdout.read_line(&mut line).is_ok_and(|read| read > 0) {
        printed.push_str(&line);
        authorize_url = line
            .trim_end()
            .strip_prefix(AUTHORIZE_PROMPT)
            .map(str::to_owned);
        line.clear();
    }
    let request_token = authorize_url
        .and_then(|url| url::Url::parse(&url).ok())
        .and_then(|url| {
            url.query_pairs()
                .find(|(key, _)| key == "oauth_token")
                .map(|(_, token)| token.into_owned())
        });
    let verifier = request_token.and_then(|token| jira.approve(&token));
    let Some(verifier) = verifier else {
        let _ = child.kill();
        let output = child.wait_with_output();
        panic!(
            "jirasync connect printed no authorize URL with a token the fake issued:\n{printed}\n{output:?}"
        )
    };
    let _ = writeln!(stdin, "{verifier}");
    drop(stdin);
    let _ = stdout.read_to_string(&mut printed);
    let output = child.wait_with_output().expect("wait for jirasync connect");
    assert!(
        output.status.success(),
        "jirasync connect failed ({}):\nstdout: {printed}{}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
