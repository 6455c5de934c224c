//! The JSON setup steps against a fake Jira that checks every signature.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod setup_support;

use axum::http::StatusCode;
use jirasync_axum::SETUP_API_PATH;
use serde_json::{Value, json};
use setup_support::{
    Answer, Browser, CONSUMER_KEY, FakeJira, NO_PERMISSION, REQUEST_TOKEN, Setup, private_key_pem,
    query_of,
};
use wiremock::ResponseTemplate;

/// Initializes a pipeline; gives its CSRF token.
async fn initialize(browser: &mut Browser) -> String {
    let answer = browser
        .post_json(SETUP_API_PATH, None, &json!({"action": "initialize"}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["data"]["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn config(jira: &FakeJira) -> Value {
    json!({
        "step": "installation_config",
        "url": jira.url(),
        "consumerKey": CONSUMER_KEY,
        "privateKey": private_key_pem(),
        "verifySsl": true,
    })
}

/// Initializes and submits the installation step with `changes` merged into it.
async fn configure(browser: &mut Browser, jira: &FakeJira, changes: Value) -> (String, Answer) {
    let csrf = initialize(browser).await;
    let mut body = config(jira);
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    let answer = browser.post_json(SETUP_API_PATH, Some(&csrf), &body).await;
    (csrf, answer)
}

async fn callback(browser: &mut Browser, csrf: &str, body: Value) -> Answer {
    browser.post_json(SETUP_API_PATH, Some(csrf), &body).await
}

/// The callback step with the request token Jira approved, without a verifier.
async fn approve(browser: &mut Browser, csrf: &str) -> Answer {
    callback(
        browser,
        csrf,
        json!({"step": "oauth_callback", "oauthToken": REQUEST_TOKEN}),
    )
    .await
}

fn detail(answer: &Answer) -> String {
    answer.json()["data"]["detail"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn initialize_starts_a_pipeline_at_the_installation_step() {
    let setup = Setup::new().await;
    let mut browser = setup.browser();
    let answer = browser
        .post_json(SETUP_API_PATH, None, &json!({"action": "initialize"}))
        .await;
    let body = answer.json();
    assert_eq!(body["provider"], "jira_server");
    assert_eq!(body["step"], "installation_config");
    assert_eq!(body["stepIndex"], 0);
    assert_eq!(body["totalSteps"], 2);
    assert_eq!(body["data"]["csrfToken"].as_str().unwrap().len(), 64);
    assert_eq!(body["data"]["organizationRequired"], false);
    assert!(browser.cookie.is_some());
}

#[tokio::test]
async fn the_steps_install_and_create_the_webhook() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let (csrf, advance) = configure(&mut browser, &jira, json!({})).await;
    assert_eq!(advance.status, StatusCode::OK, "{}", advance.body);
    let advance = advance.json();
    assert_eq!(advance["status"], "advance");
    assert_eq!(advance["step"], "oauth_callback");
    assert_eq!(advance["stepIndex"], 1);
    let oauth_url = advance["data"]["oauthUrl"].as_str().unwrap();
    assert!(oauth_url.starts_with(&format!(
        "{}/jira/plugins/servlet/oauth/authorize?",
        jira.server.uri()
    )));
    assert_eq!(query_of(oauth_url)["oauth_token"], REQUEST_TOKEN);

    let done = callback(
        &mut browser,
        &csrf,
        json!({"step": "oauth_callback", "oauthToken": REQUEST_TOKEN, "oauthVerifier": "v"}),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let done = done.json();
    assert_eq!(done["status"], "complete");
    let integration = setup.integration(&jira).await.unwrap();
    assert_eq!(done["data"]["integration"]["id"], integration.id.get());
    assert_eq!(
        done["data"]["integration"]["externalId"],
        jira.external_id().as_str()
    );
    assert_eq!(done["data"]["organizationId"], setup.organization.get());
    assert_eq!(
        done["data"]["webhook"],
        json!({"mode": "ensured", "action": "created", "id": "1", "api": "legacy", "duplicatesRemoved": []})
    );
    assert_eq!(jira.webhooks.all().len(), 1);
    assert_eq!(
        jira.seen.to("/access-token")[0].verifier.as_deref(),
        Some("v")
    );
}

#[tokio::test]
async fn without_oauth_verifier_the_token_is_the_verifier() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let (csrf, _) = configure(&mut browser, &jira, json!({})).await;
    let done = approve(&mut browser, &csrf).await;
    assert_eq!(done.json()["status"], "complete", "{}", done.body);
    assert_eq!(
        jira.seen.to("/access-token")[0].verifier.as_deref(),
        Some(REQUEST_TOKEN)
    );
}

#[tokio::test]
async fn manual_webhook_gives_the_url() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let (csrf, _) = configure(&mut browser, &jira, json!({"manualWebhook": true})).await;
    let done = approve(&mut browser, &csrf).await;
    let webhook = &done.json()["data"]["webhook"];
    assert_eq!(webhook["mode"], "manual");
    assert!(
        webhook["url"]
            .as_str()
            .unwrap()
            .starts_with("https://sync.example.com/extensions/jira-server/issue-updated/")
    );
    assert_eq!(jira.requests_to("/webhook").await, 0);
}

#[tokio::test]
async fn refuses_invalid_fields_with_messages_per_field() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let cases = [
        (json!({"url": null}), "url", "This field is required."),
        (
            json!({"url": "jira.example.com"}),
            "url",
            "Enter a valid URL.",
        ),
        (json!({"url": 5}), "url", "Not a valid string."),
        (
            json!({"consumerKey": ""}),
            "consumerKey",
            "This field is required.",
        ),
        (
            json!({"consumerKey": "k".repeat(201)}),
            "consumerKey",
            "Consumer key is limited to 200 characters.",
        ),
        (
            json!({"privateKey": null}),
            "privateKey",
            "This field is required.",
        ),
        (
            json!({"privateKey": "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----"}),
            "privateKey",
            "Private key must be a valid SSH private key encoded in a PEM format.",
        ),
    ];
    for (changes, field, message) in cases {
        let mut browser = setup.browser();
        let (_, answer) = configure(&mut browser, &jira, changes.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{changes}");
        let body = answer.json();
        assert_eq!(body["status"], "error");
        assert_eq!(
            body["data"]["errors"][field][0], message,
            "{changes}: {body}"
        );
    }
    assert_eq!(jira.requests_to("/request-token").await, 0);
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn refuses_a_verify_ssl_that_is_not_a_boolean() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let (_, answer) = configure(&mut browser, &jira, json!({"verifySsl": "yes"})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(detail(&answer), "verifySsl must be true or false.");
    assert_eq!(jira.requests_to("/request-token").await, 0);
}

#[tokio::test]
async fn refuses_steps_without_the_csrf_header() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    initialize(&mut browser).await;
    for csrf in [None, Some("0".repeat(64))] {
        let answer = browser
            .post_json(SETUP_API_PATH, csrf.as_deref(), &config(&jira))
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(detail(&answer).contains("CSRF token"), "{}", answer.body);
    }
    assert_eq!(jira.requests_to("/request-token").await, 0);
}

#[tokio::test]
async fn refuses_steps_without_a_live_session() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let answer = browser
        .post_json(SETUP_API_PATH, Some(&"0".repeat(64)), &config(&jira))
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(detail(&answer).contains("setup session has expired"));

    let (csrf, _) = configure(&mut browser, &jira, json!({})).await;
    setup.clock.advance(std::time::Duration::from_secs(601));
    let answer = approve(&mut browser, &csrf).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(detail(&answer).contains("setup session has expired"));
    assert_eq!(jira.requests_to("/access-token").await, 0);
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn a_request_token_failure_is_an_error_step() {
    let setup = Setup::new().await;
    let jira = FakeJira::answering_request_token(
        ResponseTemplate::new(502).set_body_string("Bad gateway"),
    )
    .await;
    let mut browser = setup.browser();
    let (_, answer) = configure(&mut browser, &jira, json!({})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["status"], "error");
    assert!(detail(&answer).starts_with("Could not fetch a request token from Jira. "));
}

#[tokio::test]
async fn a_token_answer_without_oauth_token_is_exactly_missing_oauth_token() {
    let setup = Setup::new().await;
    let jira = FakeJira::bare().await;
    jira.serve_request_token("oauth_token=only".to_owned())
        .await;
    let mut browser = setup.browser();
    let (_, answer) = configure(&mut browser, &jira, json!({})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(detail(&answer), "Missing oauth_token");
}

#[tokio::test]
async fn the_callback_step_requires_the_oauth_token() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let (csrf, _) = configure(&mut browser, &jira, json!({})).await;
    let answer = callback(
        &mut browser,
        &csrf,
        json!({"step": "oauth_callback", "oauthVerifier": "v"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json()["data"]["errors"]["oauthToken"],
        json!(["This field is required."])
    );
    // The pipeline survives a malformed step.
    let done = approve(&mut browser, &csrf).await;
    assert_eq!(done.json()["status"], "complete", "{}", done.body);
}

#[tokio::test]
async fn the_callback_step_needs_the_installation_step_first() {
    let setup = Setup::new().await;
    let mut browser = setup.browser();
    let csrf = initialize(&mut browser).await;
    let answer = approve(&mut browser, &csrf).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(detail(&answer).starts_with("Missing installation_data"));
}

#[tokio::test]
async fn an_access_token_failure_is_an_error_step() {
    let setup = Setup::new().await;
    let jira = FakeJira::refusing_access_token("token_expired").await;
    let mut browser = setup.browser();
    let (csrf, _) = configure(&mut browser, &jira, json!({})).await;
    let answer = approve(&mut browser, &csrf).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(detail(&answer).contains("access token from Jira"));
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn a_webhook_failure_is_an_error_step_and_stores_nothing() {
    let setup = Setup::new().await;
    let jira = FakeJira::refusing_webhooks().await;
    let mut browser = setup.browser();
    let (csrf, _) = configure(&mut browser, &jira, json!({})).await;
    let answer = approve(&mut browser, &csrf).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        detail(&answer),
        format!("Could not create issue webhook in Jira. {NO_PERMISSION}")
    );
    setup.assert_nothing_stored(&jira).await;
}

#[tokio::test]
async fn refuses_bodies_that_are_not_a_step() {
    let setup = Setup::new().await;
    let mut browser = setup.browser();
    let cases = [
        (json!({"action": "restart"}), "Unknown action"),
        (json!({"url": "x"}), "Give either \"action\""),
        (json!([1, 2]), "must be a JSON object"),
    ];
    for (body, expected) in cases {
        let answer = browser.post_json(SETUP_API_PATH, None, &body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            detail(&answer).contains(expected),
            "{body}: {}",
            answer.body
        );
    }
    let csrf = initialize(&mut browser).await;
    let answer = browser
        .post_json(SETUP_API_PATH, Some(&csrf), &json!({"step": "finish"}))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(detail(&answer).starts_with("Unknown step \"finish\""));

    let answer = browser
        .post_raw(SETUP_API_PATH, "application/json", "{\"action\":")
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(detail(&answer).starts_with("The body is not valid JSON"));

    let answer = browser
        .post_raw(SETUP_API_PATH, "text/plain", "{\"action\":\"initialize\"}")
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn the_html_callback_of_a_json_pipeline_leaves_it_to_the_application() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let (csrf, _) = configure(&mut browser, &jira, json!({})).await;
    let popup = browser
        .get(&format!(
            "{}?oauth_token={REQUEST_TOKEN}",
            jirasync_axum::SETUP_PATH
        ))
        .await;
    assert!(popup.body.contains("Close this window"), "{}", popup.body);
    assert_eq!(jira.requests_to("/access-token").await, 0);
    let done = approve(&mut browser, &csrf).await;
    assert_eq!(done.json()["status"], "complete", "{}", done.body);
}
