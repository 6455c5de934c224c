//! The OAuth 1.0a token exchange against a fake Jira.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use common::{ValidSignature, at, authorization, dance, options, verified};
use jirasync_client::oauth1::OAuthProblemKind;
use jirasync_client::{
    ConsumerKey, Error, OAuthCallback, OAuthDance, RequestToken, RequestTokenValue, TokenSecret,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REQUEST_TOKEN: &str = "/plugins/servlet/oauth/request-token";
const ACCESS_TOKEN: &str = "/plugins/servlet/oauth/access-token";

fn form(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "text/plain;charset=UTF-8")
}

async fn jira_answering(endpoint: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at(endpoint)))
        .and(ValidSignature)
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn request_token() -> RequestToken {
    RequestToken::new(
        RequestTokenValue::new("request-token"),
        TokenSecret::new("request-secret"),
    )
}

#[tokio::test]
async fn request_token_is_a_signed_post_with_consumer_key_only() {
    let server = jira_answering(
        REQUEST_TOKEN,
        form("oauth_token=rt&oauth_token_secret=rts&oauth_callback_confirmed=true"),
    )
    .await;

    let token = dance(&server).request_token(None).await.unwrap();

    assert_eq!(token.token.as_str(), "rt");
    assert_eq!(token.secret.expose_secret(), "rts");
    let requests = server.received_requests().await.unwrap();
    let received = verified(&requests[0]);
    assert_eq!(received.consumer_key, common::CONSUMER_KEY);
    assert_eq!(received.token, None);
    assert_eq!(received.callback, None);
    let header = authorization(&requests[0]);
    assert!(
        header.starts_with("OAuth oauth_consumer_key=\"jirasync-test\", "),
        "{header}"
    );
    assert!(
        header.contains("oauth_signature_method=\"RSA-SHA1\""),
        "{header}"
    );
    assert!(header.contains("oauth_version=\"1.0\""), "{header}");
    assert!(header.contains("oauth_signature=\""), "{header}");
}

#[tokio::test]
async fn request_token_sends_callback_url_or_oob() {
    let server = jira_answering(REQUEST_TOKEN, form("oauth_token=rt&oauth_token_secret=rts")).await;
    let dance = dance(&server);

    let callback =
        OAuthCallback::url("https://sync.example.com/extensions/jira-server/setup/?x=1").unwrap();
    dance.request_token(Some(&callback)).await.unwrap();
    dance
        .request_token(Some(&OAuthCallback::OutOfBand))
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        verified(&requests[0]).callback.as_deref(),
        Some("https://sync.example.com/extensions/jira-server/setup/?x=1")
    );
    assert_eq!(verified(&requests[1]).callback.as_deref(), Some("oob"));
}

#[tokio::test]
async fn authorize_url_keeps_context_path_and_carries_request_token() {
    let server = MockServer::start().await;
    let url = dance(&server).authorize_url(&request_token());
    assert_eq!(
        url.as_str(),
        format!(
            "{}/jira/plugins/servlet/oauth/authorize?oauth_token=request-token",
            server.uri()
        )
    );
}

#[tokio::test]
async fn access_token_is_signed_with_request_token_and_verifier() {
    let server = jira_answering(ACCESS_TOKEN, form("oauth_token=at&oauth_token_secret=ats")).await;

    let access = dance(&server)
        .access_token(&request_token(), "verifier-1")
        .await
        .unwrap();

    assert_eq!(access.token.as_str(), "at");
    assert_eq!(access.secret.expose_secret(), "ats");
    let requests = server.received_requests().await.unwrap();
    let received = verified(&requests[0]);
    assert_eq!(received.token.as_deref(), Some("request-token"));
    assert_eq!(received.verifier.as_deref(), Some("verifier-1"));
}

#[tokio::test]
async fn refuses_access_token_step_without_verifier() {
    let server = MockServer::start().await;
    let error = dance(&server)
        .access_token(&request_token(), " ")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::MissingVerifier));
    assert_eq!(error.to_string(), "Missing OAuth token verifier");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn missing_token_secret_is_missing_oauth_token_listing_returned_keys() {
    let server = jira_answering(
        REQUEST_TOKEN,
        form("oauth_token=rt&oauth_callback_confirmed=true"),
    )
    .await;
    let error = dance(&server).request_token(None).await.unwrap_err();
    let Error::MissingOAuthToken { keys } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(keys, &["oauth_token", "oauth_callback_confirmed"]);
    assert!(
        error.to_string().starts_with("Missing oauth_token"),
        "{error}"
    );
    assert!(
        error.to_string().contains("oauth_callback_confirmed"),
        "{error}"
    );
}

#[tokio::test]
async fn missing_oauth_token_lists_returned_keys() {
    let server = jira_answering(ACCESS_TOKEN, form("oauth_token_secret=s&other=1")).await;
    let error = dance(&server)
        .access_token(&request_token(), "v")
        .await
        .unwrap_err();
    let Error::MissingOAuthToken { keys } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(keys, &["oauth_token_secret", "other"]);
}

#[tokio::test]
async fn empty_answer_is_missing_oauth_token() {
    let server = jira_answering(REQUEST_TOKEN, form("")).await;
    let error = dance(&server).request_token(None).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Missing oauth_token: Jira's answer had no keys at all"
    );
}

#[tokio::test]
async fn html_page_in_a_200_answer_is_an_error() {
    let page = ResponseTemplate::new(200).set_body_raw(
        b"<html><body>Log in to Jira</body></html>".to_vec(),
        "text/html;charset=UTF-8",
    );
    let server = jira_answering(REQUEST_TOKEN, page).await;
    let error = dance(&server).request_token(None).await.unwrap_err();
    assert!(
        matches!(error, Error::HtmlPage { status: 200, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("HTML page"), "{error}");
}

#[tokio::test]
async fn reports_each_oauth_problem_with_its_usual_cause() {
    let cases = [
        (
            "signature_invalid",
            OAuthProblemKind::SignatureInvalid,
            "public key",
        ),
        (
            "token_rejected",
            OAuthProblemKind::TokenRejected,
            "connect again",
        ),
        ("token_expired", OAuthProblemKind::TokenExpired, "expired"),
        ("nonce_used", OAuthProblemKind::NonceUsed, "sent twice"),
        (
            "consumer_key_unknown",
            OAuthProblemKind::ConsumerKeyUnknown,
            "Application Link",
        ),
        (
            "consumer_key_refused",
            OAuthProblemKind::ConsumerKeyRefused,
            "incoming authentication",
        ),
        (
            "signature_method_rejected",
            OAuthProblemKind::SignatureMethodRejected,
            "RSA-SHA1",
        ),
        (
            "permission_denied",
            OAuthProblemKind::PermissionDenied,
            "denied",
        ),
        (
            "parameter_absent",
            OAuthProblemKind::ParameterAbsent,
            "missing",
        ),
    ];
    for (problem, kind, advice) in cases {
        let body = format!("oauth_problem={problem}&oauth_signature_method=RSA-SHA1");
        let server = jira_answering(
            REQUEST_TOKEN,
            ResponseTemplate::new(401).set_body_string(body),
        )
        .await;
        let error = dance(&server).request_token(None).await.unwrap_err();
        let found = error
            .oauth_problem()
            .unwrap_or_else(|| panic!("{problem}: {error:?}"));
        assert_eq!(found.problem, kind);
        assert_eq!(found.status, 401);
        let message = error.to_string();
        assert!(
            message.contains(&format!("oauth_problem={problem}")),
            "{message}"
        );
        assert!(message.contains(advice), "{problem}: {message}");
    }
}

#[tokio::test]
async fn timestamp_refused_carries_acceptable_timestamps() {
    let body = "oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1700000000-1700000600";
    let server = jira_answering(
        ACCESS_TOKEN,
        ResponseTemplate::new(401).set_body_string(body),
    )
    .await;
    let error = dance(&server)
        .access_token(&request_token(), "v")
        .await
        .unwrap_err();
    let problem = error.oauth_problem().unwrap();
    assert_eq!(problem.problem, OAuthProblemKind::TimestampRefused);
    assert_eq!(
        problem.acceptable_timestamps.as_deref(),
        Some("1700000000-1700000600")
    );
    assert!(error.to_string().contains("1700000000-1700000600"));
}

#[tokio::test]
async fn signature_invalid_keeps_jiras_base_string() {
    let body =
        "oauth_problem=signature_invalid&oauth_signature_base_string=POST%26http%253A%252F%252Fx";
    let server = jira_answering(
        REQUEST_TOKEN,
        ResponseTemplate::new(401).set_body_string(body),
    )
    .await;
    let error = dance(&server).request_token(None).await.unwrap_err();
    assert_eq!(
        error.oauth_problem().unwrap().server_base_string.as_deref(),
        Some("POST&http%3A%2F%2Fx")
    );
}

#[tokio::test]
async fn reads_oauth_problem_from_www_authenticate() {
    let refusal = ResponseTemplate::new(401)
        .insert_header(
            "WWW-Authenticate",
            r#"OAuth realm="http%3A%2F%2Fjira", oauth_problem="token_rejected""#,
        )
        .set_body_raw(b"<html>Unauthorized</html>".to_vec(), "text/html");
    let server = jira_answering(ACCESS_TOKEN, refusal).await;
    let error = dance(&server)
        .access_token(&request_token(), "v")
        .await
        .unwrap_err();
    assert_eq!(
        error.oauth_problem().unwrap().problem,
        OAuthProblemKind::TokenRejected
    );
}

#[tokio::test]
async fn timeout_names_host_and_port() {
    let slow = form("oauth_token=rt&oauth_token_secret=rts").set_delay(Duration::from_secs(3));
    let server = jira_answering(REQUEST_TOKEN, slow).await;
    let options = options(&server).request_timeout(Duration::from_millis(200));
    let dance = OAuthDance::new(
        &options,
        ConsumerKey::new("k"),
        std::sync::Arc::new(common::test_key()),
    )
    .unwrap();

    let error = dance.request_token(None).await.unwrap_err();

    let port = server.address().port();
    assert_eq!(
        error.to_string(),
        format!("Timed out attempting to reach host: 127.0.0.1:{port}")
    );
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = jirasync_client::BaseUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let options = jirasync_client::ClientOptions::new(base);
    let dance = OAuthDance::new(
        &options,
        ConsumerKey::new("k"),
        std::sync::Arc::new(common::test_key()),
    )
    .unwrap();

    let error = dance.request_token(None).await.unwrap_err();

    assert!(matches!(error, Error::Connect { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

#[tokio::test]
async fn never_follows_redirects() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(at(REQUEST_TOKEN)))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/login.jsp"))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .and(path("/login.jsp"))
        .respond_with(form("oauth_token=rt&oauth_token_secret=rts"))
        .expect(0)
        .mount(&server)
        .await;

    let error = dance(&server).request_token(None).await.unwrap_err();

    assert_eq!(error.status(), Some(302), "{error:?}");
    assert!(
        error.to_string().contains("redirect to /login.jsp"),
        "{error}"
    );
}
