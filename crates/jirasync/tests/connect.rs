//! `jirasync connect` and `jirasync webhook ensure` through the real binary, against the fake
//! Jira of the setup tests (wiremock on 127.0.0.1, every RSA-SHA1 signature checked with the test
//! key's public half).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

#[path = "../../jirasync-axum/tests/setup_support/mod.rs"]
mod setup_support;
mod support;

use jirasync_domain::integration::JIRA_SERVER_PROVIDER;
use jirasync_domain::organization::OrganizationFeatures;
use setup_support::{ACCESS_TOKEN, CONSUMER_KEY, FakeJira, REQUEST_TOKEN, WEBHOOKS};
use support::{PUBLIC_URL, Run, Workdir};

/// A working directory whose database holds `organizations` organizations, and the test key in
/// `key.pem`.
async fn workdir(organizations: usize) -> Workdir {
    let workdir = Workdir::new();
    let store = workdir.store().await;
    for index in 0..organizations {
        let id = u64::try_from(index).unwrap() + 1;
        let name = format!("org-{index}");
        support::organization(store.as_ref(), id, &name, OrganizationFeatures::all()).await;
    }
    std::fs::write(
        workdir.path().join("key.pem"),
        setup_support::private_key_pem(),
    )
    .unwrap();
    workdir
}

fn connect_args<'a>(jira_url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "connect",
        "--public-url",
        PUBLIC_URL,
        "--url",
        jira_url,
        "--consumer-key",
        CONSUMER_KEY,
        "--private-key",
        "key.pem",
    ];
    args.extend_from_slice(extra);
    args
}

/// Runs the blocking binary off the runtime that the fake Jira's test drives.
async fn run(workdir: &Workdir, args: Vec<String>, stdin: &str) -> Run {
    let dir = workdir.path().to_owned();
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        support::run_in(&dir, &args, &stdin)
    })
    .await
    .unwrap()
}

/// Runs `jirasync connect` for the fake Jira's consumer with the test key, and `extra` flags.
async fn connect(workdir: &Workdir, jira_url: &str, extra: &[&str], stdin: &str) -> Run {
    run(workdir, owned(&connect_args(jira_url, extra)), stdin).await
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

async fn assert_nothing_installed(workdir: &Workdir) {
    let store = workdir.store().await;
    assert!(
        store
            .integrations()
            .await
            .unwrap()
            .iter()
            .all(|integration| integration.provider != JIRA_SERVER_PROVIDER),
        "an integration was stored"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connects_with_the_verifier_read_from_standard_input() {
    let jira = FakeJira::start().await;
    let workdir = workdir(1).await;
    let url = jira.url();

    let connected = connect(&workdir, &url, &[], "the-verifier\n").await;
    assert_eq!(connected.code, Some(0), "{connected:?}");
    assert!(
        connected.stdout.contains(&format!(
            "Open this URL to authorize: {url}plugins/servlet/oauth/authorize?oauth_token={REQUEST_TOKEN}\n"
        )),
        "{connected:?}"
    );
    // The request token asks for the out-of-band callback; the code typed is the verifier.
    let requested = jira.seen.to("/request-token");
    assert_eq!(requested[0].callback.as_deref(), Some("oob"));
    let exchanged = jira.seen.to("/access-token");
    assert_eq!(exchanged[0].verifier.as_deref(), Some("the-verifier"));

    let external_id = jira.external_id();
    assert!(
        connected
            .stdout
            .contains(&format!("Installed the Jira integration {external_id} (")),
        "{connected:?}"
    );
    assert!(
        connected.stdout.contains(&format!(
            "Webhook 1 created: {PUBLIC_URL}/extensions/jira-server/issue-updated/[redacted]/"
        )),
        "{connected:?}"
    );
    let webhooks = jira.webhooks.all();
    assert_eq!(webhooks.len(), 1);
    let webhook_url = webhooks[0]["url"].as_str().unwrap();
    assert!(webhook_url.starts_with(PUBLIC_URL), "{webhook_url}");
    let token = webhook_url.rsplit('/').nth(1).unwrap();
    assert!(!connected.stdout.contains(token) && !connected.stderr.contains(token));

    let store = workdir.store().await;
    let integration = store
        .integration_by_external_id(JIRA_SERVER_PROVIDER, &external_id)
        .await
        .unwrap()
        .unwrap();
    let links = store.organization_links(integration.id).await.unwrap();
    assert_eq!(links.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn connecting_twice_with_the_verifier_flag_registers_one_webhook() {
    let jira = FakeJira::start().await;
    let workdir = workdir(1).await;
    let url = jira.url();
    let args = owned(&connect_args(&url, &["--verifier", "code"]));

    let first = run(&workdir, args.clone(), "").await;
    assert_eq!(first.code, Some(0), "{first:?}");
    let second = run(&workdir, args, "").await;
    assert_eq!(second.code, Some(0), "{second:?}");

    assert_eq!(jira.webhooks.all().len(), 1);
    assert!(
        second.stdout.contains("Webhook 1 already registered: "),
        "{second:?}"
    );
    assert!(
        second.stdout.contains("(it was installed already"),
        "{second:?}"
    );
}

/// Connects with `--manual-webhook`; checks what it printed and gives the webhook URL handed out.
async fn connect_manually(workdir: &Workdir, jira_url: &str) -> String {
    let connected = connect(
        workdir,
        jira_url,
        &["--manual-webhook", "--verifier", "code"],
        "",
    )
    .await;
    assert_eq!(connected.code, Some(0), "{connected:?}");
    assert!(
        connected
            .stdout
            .contains("Events: jira:issue_created, jira:issue_updated\n"),
        "{connected:?}"
    );
    connected
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("Ask a Jira administrator to create this webhook: "))
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_webhook_prints_the_url_for_an_administrator_and_registers_none() {
    let jira = FakeJira::start().await;
    let workdir = workdir(1).await;

    let manual_url = connect_manually(&workdir, &jira.url()).await;
    assert!(
        manual_url.starts_with(&format!(
            "{PUBLIC_URL}/extensions/jira-server/issue-updated/ey"
        )),
        "{manual_url}"
    );
    assert_eq!(jira.requests_to(WEBHOOKS).await, 0);
    assert!(jira.webhooks.all().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_ensure_registers_the_webhook_once() {
    let jira = FakeJira::start().await;
    let workdir = workdir(1).await;
    let url = jira.url();
    let manual_url = connect_manually(&workdir, &url).await;

    let ensure = owned(&["webhook", "ensure", "--public-url", PUBLIC_URL]);
    let first = run(&workdir, ensure.clone(), "").await;
    assert_eq!(first.code, Some(0), "{first:?}");
    assert!(
        first.stdout.contains(&format!(
            "Jira at {}:\nWebhook 1 created: {PUBLIC_URL}/extensions/jira-server/issue-updated/[redacted]/\n",
            url.trim_end_matches('/')
        )),
        "{first:?}"
    );
    let second = run(&workdir, ensure, "").await;
    assert_eq!(second.code, Some(0), "{second:?}");
    assert!(
        second.stdout.contains("Webhook 1 already registered: "),
        "{second:?}"
    );

    let webhooks = jira.webhooks.all();
    assert_eq!(webhooks.len(), 1);
    // The same URL the manual install handed out: Jira and the stored secret agree.
    assert_eq!(webhooks[0]["url"].as_str(), Some(manual_url.as_str()));
    let signed: Vec<_> = jira.seen.to(WEBHOOKS);
    assert!(
        signed
            .iter()
            .all(|request| request.token.as_deref() == Some(ACCESS_TOKEN))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_token_explains_itself_and_stores_nothing() {
    let jira = FakeJira::start().await;
    let workdir = workdir(1).await;
    let url = jira.url();
    let mut args = owned(&connect_args(&url, &["--verifier", "code"]));
    let key = args.iter().position(|arg| arg == CONSUMER_KEY).unwrap();
    args[key] = "unknown-consumer".to_owned();

    let refused = run(&workdir, args, "").await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("cannot get a request token from Jira")
            && refused.stderr.contains("consumer_key_unknown"),
        "{refused:?}"
    );
    assert!(!refused.stdout.contains("Open this URL"), "{refused:?}");
    assert_eq!(jira.requests_to("/access-token").await, 0);
    assert_nothing_installed(&workdir).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_verification_code_is_refused_and_stores_nothing() {
    let jira = FakeJira::start().await;
    let workdir = workdir(1).await;
    let url = jira.url();

    let refused = connect(&workdir, &url, &[], "\n").await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("error: no verification code was given: paste the code Jira shows"),
        "{refused:?}"
    );
    assert_eq!(jira.requests_to("/access-token").await, 0);
    assert_nothing_installed(&workdir).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refuses_a_bad_url_and_key_file_with_the_setup_form_messages() {
    let jira = FakeJira::start().await;
    let workdir = workdir(1).await;
    std::fs::write(workdir.path().join("bad.pem"), "not a key").unwrap();
    let args = owned(&[
        "connect",
        "--url",
        "jira.example.com",
        "--consumer-key",
        CONSUMER_KEY,
        "--private-key",
        "bad.pem",
        "--verifier",
        "code",
    ]);

    let refused = run(&workdir, args, "").await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stderr.contains("error: cannot connect: --url: Enter a valid URL. --url: The Jira URL is not usable: it has no scheme: write https:// (or http://) before the host. --private-key bad.pem: Private key must be a valid SSH private key encoded in a PEM format."),
        "{refused:?}"
    );
    assert!(jira.server.received_requests().await.unwrap().is_empty());
    assert_nothing_installed(&workdir).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_key_file_is_named() {
    let workdir = workdir(1).await;
    let args = owned(&connect_args("https://jira.example.com", &[]));
    let mut args = args;
    let key = args.iter().position(|arg| arg == "key.pem").unwrap();
    args[key] = "missing.pem".to_owned();

    let refused = run(&workdir, args, "").await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("error: cannot read the private key missing.pem:"),
        "{refused:?}"
    );
}

/// Runs `connect` with `extra` flags for a Jira it must not reach; checks it failed with exit
/// code 1 and installed nothing, and gives its standard error.
async fn refusal(workdir: &Workdir, extra: &[&str]) -> String {
    let mut flags = vec!["--verifier", "code"];
    flags.extend_from_slice(extra);
    let refused = connect(workdir, "https://jira.example.com", &flags, "").await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert_nothing_installed(workdir).await;
    refused.stderr
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_organization_it_says_to_import_one() {
    let workdir = workdir(0).await;
    let stderr = refusal(&workdir, &[]).await;
    assert!(stderr.contains("jirasync state import FILE"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_several_organizations_it_lists_them() {
    let workdir = workdir(2).await;
    let ids: Vec<String> = workdir
        .store()
        .await
        .organizations()
        .await
        .unwrap()
        .iter()
        .map(|organization| organization.id.get().to_string())
        .collect();
    let stderr = refusal(&workdir, &[]).await;
    assert!(
        stderr.contains(&format!(
            "several organizations ({}): choose the one that installs with --organization ORG",
            ids.join(", ")
        )),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_organization_is_refused_naming_the_known_ones() {
    let workdir = workdir(1).await;
    let stderr = refusal(&workdir, &["--organization", "999"]).await;
    assert!(
        stderr.contains("no organization has the id \"999\"; the organizations: 1"),
        "{stderr}"
    );
}
