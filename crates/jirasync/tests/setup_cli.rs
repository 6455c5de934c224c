//! The set-up a Jira administrator follows, through the real binary: one-time set-up links,
//! turning setup off, the allowed Jira hosts, the public URL saved at install and reused, the
//! loopback warnings, moving the webhook to a new public URL, and what `connect` says to do next.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

#[path = "../../jirasync-axum/tests/setup_support/mod.rs"]
mod setup_support;
mod support;

use jirasync_domain::app_data::{AppId, OrganizationData};
use jirasync_domain::organization::OrganizationFeatures;
use jirasync_domain::setup::SetupTokenHash;
use setup_support::{CONSUMER_KEY, FakeJira};
use support::{PUBLIC_URL, Run, Workdir};

/// A working directory with organization 1 and the test key in `key.pem`.
async fn workdir() -> Workdir {
    let workdir = Workdir::new();
    let store = workdir.store().await;
    support::organization(store.as_ref(), 1, "acme", OrganizationFeatures::all()).await;
    std::fs::write(
        workdir.path().join("key.pem"),
        setup_support::private_key_pem(),
    )
    .unwrap();
    workdir
}

/// Runs the blocking binary off the runtime that the fake Jira's test drives.
async fn run(workdir: &Workdir, args: &[&str]) -> Run {
    let dir = workdir.path().to_owned();
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        support::run_in(&dir, &args, "")
    })
    .await
    .unwrap()
}

async fn connect(workdir: &Workdir, jira: &FakeJira, extra: &[&str]) -> Run {
    let url = jira.url();
    let mut args = vec![
        "connect",
        "--url",
        url.as_str(),
        "--consumer-key",
        CONSUMER_KEY,
        "--private-key",
        "key.pem",
        "--verifier",
        "code",
    ];
    args.extend_from_slice(extra);
    run(workdir, &args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_link_prints_a_one_time_link_and_stores_only_its_hash() {
    let workdir = workdir().await;
    let printed = run(
        &workdir,
        &[
            "--public-url",
            PUBLIC_URL,
            "setup-link",
            "--organization",
            "1",
            "--ttl",
            "30m",
        ],
    )
    .await;
    assert_eq!(printed.code, Some(0), "{printed:?}");
    let link = printed.stdout.lines().next().unwrap();
    let prefix = format!("{PUBLIC_URL}/extensions/jira-server/setup/?setup_token=");
    let token = link.strip_prefix(&prefix).unwrap();
    assert_eq!(token.len(), 64, "{link}");
    assert!(
        printed
            .stdout
            .contains("for organization 1. It works once, until ")
    );
    assert!(!printed.stderr.contains(token), "the token reached the log");

    let store = workdir.store().await;
    let stored = store
        .setup_link(&SetupTokenHash::of(token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.expires_at - stored.created_at, 1800);
    assert_eq!(stored.organization_id.map(|id| id.get()), Some(1));
    assert_eq!(stored.used_at, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_link_and_connect_name_an_organization_by_its_application_id() {
    let workdir = workdir().await;
    let store = workdir.store().await;
    store
        .upsert_organizations(&[OrganizationData {
            id: AppId::new("globex"),
            name: "Globex".into(),
            features: None,
        }])
        .await
        .unwrap();
    let (globex, _) = store
        .app_organization(&AppId::new("globex"))
        .await
        .unwrap()
        .unwrap();
    let printed = run(
        &workdir,
        &[
            "--public-url",
            PUBLIC_URL,
            "setup-link",
            "--organization",
            "globex",
        ],
    )
    .await;
    assert_eq!(printed.code, Some(0), "{printed:?}");
    assert!(
        printed.stdout.contains("for organization globex."),
        "{printed:?}"
    );
    let token = printed
        .stdout
        .lines()
        .next()
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap();
    let stored = store
        .setup_link(&SetupTokenHash::of(token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.organization_id, Some(globex));

    // Without --organization, connect names both ways of choosing.
    let jira = FakeJira::start().await;
    let several = connect(&workdir, &jira, &["--public-url", PUBLIC_URL]).await;
    assert_eq!(several.code, Some(1), "{several:?}");
    assert!(
        several.stderr.contains(
            "several organizations (1, globex): choose the one that installs with --organization ORG"
        ),
        "{several:?}"
    );
    let connected = connect(
        &workdir,
        &jira,
        &["--public-url", PUBLIC_URL, "--organization", "globex"],
    )
    .await;
    assert_eq!(connected.code, Some(0), "{connected:?}");
    assert!(
        connected
            .stdout
            .contains("jirasync config set --organization globex --integration "),
        "{connected:?}"
    );
    let integration = store.integrations().await.unwrap().remove(0);
    let linked: Vec<_> = store
        .organization_links(integration.id)
        .await
        .unwrap()
        .iter()
        .map(|link| link.link.organization_id)
        .collect();
    assert_eq!(linked, [globex]);
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_link_refuses_unknown_organizations_bad_lifetimes_and_setup_turned_off() {
    let workdir = workdir().await;
    let unknown = run(&workdir, &["setup-link", "--organization", "7"]).await;
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("no organization has the id \"7\"; the organizations: 1"),
        "{unknown:?}"
    );
    let bad_ttl = run(&workdir, &["setup-link", "--ttl", "2w"]).await;
    assert_eq!(bad_ttl.code, Some(2), "{bad_ttl:?}");
    assert!(
        bad_ttl.stderr.contains("expected a duration from 1s to 7d"),
        "{bad_ttl:?}"
    );
    let off = run(&workdir, &["--no-setup", "setup-link"]).await;
    assert_eq!(off.code, Some(1), "{off:?}");
    assert!(
        off.stderr.contains("the setup pages are turned off"),
        "{off:?}"
    );
}

#[test]
fn serve_answers_404_on_the_setup_routes_when_setup_is_off_and_401_without_a_credential() {
    let workdir = Workdir::new();
    // (flags, variables, status of the setup routes)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], u16);
    let cases: [Case<'_>; 4] = [
        (&[], &[], 401),
        (&["--no-setup"], &[], 404),
        (&[], &[("JIRASYNC_NO_SETUP", "true")], 404),
        (&[], &[("JIRASYNC_NO_SETUP", "false")], 401),
    ];
    for (args, env, status) in cases {
        let served = workdir.serve_with_env(args, env);
        for (method, path, body) in [
            ("GET", "/extensions/jira-server/setup/", &b""[..]),
            ("POST", "/extensions/jira-server/setup/", b"url=x"),
            (
                "POST",
                "/extensions/jira-server/setup/api/",
                br#"{"action":"initialize"}"#,
            ),
        ] {
            let answer =
                served.request_with(method, path, &[("Content-Type", "application/json")], body);
            assert_eq!(
                answer.status, status,
                "{args:?} {env:?} {method} {path}: {answer:?}"
            );
        }
        let health = served.request("GET", "/healthz", b"");
        assert_eq!(health.status, 200);
        drop(served);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_refuses_a_jira_host_outside_the_allow_list_without_a_request() {
    let workdir = workdir().await;
    let jira = FakeJira::start().await;
    let refused = connect(
        &workdir,
        &jira,
        &["--jira-allowed-hosts", "jira.example.com,*.corp.example"],
    )
    .await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("--url: jirasync is not allowed to connect to 127.0.0.1:"),
        "{refused:?}"
    );
    assert!(
        refused.stderr.contains("jira.example.com, *.corp.example"),
        "{refused:?}"
    );
    assert_eq!(jira.server.received_requests().await.unwrap().len(), 0);
    let store = workdir.store().await;
    assert!(store.integrations().await.unwrap().is_empty());

    // Allowed by its address: it connects.
    let allowed = connect(
        &workdir,
        &jira,
        &[
            "--public-url",
            PUBLIC_URL,
            "--jira-allowed-hosts",
            "127.0.0.1",
        ],
    )
    .await;
    assert_eq!(allowed.code, Some(0), "{allowed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_allow_list_entry_is_a_usage_error() {
    let workdir = workdir().await;
    let refused = run(
        &workdir,
        &["--jira-allowed-hosts", "http://jira/x", "setup-link"],
    )
    .await;
    assert_eq!(refused.code, Some(2), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("invalid flag --jira-allowed-hosts \"http://jira/x\""),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_saves_the_public_url_says_what_to_do_next_and_later_commands_reuse_it() {
    let workdir = workdir().await;
    let jira = FakeJira::start().await;
    let connected = connect(&workdir, &jira, &["--public-url", PUBLIC_URL]).await;
    assert_eq!(connected.code, Some(0), "{connected:?}");
    assert!(!connected.stdout.contains("loopback"), "{connected:?}");
    for next in [
        "Next steps: nothing syncs until issues are linked and sync is turned on.",
        "jirasync config set --organization 1 --integration ",
        "jirasync link ISSUE JIRA-KEY",
        "POST /api/v1/",
        "see docs/api.md",
        "jirasync doctor",
    ] {
        assert!(
            connected.stdout.contains(next),
            "{next}: {}",
            connected.stdout
        );
    }
    let store = workdir.store().await;
    assert_eq!(
        store.public_url().await.unwrap().as_deref(),
        Some(PUBLIC_URL)
    );

    // Without --public-url, webhook ensure and setup-link use the saved one.
    let ensured = run(&workdir, &["webhook", "ensure"]).await;
    assert_eq!(ensured.code, Some(0), "{ensured:?}");
    assert!(
        ensured.stdout.contains(&format!(
            "Webhook 1 already registered: {PUBLIC_URL}/extensions/jira-server/issue-updated/[redacted]/"
        )),
        "{ensured:?}"
    );
    let doctor = run(&workdir, &["doctor"]).await;
    assert!(
        doctor.stdout.contains(&format!(
            "webhook: webhook 1 posts to {PUBLIC_URL}/extensions/jira-server/issue-updated/[redacted]/"
        )),
        "{doctor:?}"
    );
    let link = run(&workdir, &["setup-link"]).await;
    assert!(
        link.stdout.starts_with(&format!(
            "{PUBLIC_URL}/extensions/jira-server/setup/?setup_token="
        )),
        "{link:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_ensure_moves_the_webhook_to_a_new_public_url_and_says_so() {
    let workdir = workdir().await;
    let jira = FakeJira::start().await;
    let connected = connect(
        &workdir,
        &jira,
        &["--public-url", "https://old.example.com"],
    )
    .await;
    assert_eq!(connected.code, Some(0), "{connected:?}");
    assert_eq!(jira.webhooks.all().len(), 1);

    let moved = run(&workdir, &["--public-url", PUBLIC_URL, "webhook", "ensure"]).await;
    assert_eq!(moved.code, Some(0), "{moved:?}");
    assert!(
        moved.stdout.contains(&format!(
            "Webhook 2 created: {PUBLIC_URL}/extensions/jira-server/issue-updated/[redacted]/"
        )),
        "{moved:?}"
    );
    assert!(
        moved.stdout.contains(
            "Deleted webhook 1 of this installation that posted to an old URL: https://old.example.com/extensions/jira-server/issue-updated/[redacted]/"
        ),
        "{moved:?}"
    );
    let webhooks = jira.webhooks.all();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    assert!(webhooks[0]["url"].as_str().unwrap().starts_with(PUBLIC_URL));
    let store = workdir.store().await;
    assert_eq!(
        store.public_url().await.unwrap().as_deref(),
        Some(PUBLIC_URL)
    );

    // Nothing left to move: it says nothing about old URLs.
    let again = run(&workdir, &["webhook", "ensure"]).await;
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(!again.stdout.contains("old URL"), "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_ensure_leaves_webhooks_of_other_installations_alone() {
    let workdir = workdir().await;
    let jira = FakeJira::start().await;
    let connected = connect(&workdir, &jira, &["--public-url", PUBLIC_URL]).await;
    assert_eq!(connected.code, Some(0), "{connected:?}");
    // Another jirasync (another secret) on the same Jira, at another URL.
    let other_token = jirasync_webhook::mint_token(
        jira.external_id().as_str(),
        &jirasync_webhook::WebhookSecret::new("another-installation"),
    );
    jira.webhooks.add(
        "other",
        &jirasync_webhook::webhook_url("https://other.example.com", &other_token),
    );
    let ensured = run(&workdir, &["webhook", "ensure"]).await;
    assert_eq!(ensured.code, Some(0), "{ensured:?}");
    assert!(!ensured.stdout.contains("old URL"), "{ensured:?}");
    assert_eq!(jira.webhooks.all().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn keygen_and_connect_warn_about_a_loopback_public_url() {
    let workdir = workdir().await;
    let keygen = run(&workdir, &["keygen", "--out", "keys", "--bits", "2048"]).await;
    assert_eq!(keygen.code, Some(0), "{keygen:?}");
    assert!(
        keygen.stdout.contains(
            "warning: the public URL http://127.0.0.1:8080 is a loopback address: Jira cannot reach it"
        ),
        "{keygen:?}"
    );
    let public = run(
        &workdir,
        &[
            "--public-url",
            PUBLIC_URL,
            "keygen",
            "--out",
            "keys2",
            "--bits",
            "2048",
        ],
    )
    .await;
    assert!(!public.stdout.contains("loopback"), "{public:?}");

    let jira = FakeJira::start().await;
    let connected = connect(&workdir, &jira, &["--public-url", "http://localhost:8080"]).await;
    assert_eq!(connected.code, Some(0), "{connected:?}");
    assert!(
        connected
            .stdout
            .starts_with("warning: the public URL http://localhost:8080 is a loopback address"),
        "{connected:?}"
    );
}
