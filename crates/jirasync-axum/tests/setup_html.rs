//! The server-rendered setup flow against a fake Jira that checks every signature.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod setup_support;

use axum::http::StatusCode;
use jirasync_axum::SETUP_PATH;
use jirasync_domain::IntegrationStore;
use jirasync_domain::integration::JiraCredentials;
use serde_json::json;
use setup_support::{
    ACCESS_TOKEN, Browser, CONSUMER_KEY, FakeJira, NO_PERMISSION, REQUEST_TOKEN, Setup,
    private_key_pem,
};
use wiremock::ResponseTemplate;

/// Opens the form and submits it filled in for `jira`, with `changes` applied to the fields.
async fn submit(
    browser: &mut Browser,
    jira: &FakeJira,
    changes: &[(&str, Option<&str>)],
) -> setup_support::Answer {
    let form = browser.get(SETUP_PATH).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf_field();
    let url = jira.url();
    let pem = private_key_pem();
    let mut fields: Vec<(&str, Option<&str>)> = vec![
        ("csrf_token", Some(csrf.as_str())),
        ("url", Some(url.as_str())),
        ("consumer_key", Some(CONSUMER_KEY)),
        ("private_key", Some(pem.as_str())),
        ("verify_ssl", Some("on")),
    ];
    for (name, value) in changes {
        match fields.iter_mut().find(|(field, _)| field == name) {
            Some(field) => field.1 = *value,
            None => fields.push((name, *value)),
        }
    }
    let fields: Vec<(&str, &str)> = fields
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| (name, value)))
        .collect();
    browser.post_form(SETUP_PATH, &fields).await
}

/// Runs the whole flow; the callback carries `oauth_verifier=the-verifier`.
async fn connect(setup: &Setup, jira: &FakeJira) -> setup_support::Answer {
    let mut browser = setup.browser();
    let redirect = submit(&mut browser, jira, &[]).await;
    assert_eq!(redirect.status, StatusCode::FOUND, "{}", redirect.body);
    browser
        .get(&format!(
            "{SETUP_PATH}?oauth_token={REQUEST_TOKEN}&oauth_verifier=the-verifier"
        ))
        .await
}

#[tokio::test]
async fn the_form_has_the_title_the_fields_and_a_session_cookie() {
    let setup = Setup::new().await;
    let mut browser = setup.browser();
    let form = browser.get(SETUP_PATH).await;
    assert_eq!(form.status, StatusCode::OK);
    for expected in [
        "Connect Jira Server",
        "name=\"url\"",
        "name=\"consumer_key\"",
        "<textarea id=\"private_key\" name=\"private_key\"",
        "name=\"verify_ssl\" value=\"on\" checked",
        "Submit",
    ] {
        assert!(form.body.contains(expected), "{expected}: {}", form.body);
    }
    assert!(!form.body.contains("name=\"organization\""));
    let cookie = form.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure")
    );
    assert_eq!(form.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn submitting_the_form_redirects_to_jiras_approval_page() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let redirect = submit(&mut browser, &jira, &[]).await;
    assert_eq!(redirect.status, StatusCode::FOUND, "{}", redirect.body);
    // The trailing `/` of the entered URL is gone.
    assert_eq!(
        redirect.location(),
        format!(
            "{}/jira/plugins/servlet/oauth/authorize?oauth_token={REQUEST_TOKEN}",
            jira.server.uri()
        )
    );
    let requests = jira.seen.to("/request-token");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].token, None);
    assert_eq!(
        requests[0].callback.as_deref(),
        Some("https://sync.example.com/extensions/jira-server/setup/")
    );
}

#[tokio::test]
async fn the_whole_flow_installs_and_creates_the_webhook() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let done = connect(&setup, &jira).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.body.contains("Jira Server connected"), "{}", done.body);
    assert!(
        done.body.contains("Issue webhook: created in Jira (id 1)"),
        "{}",
        done.body
    );

    let integration = setup.integration(&jira).await.expect("installed");
    assert_eq!(integration.name, CONSUMER_KEY);
    assert_eq!(
        integration.metadata.base_url,
        format!("{}/jira", jira.server.uri())
    );
    assert!(integration.metadata.verify_ssl);
    assert_eq!(integration.metadata.webhook_secrets.len(), 1);

    let identity = setup
        .store
        .identity(setup.organization, integration.id)
        .await
        .unwrap()
        .expect("the organization's identity");
    let JiraCredentials::OAuth1 {
        consumer_key,
        private_key_pem: pem,
        access_token,
        access_token_secret,
    } = identity.credentials
    else {
        panic!("not OAuth credentials");
    };
    assert_eq!(consumer_key, CONSUMER_KEY);
    assert_eq!(pem.expose_secret(), private_key_pem().trim());
    assert_eq!(access_token, ACCESS_TOKEN);
    assert_eq!(access_token_secret.expose_secret(), "access-secret");

    let links = setup
        .store
        .organization_links(integration.id)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].link.organization_id, setup.organization);
    assert_eq!(links[0].link.default_identity_id, Some(identity.id));

    let webhooks = jira.webhooks.all();
    assert_eq!(webhooks.len(), 1);
    let url = webhooks[0]["url"].as_str().unwrap();
    assert!(url.starts_with("https://sync.example.com/extensions/jira-server/issue-updated/eyJ"));
    assert_eq!(
        webhooks[0]["events"],
        json!(["jira:issue_created", "jira:issue_updated"])
    );
    let token = url.trim_end_matches('/').rsplit('/').next().unwrap();
    let verified =
        jirasync_webhook::verify_token(token, &integration.metadata.webhook_secrets).unwrap();
    assert_eq!(verified.external_id(), jira.external_id().as_str());
}

#[tokio::test]
async fn connecting_twice_reuses_the_webhook_and_its_secret() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    connect(&setup, &jira).await;
    let first = setup.integration(&jira).await.unwrap();

    let again = connect(&setup, &jira).await;
    assert!(
        again.body.contains("Issue webhook: reused in Jira (id 1)"),
        "{}",
        again.body
    );
    assert!(again.body.contains("already known"), "{}", again.body);
    assert_eq!(jira.webhooks.all().len(), 1);
    assert_eq!(jira.requests_to("/webhook").await, 3, "list, create, list");
    let second = setup.integration(&jira).await.unwrap();
    assert_eq!(
        second.metadata.webhook_secrets,
        first.metadata.webhook_secrets
    );
}

#[tokio::test]
async fn uses_oauth_verifier_when_jira_sends_it() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    connect(&setup, &jira).await;
    let exchanges = jira.seen.to("/access-token");
    assert_eq!(exchanges.len(), 1);
    assert_eq!(exchanges[0].token.as_deref(), Some(REQUEST_TOKEN));
    assert_eq!(exchanges[0].verifier.as_deref(), Some("the-verifier"));
}

#[tokio::test]
async fn uses_the_callback_token_as_verifier_without_oauth_verifier() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    submit(&mut browser, &jira, &[]).await;
    let done = browser
        .get(&format!("{SETUP_PATH}?oauth_token={REQUEST_TOKEN}"))
        .await;
    assert!(done.body.contains("Jira Server connected"), "{}", done.body);
    let exchanges = jira.seen.to("/access-token");
    assert_eq!(exchanges[0].verifier.as_deref(), Some(REQUEST_TOKEN));
}

#[tokio::test]
async fn an_unticked_verify_ssl_box_is_stored_as_off() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    submit(&mut browser, &jira, &[("verify_ssl", None)]).await;
    browser
        .get(&format!("{SETUP_PATH}?oauth_token={REQUEST_TOKEN}"))
        .await;
    assert!(!setup.integration(&jira).await.unwrap().metadata.verify_ssl);
}

#[tokio::test]
async fn manual_webhook_mode_shows_the_url_and_registers_nothing() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    submit(&mut browser, &jira, &[("manual_webhook", Some("on"))]).await;
    let done = browser
        .get(&format!("{SETUP_PATH}?oauth_token={REQUEST_TOKEN}"))
        .await;
    assert!(
        done.body.contains("No webhook was registered"),
        "{}",
        done.body
    );
    assert!(
        done.body
            .contains("https://sync.example.com/extensions/jira-server/issue-updated/eyJ")
    );
    assert_eq!(jira.requests_to("/webhook").await, 0);
    assert!(setup.integration(&jira).await.is_some());
}

/// Submits the form with `changes` and checks the re-rendered form shows `message`, nothing was
/// asked of Jira and nothing stored.
async fn assert_refused(changes: &[(&str, Option<&str>)], message: &str) {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let answer = submit(&mut browser, &jira, changes).await;
    assert_eq!(answer.status, StatusCode::OK, "{changes:?}");
    assert!(answer.body.contains("Connect Jira Server"));
    assert!(
        answer
            .body
            .contains(&format!("<p class=\"error\">{message}</p>")),
        "{changes:?} should give {message:?}: {}",
        answer.body
    );
    assert_eq!(jira.requests_to("/request-token").await, 0);
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn refuses_missing_fields() {
    for field in ["url", "consumer_key", "private_key"] {
        assert_refused(&[(field, None)], "This field is required.").await;
        assert_refused(&[(field, Some("   "))], "This field is required.").await;
    }
}

#[tokio::test]
async fn refuses_urls_that_are_not_valid() {
    for url in [
        "jira.example.com",
        "ftp://jira.example.com",
        "https://",
        "https://jira.example.com/?next=1",
    ] {
        assert_refused(&[("url", Some(url))], "Enter a valid URL.").await;
    }
}

#[tokio::test]
async fn refuses_consumer_keys_over_200_characters() {
    let long = "k".repeat(201);
    assert_refused(
        &[("consumer_key", Some(&long))],
        "Consumer key is limited to 200 characters.",
    )
    .await;
}

#[tokio::test]
async fn refuses_private_keys_that_do_not_load() {
    let public = test_public_pem();
    for pem in ["not a key", public.as_str()] {
        assert_refused(
            &[("private_key", Some(pem))],
            "Private key must be a valid SSH private key encoded in a PEM format.",
        )
        .await;
    }
}

fn test_public_pem() -> String {
    setup_support::test_key().public_key().to_pem().unwrap()
}

#[tokio::test]
async fn escapes_what_it_writes_back() {
    assert_refused(
        &[
            ("consumer_key", None),
            ("url", Some("\"><script>alert(1)</script>")),
        ],
        "Enter a valid URL.",
    )
    .await;
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let answer = submit(
        &mut browser,
        &jira,
        &[("url", Some("\"><script>alert(1)</script>"))],
    )
    .await;
    assert!(!answer.body.contains("<script>"));
    assert!(answer.body.contains("&quot;&gt;&lt;script&gt;"));
    // The private key is never written back into a page.
    assert!(!answer.body.contains("PRIVATE KEY-----\n"));
}

#[tokio::test]
async fn asks_for_the_organization_when_none_is_configured() {
    let setup = Setup::build(|state, _| state).await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let form = browser
        .get(&format!("{SETUP_PATH}?organization={}", setup.organization))
        .await;
    assert!(form.body.contains(&format!(
        "name=\"organization\" value=\"{}\"",
        setup.organization
    )));

    for (value, message) in [
        (None, "This field is required.".to_owned()),
        (Some("acme"), "Enter a whole number.".to_owned()),
        (Some("999"), "Organization 999 does not exist.".to_owned()),
    ] {
        let answer = submit(&mut browser, &jira, &[("organization", value)]).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.contains(&message), "{value:?}: {}", answer.body);
    }
    assert_eq!(jira.requests_to("/request-token").await, 0);

    let organization = setup.organization.to_string();
    let redirect = submit(
        &mut browser,
        &jira,
        &[("organization", Some(&organization))],
    )
    .await;
    assert_eq!(redirect.status, StatusCode::FOUND, "{}", redirect.body);
}

#[tokio::test]
async fn refuses_a_post_with_a_wrong_or_missing_csrf_token() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    for token in [Some("0".repeat(64)), Some(String::new()), None] {
        let mut browser = setup.browser();
        let answer = submit(&mut browser, &jira, &[("csrf_token", token.as_deref())]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(answer.body.contains("Setup Error"));
        assert!(answer.body.contains("CSRF token"), "{}", answer.body);
    }
    // A token from another browser's session does not do either.
    let mut other = setup.browser();
    let other_token = other.get(SETUP_PATH).await.csrf_field();
    let mut browser = setup.browser();
    let answer = submit(&mut browser, &jira, &[("csrf_token", Some(&other_token))]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(jira.requests_to("/request-token").await, 0);
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn refuses_a_post_without_a_session() {
    let setup = Setup::new().await;
    let mut browser = setup.browser();
    let answer = browser
        .post_form(SETUP_PATH, &[("url", "https://jira.example.com")])
        .await;
    // No session is no credential.
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("Setup Error"));
    assert!(
        answer.body.contains("setup session has expired"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn an_expired_pipeline_shows_an_error_and_stores_nothing() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    submit(&mut browser, &jira, &[]).await;
    setup.clock.advance(std::time::Duration::from_secs(601));
    let answer = browser
        .get(&format!(
            "{SETUP_PATH}?oauth_token={REQUEST_TOKEN}&oauth_verifier=v"
        ))
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("Setup Error"));
    assert!(
        answer.body.contains("setup session has expired"),
        "{}",
        answer.body
    );
    assert_eq!(jira.requests_to("/access-token").await, 0);
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn a_request_token_refusal_shows_jiras_problem() {
    let setup = Setup::new().await;
    let jira = FakeJira::answering_request_token(
        ResponseTemplate::new(401).set_body_string("oauth_problem=consumer_key_unknown"),
    )
    .await;
    let mut browser = setup.browser();
    let answer = submit(&mut browser, &jira, &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("Setup Error"));
    assert!(
        answer
            .body
            .contains("Could not fetch a request token from Jira. "),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("consumer_key_unknown"),
        "{}",
        answer.body
    );
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn a_request_token_timeout_names_the_host() {
    let setup = Setup::build(|state, organization| {
        state.with_organization(organization).with_timeouts(
            std::time::Duration::from_secs(2),
            std::time::Duration::from_millis(200),
        )
    })
    .await;
    let jira = FakeJira::answering_request_token(
        ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(2)),
    )
    .await;
    let mut browser = setup.browser();
    let answer = submit(&mut browser, &jira, &[]).await;
    assert!(
        answer.body.contains(&format!(
            "Could not fetch a request token from Jira. Timed out attempting to reach host: {}",
            jira.netloc()
        )),
        "{}",
        answer.body
    );
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn a_token_answer_without_oauth_token_is_missing_oauth_token() {
    for answer in ["oauth_problem=nothing", "oauth_token=abc"] {
        let setup = Setup::new().await;
        let jira = FakeJira::bare().await;
        jira.serve_request_token(answer.to_owned()).await;
        let mut browser = setup.browser();
        let page = submit(&mut browser, &jira, &[]).await;
        assert!(page.body.contains("Setup Error"), "{answer}");
        assert!(
            page.body
                .contains("<p class=\"error\">Missing oauth_token</p>"),
            "{}",
            page.body
        );
        setup.assert_nothing_stored(&jira).await;
    }
}

#[tokio::test]
async fn a_callback_without_oauth_token_is_missing_oauth_token() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    submit(&mut browser, &jira, &[]).await;
    let answer = browser.get(&format!("{SETUP_PATH}?oauth_verifier=v")).await;
    assert!(answer.body.contains("Setup Error"));
    assert!(
        answer.body.contains("Missing oauth_token"),
        "{}",
        answer.body
    );
    assert_eq!(jira.requests_to("/access-token").await, 0);
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn a_callback_with_another_request_token_is_refused() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    submit(&mut browser, &jira, &[]).await;
    let answer = browser
        .get(&format!(
            "{SETUP_PATH}?oauth_token=attackers-token&oauth_verifier=v"
        ))
        .await;
    assert!(
        answer
            .body
            .contains("not the one this setup session asked Jira to approve"),
        "{}",
        answer.body
    );
    assert_eq!(jira.requests_to("/access-token").await, 0);
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn an_access_token_refusal_shows_an_error_and_stores_nothing() {
    let setup = Setup::new().await;
    let jira = FakeJira::refusing_access_token("token_rejected").await;
    let done = connect(&setup, &jira).await;
    assert!(done.body.contains("Setup Error"));
    assert!(
        done.body
            .contains("Could not fetch an access token from Jira"),
        "{}",
        done.body
    );
    assert!(done.body.contains("token_rejected"), "{}", done.body);
    assert_eq!(jira.requests_to("/webhook").await, 0);
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn a_refused_webhook_shows_jiras_message_and_stores_nothing() {
    let setup = Setup::new().await;
    let jira = FakeJira::refusing_webhooks().await;
    let done = connect(&setup, &jira).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.body.contains("Setup Error"));
    assert!(
        done.body.contains(&format!(
            "Could not create issue webhook in Jira. {}",
            NO_PERMISSION.replace('\'', "&#x27;")
        )),
        "{}",
        done.body
    );
    setup.assert_nothing_stored(&jira).await;
    assert!(
        setup
            .store
            .identity(
                setup.organization,
                jirasync_domain::ids::IntegrationId::new(1)
            )
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_replayed_callback_does_not_exchange_twice() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    submit(&mut browser, &jira, &[]).await;
    let callback = format!("{SETUP_PATH}?oauth_token={REQUEST_TOKEN}");
    assert!(browser.get(&callback).await.body.contains("connected"));
    let again = browser.get(&callback).await;
    assert!(
        again.body.contains("setup session has expired"),
        "{}",
        again.body
    );
    assert_eq!(jira.requests_to("/access-token").await, 1);
}

#[tokio::test]
async fn refuses_bodies_over_the_limit() {
    let setup = Setup::new().await;
    let mut browser = setup.browser();
    let csrf = browser.get(SETUP_PATH).await.csrf_field();
    let huge = "a".repeat(jirasync_axum::SETUP_BODY_LIMIT + 1);
    let answer = browser
        .post_form(SETUP_PATH, &[("csrf_token", &csrf), ("private_key", &huge)])
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}
