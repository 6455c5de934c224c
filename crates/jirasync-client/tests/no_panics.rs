//! Input from users and from the network never panics: every reader answers with a value or an error.

// Test helpers may panic: a panic is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::SystemTime;

use jirasync_client::oauth1::{OAuthProblem, parse_authorization_header, signature_base_string};
use jirasync_client::{
    BaseUrl, JiraVersion, PrivateKey, PublicKey, check_issue_reference, check_project_reference,
    parse_retry_after,
};
use proptest::prelude::*;

fn pem_like() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "PUBLIC KEY",
            "EC PRIVATE KEY",
            "X",
        ]),
        "[A-Za-z0-9+/=\n :,-]{0,200}",
    )
        .prop_map(|(label, body)| {
            format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
        })
}

proptest! {
    #[test]
    fn key_readers_never_panic(text in prop_oneof![any::<String>(), pem_like()]) {
        let _ = PrivateKey::from_pem(&text);
        let _ = PublicKey::from_pem(&text);
    }

    #[test]
    fn header_and_problem_readers_never_panic(text in any::<String>(), status in 100_u16..600) {
        let _ = parse_authorization_header(&text);
        let _ = parse_authorization_header(&format!("OAuth {text}"));
        let _ = OAuthProblem::from_response(status, &text, Some(&text));
        let _ = OAuthProblem::from_response(status, &format!("oauth_problem={text}"), None);
    }

    #[test]
    fn url_version_and_retry_after_readers_never_panic(text in any::<String>()) {
        let _ = BaseUrl::parse(&text).map(|base| base.join("/rest/api/2/myself"));
        let _ = JiraVersion::parse(&text);
        let _ = parse_retry_after(&text, SystemTime::now());
    }

    #[test]
    fn issue_and_project_reference_checks_never_panic(text in prop_oneof![any::<String>(), "[A-Z_0-9-]{0,12}"]) {
        let issue = check_issue_reference(&text);
        let project = check_project_reference(&text);
        // What passes can go into a URL path as one segment.
        if issue.is_ok() || project.is_ok() {
            prop_assert!(!text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
    }

    #[test]
    fn base_string_never_panics(method in any::<String>(), query in any::<String>(), body in any::<Vec<u8>>()) {
        let mut url = url::Url::parse("https://jira.example.com/jira/").unwrap();
        url.set_query(Some(&query));
        let _ = signature_base_string(&method, &url, Some(&body), &[("oauth_nonce", &query)]);
    }
}
