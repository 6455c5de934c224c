//! Who may use the setup routes: every route refuses a request without a credential, with a bad
//! token, with an expired or used set-up link; a link opens one setup, once; an allow-list of
//! Jira hosts stops the form before any request to another host.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

mod setup_support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use jirasync_axum::{SETUP_API_PATH, SETUP_PATH, SetupState};
use jirasync_domain::ids::OrganizationId;
use jirasync_domain::setup::{SetupLink, SetupToken};
use jirasync_domain::{IntegrationStore, SetupStore};
use jirasync_service::JiraHosts;
use serde_json::{Value, json};
use setup_support::{
    ADMIN_TOKEN, Answer, Browser, CONSUMER_KEY, FakeJira, REQUEST_TOKEN, Setup, private_key_pem,
};

/// One hour, the default life of a link.
const HOUR: u64 = 3_600;

/// Stores a link for `organization` made at the test clock's now, valid for an hour.
async fn link(setup: &Setup, organization: Option<OrganizationId>) -> SetupToken {
    link_for(setup, organization, HOUR).await
}

/// Stores a link valid for `ttl` seconds.
async fn link_for(setup: &Setup, organization: Option<OrganizationId>, ttl: u64) -> SetupToken {
    let token = SetupToken::generate();
    let now = jirasync_domain::Clock::unix_timestamp(setup.clock.as_ref());
    setup
        .store
        .create_setup_link(SetupLink::new(&token, organization, now, ttl))
        .await
        .unwrap();
    token
}

/// The setup routes, each as a request without a session.
fn route_requests() -> Vec<(&'static str, Method, String, Option<Value>)> {
    vec![
        ("the form", Method::GET, SETUP_PATH.to_owned(), None),
        (
            "Jira's callback",
            Method::GET,
            format!("{SETUP_PATH}?oauth_token={REQUEST_TOKEN}&oauth_verifier=v"),
            None,
        ),
        (
            "the form's submission",
            Method::POST,
            SETUP_PATH.to_owned(),
            None,
        ),
        (
            "initialize",
            Method::POST,
            SETUP_API_PATH.to_owned(),
            Some(json!({"action": "initialize"})),
        ),
        (
            "installation_config",
            Method::POST,
            SETUP_API_PATH.to_owned(),
            Some(json!({"step": "installation_config", "url": "https://jira.example.com"})),
        ),
        (
            "oauth_callback",
            Method::POST,
            SETUP_API_PATH.to_owned(),
            Some(json!({"step": "oauth_callback", "oauthToken": REQUEST_TOKEN})),
        ),
    ]
}

async fn send(
    browser: &mut Browser,
    method: &Method,
    uri: &str,
    json_body: Option<&Value>,
    bearer: Option<&str>,
) -> Answer {
    let mut request = Request::builder().method(method.clone()).uri(uri);
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match (json_body, method) {
        (Some(body), _) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        (None, &Method::POST) => {
            request = request.header("content-type", "application/x-www-form-urlencoded");
            Body::from("url=https%3A%2F%2Fjira.example.com")
        }
        (None, _) => Body::empty(),
    };
    browser.send(request.body(body).unwrap()).await
}

/// The message of a refusal, from the JSON or the page.
fn message(answer: &Answer) -> String {
    serde_json::from_str::<Value>(&answer.body)
        .ok()
        .and_then(|body| body["data"]["detail"].as_str().map(str::to_owned))
        .unwrap_or_else(|| answer.body.clone())
}

#[tokio::test]
async fn every_route_refuses_requests_without_a_valid_credential() {
    let setup = Setup::new().await;
    let expired = link(&setup, None).await;
    let used = link(&setup, None).await;
    assert!(setup.store.use_setup_link(&used.hash(), 1).await.unwrap());
    setup.clock.advance(Duration::from_secs(HOUR));

    // (credential, bearer token sent, status, words the message must hold)
    let cases: [(&str, Option<String>, StatusCode, &str); 5] = [
        (
            "none",
            None,
            StatusCode::UNAUTHORIZED,
            "needs a one-time set-up link or the admin token",
        ),
        (
            "a wrong token",
            Some("not-the-admin-token-nor-a-link".to_owned()),
            StatusCode::UNAUTHORIZED,
            "Invalid token",
        ),
        (
            "a prefix of the admin token",
            Some(ADMIN_TOKEN[..20].to_owned()),
            StatusCode::UNAUTHORIZED,
            "Invalid token",
        ),
        (
            "an expired link",
            Some(expired.expose_secret().to_owned()),
            StatusCode::FORBIDDEN,
            "has expired",
        ),
        (
            "a used link",
            Some(used.expose_secret().to_owned()),
            StatusCode::FORBIDDEN,
            "already used",
        ),
    ];
    for (route, method, uri, body) in route_requests() {
        for (credential, bearer, status, words) in &cases {
            let mut browser = setup.anonymous_browser();
            let answer = send(
                &mut browser,
                &method,
                &uri,
                body.as_ref(),
                bearer.as_deref(),
            )
            .await;
            let text = message(&answer);
            // Without a credential, the routes that continue a setup say the session is missing.
            let expected_words = if bearer.is_none() && route != "the form" && route != "initialize"
            {
                "setup session has expired"
            } else {
                words
            };
            assert_eq!(answer.status, *status, "{route} with {credential}: {text}");
            assert!(
                text.contains(expected_words),
                "{route} with {credential}: {text}"
            );
            assert!(
                answer.headers.get("set-cookie").is_none(),
                "{route} with {credential}"
            );
            if *status == StatusCode::UNAUTHORIZED {
                assert_eq!(answer.headers["www-authenticate"], "Bearer");
            }
            for token in [ADMIN_TOKEN, expired.expose_secret(), used.expose_secret()] {
                assert!(!answer.body.contains(token), "{route} echoes a token");
            }
        }
    }
    assert!(setup.store.integrations().await.unwrap().is_empty());
}

#[tokio::test]
async fn expired_and_used_links_in_the_query_are_refused_with_a_page() {
    let setup = Setup::new().await;
    let used = link(&setup, None).await;
    assert!(setup.store.use_setup_link(&used.hash(), 1).await.unwrap());
    let expired = link(&setup, None).await;
    setup.clock.advance(Duration::from_secs(HOUR));
    let cases = [
        ("nonsense", StatusCode::UNAUTHORIZED, "is not valid"),
        (
            expired.expose_secret(),
            StatusCode::FORBIDDEN,
            "has expired",
        ),
        (used.expose_secret(), StatusCode::FORBIDDEN, "already used"),
    ];
    for (token, status, words) in cases {
        let mut browser = setup.anonymous_browser();
        let answer = browser
            .get(&format!("{SETUP_PATH}?setup_token={token}"))
            .await;
        assert_eq!(answer.status, status, "{}", answer.body);
        assert!(answer.body.contains("Setup Error"), "{}", answer.body);
        assert!(answer.body.contains(words), "{}", answer.body);
        assert!(browser.cookie.is_none());
    }
}

#[tokio::test]
async fn setup_without_any_credential_configured_is_refused() {
    let setup = Setup::build(|_, organization| {
        SetupState::new(
            Arc::new(jirasync_domain::InMemoryStore::new()),
            "https://sync.example.com",
        )
        .with_organization(organization)
    })
    .await;
    let mut browser = setup.browser();
    let answer = browser.get(SETUP_PATH).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("not configured"), "{}", answer.body);
}

/// Opens `token`'s link in `browser`: the redirect takes the token out of the address.
async fn open_link(browser: &mut Browser, token: &SetupToken) -> Answer {
    let answer = browser
        .get(&format!(
            "{SETUP_PATH}?setup_token={}",
            token.expose_secret()
        ))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), SETUP_PATH);
    assert_eq!(answer.headers["referrer-policy"], "no-referrer");
    assert!(browser.cookie.is_some());
    browser.get(SETUP_PATH).await
}

async fn submit_and_approve(browser: &mut Browser, form: &Answer, jira: &FakeJira) -> Answer {
    let url = jira.url();
    let pem = private_key_pem();
    let redirect = browser
        .post_form(
            SETUP_PATH,
            &[
                ("csrf_token", form.csrf_field().as_str()),
                ("url", url.as_str()),
                ("consumer_key", CONSUMER_KEY),
                ("private_key", pem.as_str()),
                ("verify_ssl", "on"),
            ],
        )
        .await;
    assert_eq!(redirect.status, StatusCode::FOUND, "{}", redirect.body);
    browser
        .get(&format!(
            "{SETUP_PATH}?oauth_token={REQUEST_TOKEN}&oauth_verifier=the-verifier"
        ))
        .await
}

#[tokio::test]
async fn a_link_opens_one_setup_across_its_pages_and_is_used_by_the_install() {
    let setup = Setup::build(|state, _| state).await;
    let jira = FakeJira::start().await;
    let token = link(&setup, Some(setup.organization)).await;
    let mut browser = setup.anonymous_browser();
    let form = open_link(&mut browser, &token).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    // The link names the organization: the form does not ask.
    assert!(!form.body.contains("name=\"organization\""));
    let done = submit_and_approve(&mut browser, &form, &jira).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Jira Server connected"), "{}", done.body);
    assert!(setup.integration(&jira).await.is_some());
    let stored = setup
        .store
        .setup_link(&token.hash())
        .await
        .unwrap()
        .unwrap();
    assert!(stored.used_at.is_some());
    assert_eq!(
        setup.store.public_url().await.unwrap().as_deref(),
        Some("https://sync.example.com")
    );

    // Used: it opens nothing any more, in this browser or another.
    for mut again in [browser.clone(), setup.anonymous_browser()] {
        let answer = again
            .get(&format!(
                "{SETUP_PATH}?setup_token={}",
                token.expose_secret()
            ))
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert!(answer.body.contains("already used"));
    }
}

#[tokio::test]
async fn a_link_used_by_another_session_stops_the_second_install() {
    let setup = Setup::build(|state, organization| state.with_organization(organization)).await;
    let jira = FakeJira::start().await;
    let token = link(&setup, None).await;
    let mut first = setup.anonymous_browser();
    let mut second = setup.anonymous_browser();
    let first_form = open_link(&mut first, &token).await;
    let second_form = open_link(&mut second, &token).await;
    let done = submit_and_approve(&mut first, &first_form, &jira).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);

    // The second session's next step is refused: the link was used.
    let url = jira.url();
    let answer = second
        .post_form(
            SETUP_PATH,
            &[
                ("csrf_token", second_form.csrf_field().as_str()),
                ("url", url.as_str()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.body.contains("already used"), "{}", answer.body);
}

#[tokio::test]
async fn a_failed_install_gives_the_link_back() {
    let setup = Setup::new().await;
    let jira = FakeJira::refusing_webhooks().await;
    let token = link(&setup, None).await;
    let mut browser = setup.anonymous_browser();
    let form = open_link(&mut browser, &token).await;
    let done = submit_and_approve(&mut browser, &form, &jira).await;
    assert!(done.body.contains("Setup Error"), "{}", done.body);
    setup.assert_nothing_stored(&jira).await;
    let stored = setup
        .store
        .setup_link(&token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.used_at, None);
    // "Start again" in the same browser shows the form again; the same link starts over too.
    assert!(done.body.contains("Start again"), "{}", done.body);
    let again = browser.get(SETUP_PATH).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.body.contains("Connect Jira Server"));
    let form = open_link(&mut setup.anonymous_browser(), &token).await;
    assert_eq!(form.status, StatusCode::OK);
}

#[tokio::test]
async fn a_link_that_expires_during_the_setup_stops_it() {
    let setup = Setup::new().await;
    let jira = FakeJira::start().await;
    // Five minutes: the setup session (ten minutes) outlives it.
    let token = link_for(&setup, None, 300).await;
    let mut browser = setup.anonymous_browser();
    let form = open_link(&mut browser, &token).await;
    setup.clock.advance(Duration::from_secs(300));
    let url = jira.url();
    let answer = browser
        .post_form(
            SETUP_PATH,
            &[
                ("csrf_token", form.csrf_field().as_str()),
                ("url", url.as_str()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.body.contains("has expired"));
    assert_eq!(jira.requests_to("/request-token").await, 0);
}

#[tokio::test]
async fn a_link_for_another_organization_than_the_services_is_refused() {
    let setup = Setup::new().await;
    let token = link(&setup, Some(OrganizationId::new(999))).await;
    let answer = setup
        .anonymous_browser()
        .get(&format!(
            "{SETUP_PATH}?setup_token={}",
            token.expose_secret()
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("organization 999"), "{}", answer.body);
}

#[tokio::test]
async fn a_links_token_opens_the_json_steps_as_a_bearer_token() {
    let setup = Setup::new().await;
    let token = link(&setup, None).await;
    let mut browser = setup.anonymous_browser();
    let answer = send(
        &mut browser,
        &Method::POST,
        SETUP_API_PATH,
        Some(&json!({"action": "initialize"})),
        Some(token.expose_secret()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.json()["data"]["csrfToken"].is_string());
}

#[tokio::test]
async fn the_allow_list_refuses_other_jira_hosts_before_any_request() {
    let setup = Setup::build(|state, organization| {
        state
            .with_organization(organization)
            .with_jira_hosts(JiraHosts::allow_only(["jira.example.com"]).unwrap())
    })
    .await;
    let jira = FakeJira::start().await;
    let mut browser = setup.browser();
    let form = browser.get(SETUP_PATH).await;
    let url = jira.url();
    let pem = private_key_pem();
    let answer = browser
        .post_form(
            SETUP_PATH,
            &[
                ("csrf_token", form.csrf_field().as_str()),
                ("url", url.as_str()),
                ("consumer_key", CONSUMER_KEY),
                ("private_key", pem.as_str()),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer
            .body
            .contains("jirasync is not allowed to connect to 127.0.0.1"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("jira.example.com"));
    assert_eq!(jira.server.received_requests().await.unwrap().len(), 0);

    // The JSON step says the same.
    let csrf = browser
        .post_json(SETUP_API_PATH, None, &json!({"action": "initialize"}))
        .await
        .json()["data"]["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = browser
        .post_json(
            SETUP_API_PATH,
            Some(&csrf),
            &json!({"step": "installation_config", "url": url, "consumerKey": CONSUMER_KEY,
                    "privateKey": pem}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let errors = answer.json()["data"]["errors"]["url"].clone();
    assert_eq!(errors[0], "Enter a valid URL.");
    assert!(
        errors[1]
            .as_str()
            .unwrap()
            .starts_with("jirasync is not allowed to connect to 127.0.0.1:"),
        "{errors}"
    );
    assert_eq!(jira.server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn urls_with_user_info_or_another_scheme_are_refused_with_the_reason() {
    let setup = Setup::new().await;
    let mut browser = setup.browser();
    let csrf = browser
        .post_json(SETUP_API_PATH, None, &json!({"action": "initialize"}))
        .await
        .json()["data"]["csrfToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases = [
        (
            "https://user:secret@jira.example.com",
            "user name or password",
        ),
        ("ftp://jira.example.com", "scheme must be http or https"),
        ("file:///etc/passwd", "scheme must be http or https"),
        ("https://jira.example.com/?next=x", "query"),
    ];
    for (url, reason) in cases {
        let answer = browser
            .post_json(
                SETUP_API_PATH,
                Some(&csrf),
                &json!({"step": "installation_config", "url": url, "consumerKey": CONSUMER_KEY,
                        "privateKey": private_key_pem()}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{url}");
        let errors = answer.json()["data"]["errors"]["url"].to_string();
        assert!(errors.contains(reason), "{url}: {errors}");
        assert!(!errors.contains("secret"), "{url}: {errors}");
    }
}
