//! The setup pages as a person uses them, in a real headless Chromium: `jirasync serve` and the
//! end-to-end fake Jira run here, `jirasync setup-link` prints a link, and
//! `tests/browser/setup-flow.mjs` (playwright-core) opens it, fills the form, approves in Jira
//! and checks the success page, writing screenshots to `<target>/screenshots/`.
//!
//! Ignored by default: it needs Chromium and playwright-core, which `.ci/run` installs before it
//! runs this test with `--ignored`. When either is missing the test fails (it never skips).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "a panic is a failed test"
)]

mod e2e_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use e2e_support::fake_jira::FakeJira;
use e2e_support::service::Deployment;
use e2e_support::{CONSUMER_KEY, PRIVATE_KEY_PEM, private_key};
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::integration::{ExternalId, JIRA_SERVER_PROVIDER};
use jirasync_domain::organization::{Organization, OrganizationFeatures};
use jirasync_domain::setup::SetupTokenHash;

/// Ends the child process when the test ends, whatever happens.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The repository's root.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `<target>/screenshots`.
fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("screenshots")
}

/// Starts `jirasync serve` on 127.0.0.1 port 0, with no public URL configured (it follows the
/// port bound); gives the process and `http://127.0.0.1:PORT`.
fn serve(deployment: &Deployment) -> (KillOnDrop, String, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jirasync"))
        .args(["serve", "--listen", "127.0.0.1:0", "--mode", "inline"])
        .current_dir(&deployment.workdir)
        .env_clear()
        .env("JIRASYNC_DATABASE_URL", &deployment.database_url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start jirasync serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let child = KillOnDrop(child);
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("read the listening line");
    let url = line
        .trim_end()
        .strip_prefix("jirasync listening on ")
        .unwrap_or_else(|| panic!("jirasync serve printed {line:?}"))
        .to_owned();
    (child, url, stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and playwright-core (NODE_PATH): .ci/run installs them and runs it"]
async fn a_person_connects_jira_through_the_setup_pages_with_a_one_time_link() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = Deployment::sqlite_in(&dir);
    let store = deployment.open_store().await;
    store
        .save_organization(Organization {
            id: OrganizationId::new(1),
            name: "acme".to_owned(),
            features: OrganizationFeatures::all(),
        })
        .await
        .unwrap();
    let jira = FakeJira::start("9.12.2", CONSUMER_KEY, private_key().public_key()).await;
    let key_file = deployment.workdir.join("jirasync.pem");
    std::fs::write(&key_file, PRIVATE_KEY_PEM).unwrap();

    let (_server, url, _stdout) = {
        let deployment = deployment.clone();
        tokio::task::spawn_blocking(move || serve(&deployment))
            .await
            .unwrap()
    };
    let printed = deployment.jirasync(&["--public-url", &url, "setup-link", "--organization", "1"]);
    let link = printed.lines().next().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{url}/extensions/jira-server/setup/?setup_token=")),
        "{printed}"
    );
    let token = link.rsplit('=').next().unwrap().to_owned();

    let screenshots = screenshot_dir();
    let node_path = std::env::var("NODE_PATH").unwrap_or_default();
    let script = repository().join("tests/browser/setup-flow.mjs");
    let jira_url = jira.base_url().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("NODE_PATH", node_path)
            .env("SETUP_LINK", &link)
            .env("JIRA_URL", jira_url)
            .env("CONSUMER_KEY", CONSUMER_KEY)
            .env("PRIVATE_KEY_FILE", key_file)
            .env("SCREENSHOT_DIR", &screenshots)
            .output()
    })
    .await
    .unwrap()
    .expect("run node: install Node.js (the browser test cannot run without it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser flow failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    eprintln!("{stdout}screenshots in {}", screenshot_dir().display());

    // What the person did is stored: the integration, its webhook in Jira, the used link.
    let host = jira.base_url().trim_start_matches("http://").to_owned();
    let integration = store
        .integration_by_external_id(
            JIRA_SERVER_PROVIDER,
            &ExternalId::for_jira(&host, CONSUMER_KEY),
        )
        .await
        .unwrap();
    assert!(integration.is_some(), "no integration was stored");
    assert_eq!(jira.webhooks().len(), 1);
    assert!(
        jira.webhooks()[0]
            .url
            .starts_with(&format!("{url}/extensions/jira-server/issue-updated/"))
    );
    let used = store
        .setup_link(&SetupTokenHash::of(&token))
        .await
        .unwrap()
        .unwrap();
    assert!(used.used_at.is_some());
    assert_eq!(
        store.public_url().await.unwrap().as_deref(),
        Some(url.as_str())
    );
}
