//! The webhook URL token: what verification accepts and refuses, and interoperability with PyJWT.

// Helpers outside #[test] functions may fail loudly too: a panic here is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jirasync_webhook::{
    MAX_TOKEN_LEN, TokenError, WebhookSecret, WebhookToken, mint_token, peek_external_id,
    verify_token, verify_token_at,
};
use sha2::{Sha256, Sha512};
use time::OffsetDateTime;

fn secret() -> WebhookSecret {
    WebhookSecret::new("9f2c4b1e8d7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a190f8e7d6")
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn hs256(header: &str, claims: &str, key: &str) -> String {
    let signed = format!("{}.{}", b64(header), b64(claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    format!("{signed}.{}", b64(mac.finalize().into_bytes()))
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[test]
fn accepts_a_token_with_a_differently_ordered_header() {
    let token = hs256(
        r#"{"typ":"JWT","alg":"HS256"}"#,
        r#"{"id":"x"}"#,
        secret().expose_secret(),
    );
    assert_eq!(
        verify_token(&token, &[secret()]).unwrap().external_id(),
        "x"
    );
}

#[test]
fn accepts_either_secret_during_a_rotation() {
    let old = WebhookSecret::from_private_key_pem("-----BEGIN PRIVATE KEY-----\n...");
    let new = WebhookSecret::generate();
    let from_old = mint_token("jira:1", &old);
    let from_new = mint_token("jira:1", &new);
    let both = [new, old];
    assert_eq!(
        verify_token(from_old.expose_secret(), &both)
            .unwrap()
            .secret_index(),
        1
    );
    assert_eq!(
        verify_token(from_new.expose_secret(), &both)
            .unwrap()
            .secret_index(),
        0
    );
}

#[test]
fn rejects_token_signed_with_other_secret() {
    let token = mint_token("jira:1", &WebhookSecret::new("other"));
    assert_eq!(
        verify_token(token.expose_secret(), &[secret()]),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn rejects_a_token_whose_claims_were_changed() {
    let token = mint_token("jira:1", &secret());
    let parts: Vec<&str> = token.expose_secret().split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], b64(r#"{"id":"jira:2"}"#), parts[2]);
    assert_eq!(
        verify_token(&forged, &[secret()]),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn rejects_an_empty_token() {
    assert_eq!(verify_token("", &[secret()]), Err(TokenError::Empty));
    assert_eq!(peek_external_id(""), Err(TokenError::Empty));
}

#[test]
fn rejects_text_that_is_not_a_jwt() {
    for token in [
        " ",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.???.***",
        "e30.e30.",
        "W10.W10.c2ln",
    ] {
        assert!(
            matches!(
                verify_token(token, &[secret()]),
                Err(TokenError::Malformed { .. })
            ),
            "{token:?} gave {:?}",
            verify_token(token, &[secret()])
        );
    }
}

#[test]
fn rejects_the_none_algorithm() {
    let token = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(r#"{"id":"x"}"#)
    );
    assert_eq!(
        verify_token(&token, &[secret()]),
        Err(TokenError::UnsupportedAlgorithm {
            alg: "none".to_owned()
        })
    );
}

#[test]
fn rejects_rs256_even_when_signed_with_the_secret_as_hmac_key() {
    // The classic confusion attack: an RS256 header over an HMAC made with a public value.
    let token = hs256(
        r#"{"alg":"RS256","typ":"JWT"}"#,
        r#"{"id":"x"}"#,
        secret().expose_secret(),
    );
    assert_eq!(
        verify_token(&token, &[secret()]),
        Err(TokenError::UnsupportedAlgorithm {
            alg: "RS256".to_owned()
        })
    );
}

#[test]
fn rejects_hs512() {
    let signed = format!(
        "{}.{}",
        b64(r#"{"alg":"HS512","typ":"JWT"}"#),
        b64(r#"{"id":"x"}"#)
    );
    let mut mac = Hmac::<Sha512>::new_from_slice(secret().expose_secret().as_bytes()).unwrap();
    mac.update(signed.as_bytes());
    let token = format!("{signed}.{}", b64(mac.finalize().into_bytes()));
    assert_eq!(
        verify_token(&token, &[secret()]),
        Err(TokenError::UnsupportedAlgorithm {
            alg: "HS512".to_owned()
        })
    );
}

#[test]
fn rejects_a_header_without_alg() {
    let token = hs256(
        r#"{"typ":"JWT"}"#,
        r#"{"id":"x"}"#,
        secret().expose_secret(),
    );
    assert!(matches!(
        verify_token(&token, &[secret()]),
        Err(TokenError::Malformed { .. })
    ));
}

#[test]
fn rejects_claims_without_id() {
    let token = hs256(HEADER, r#"{"sub":"x"}"#, secret().expose_secret());
    assert_eq!(
        verify_token(&token, &[secret()]),
        Err(TokenError::MissingId)
    );
    assert_eq!(peek_external_id(&token), Err(TokenError::MissingId));
}

#[test]
fn rejects_an_id_that_is_not_a_string() {
    for claims in [r#"{"id":12}"#, r#"{"id":null}"#, r#"{"id":["x"]}"#] {
        let token = hs256(HEADER, claims, secret().expose_secret());
        assert_eq!(
            verify_token(&token, &[secret()]),
            Err(TokenError::IdNotString),
            "{claims}"
        );
    }
}

#[test]
fn rejects_claims_that_are_not_an_object() {
    let token = hs256(HEADER, r#"["x"]"#, secret().expose_secret());
    assert!(matches!(
        verify_token(&token, &[secret()]),
        Err(TokenError::Malformed { .. })
    ));
}

#[test]
fn rejects_a_token_over_4_kib() {
    let long_id = "x".repeat(MAX_TOKEN_LEN);
    let token = mint_token(&long_id, &secret());
    assert_eq!(
        verify_token(token.expose_secret(), &[secret()]),
        Err(TokenError::TooLong {
            len: token.expose_secret().len()
        })
    );
}

#[test]
fn rejects_an_expired_token() {
    let token = hs256(HEADER, r#"{"id":"x","exp":1000}"#, secret().expose_secret());
    let now = OffsetDateTime::from_unix_timestamp(2000).unwrap();
    assert_eq!(
        verify_token_at(&token, &[secret()], now),
        Err(TokenError::Expired { exp: 1000 })
    );
}

#[test]
fn rejects_a_token_not_yet_valid() {
    let token = hs256(HEADER, r#"{"id":"x","nbf":3000}"#, secret().expose_secret());
    let now = OffsetDateTime::from_unix_timestamp(2000).unwrap();
    assert_eq!(
        verify_token_at(&token, &[secret()], now),
        Err(TokenError::NotYetValid { nbf: 3000 })
    );
}

#[test]
fn rejects_time_claims_that_are_not_numbers() {
    let token = hs256(
        HEADER,
        r#"{"id":"x","exp":"tomorrow"}"#,
        secret().expose_secret(),
    );
    assert_eq!(
        verify_token(&token, &[secret()]),
        Err(TokenError::InvalidTimeClaim { claim: "exp" })
    );
}

#[test]
fn rejects_every_token_when_no_secret_is_configured() {
    let token = mint_token("x", &secret());
    assert_eq!(
        verify_token(token.expose_secret(), &[]),
        Err(TokenError::NoSecrets)
    );
}

#[test]
fn peeks_the_external_id_without_a_secret() {
    let token = mint_token("jira.example.com:consumer", &WebhookSecret::generate());
    assert_eq!(
        peek_external_id(token.expose_secret()).unwrap(),
        "jira.example.com:consumer"
    );
}

#[test]
fn verifies_with_secrets_of_any_length() {
    for secret in [
        WebhookSecret::new(""),
        WebhookSecret::new("k"),
        WebhookSecret::new("s".repeat(200)),
    ] {
        let token = mint_token("jira:1", &secret);
        assert_eq!(
            verify_token(token.expose_secret(), std::slice::from_ref(&secret))
                .unwrap()
                .external_id(),
            "jira:1"
        );
    }
}

#[test]
fn reports_a_bad_signature_before_what_is_wrong_with_the_claims() {
    for claims in [
        r#"{"sub":"x"}"#,
        r#"{"id":1}"#,
        r#"["x"]"#,
        r#"{"id":"x","exp":1}"#,
    ] {
        let token = hs256(HEADER, claims, "not-the-secret");
        assert_eq!(
            verify_token(&token, &[secret()]),
            Err(TokenError::BadSignature),
            "{claims}"
        );
    }
}

#[test]
fn reports_the_claims_once_the_second_secret_of_a_rotation_matched() {
    let token = hs256(HEADER, r#"{"sub":"x"}"#, secret().expose_secret());
    assert_eq!(
        verify_token(&token, &[WebhookSecret::new("old"), secret()]),
        Err(TokenError::MissingId)
    );
}

#[test]
fn refuses_the_algorithm_before_looking_at_the_secrets() {
    let token = hs256(
        r#"{"alg":"HS384","typ":"JWT"}"#,
        r#"{"id":"x"}"#,
        secret().expose_secret(),
    );
    assert_eq!(
        verify_token(&token, &[]),
        Err(TokenError::UnsupportedAlgorithm {
            alg: "HS384".to_owned()
        })
    );
}

#[test]
fn refuses_a_repeated_alg_whichever_comes_last() {
    let last_none = hs256(
        r#"{"alg":"HS256","alg":"none"}"#,
        r#"{"id":"x"}"#,
        secret().expose_secret(),
    );
    assert_eq!(
        verify_token(&last_none, &[secret()]),
        Err(TokenError::UnsupportedAlgorithm {
            alg: "none".to_owned()
        })
    );
    let last_hs256 = hs256(
        r#"{"alg":"RS256","alg":"HS256"}"#,
        r#"{"id":"x"}"#,
        secret().expose_secret(),
    );
    assert!(matches!(
        verify_token(&last_hs256, &[secret()]),
        Err(TokenError::Malformed { .. })
    ));
}

/// jsonwebtoken reads the whole header into its `Header` type; a field of the wrong type there is
/// refused by us, before any key is used, rather than by it.
#[test]
fn refuses_a_header_field_jsonwebtoken_cannot_read() {
    let token = hs256(
        r#"{"alg":"HS256","kid":5}"#,
        r#"{"id":"x"}"#,
        secret().expose_secret(),
    );
    for secrets in [&[secret()][..], &[]] {
        assert!(matches!(
            verify_token(&token, secrets),
            Err(TokenError::Malformed { reason }) if reason.contains("header")
        ));
    }
    let extra_fields = hs256(
        r#"{"alg":"HS256","typ":"JWT","kid":"k1","x-custom":[1,{}]}"#,
        r#"{"id":"x"}"#,
        secret().expose_secret(),
    );
    assert!(verify_token(&extra_fields, &[secret()]).is_ok());
}

/// jsonwebtoken decodes base64url without padding; PyJWT and `mint_token` never write any.
#[test]
fn refuses_padded_base64_that_peeking_tolerates() {
    let token = mint_token("jira:1", &secret());
    let padded = format!("{}=", token.expose_secret());
    assert_eq!(
        verify_token(&padded, &[secret()]),
        Err(TokenError::Malformed {
            reason: "the signature is not base64url"
        })
    );
    assert_eq!(peek_external_id(&padded).unwrap(), "jira:1");
}

#[test]
fn ignores_audience_issuer_and_subject() {
    let token = hs256(
        HEADER,
        r#"{"id":"x","aud":"someone-else","iss":"elsewhere","sub":"y"}"#,
        secret().expose_secret(),
    );
    assert_eq!(
        verify_token(&token, &[secret()]).unwrap().external_id(),
        "x"
    );
}

/// jsonwebtoken cannot read a `sub` that is an array or an object; `exp` and `nbf` of that shape
/// keep their own variant.
#[test]
fn names_claims_of_a_shape_jsonwebtoken_cannot_read() {
    let token = hs256(
        HEADER,
        r#"{"id":"x","sub":{"a":1}}"#,
        secret().expose_secret(),
    );
    assert!(matches!(
        verify_token(&token, &[secret()]),
        Err(TokenError::Malformed { reason }) if reason.contains("`sub`")
    ));
    let token = hs256(HEADER, r#"{"id":"x","nbf":[1]}"#, secret().expose_secret());
    assert_eq!(
        verify_token(&token, &[secret()]),
        Err(TokenError::InvalidTimeClaim { claim: "nbf" })
    );
    let token = hs256(HEADER, r#"{"exp":[1]}"#, secret().expose_secret());
    assert_eq!(
        verify_token(&token, &[secret()]),
        Err(TokenError::MissingId)
    );
}

#[test]
fn applies_pyjwt_time_rules_at_the_boundaries() {
    let at = |now| OffsetDateTime::from_unix_timestamp(now).unwrap();
    let exp = hs256(HEADER, r#"{"id":"x","exp":1500}"#, secret().expose_secret());
    assert!(verify_token_at(&exp, &[secret()], at(1499)).is_ok());
    let nbf = hs256(HEADER, r#"{"id":"x","nbf":1500}"#, secret().expose_secret());
    assert!(verify_token_at(&nbf, &[secret()], at(1500)).is_ok());
    assert_eq!(
        verify_token_at(&nbf, &[secret()], at(1499)),
        Err(TokenError::NotYetValid { nbf: 1500 })
    );
    let negative = hs256(HEADER, r#"{"id":"x","exp":-5}"#, secret().expose_secret());
    assert_eq!(
        verify_token_at(&negative, &[secret()], at(1500)),
        Err(TokenError::Expired { exp: -5 })
    );
}

#[test]
fn error_messages_follow_the_reference_wording() {
    assert_eq!(TokenError::Empty.to_string(), "Token was empty");
    assert_eq!(
        TokenError::MissingId.to_string(),
        "Token did not contain `id`"
    );
    assert!(
        TokenError::Malformed { reason: "x" }
            .to_string()
            .starts_with("Could not decode JWT token")
    );
    assert!(
        TokenError::BadSignature
            .to_string()
            .starts_with("Could not validate JWT. Got")
    );
}

#[test]
fn token_debug_and_display_are_redacted() {
    let token = mint_token("x", &secret());
    let text = token.expose_secret().to_owned();
    assert!(!format!("{token:?}").contains(&text));
    assert!(!format!("{token}").contains(&text));
    assert_eq!(WebhookToken::new(text.clone()).expose_secret(), text);
}

/// PyJWT interoperability: runs only where `python3 -c "import jwt"` works (the CI gate installs
/// PyJWT in a throw-away virtualenv).
#[test]
fn interoperates_with_pyjwt() {
    let probe = Command::new("python3").args(["-c", "import jwt"]).output();
    match probe {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            return say_skipped(&format!(
                "`python3 -c \"import jwt\"` failed: {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            ));
        }
        Err(error) => return say_skipped(&format!("cannot run python3: {error}")),
    }

    let secrets = [
        WebhookSecret::from_private_key_pem("-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n"),
        WebhookSecret::generate(),
    ];
    let ids = [
        "jira.example.com:consumer-key",
        "10000",
        "Zoë \"quoted\" \\ 🚀\n",
    ];
    for secret in &secrets {
        for id in ids {
            let script = r#"
import json, sys, jwt
secret, external_id, ours = json.load(sys.stdin)
print(jwt.encode({"id": external_id}, secret, algorithm="HS256"))
print(json.dumps(jwt.decode(ours, secret, algorithms=["HS256"])))
"#;
            let ours = mint_token(id, secret);
            let input =
                serde_json::to_string(&(secret.expose_secret(), id, ours.expose_secret())).unwrap();
            let output = run_python(script, &input);
            let mut lines = output.lines();
            let theirs = lines.next().unwrap();
            let decoded: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();

            assert_eq!(
                theirs,
                ours.expose_secret(),
                "PyJWT and jirasync mint the same bytes for {id:?}"
            );
            assert_eq!(
                verify_token(theirs, std::slice::from_ref(secret))
                    .unwrap()
                    .external_id(),
                id
            );
            assert_eq!(decoded, serde_json::json!({ "id": id }));
        }
    }
}

/// Writes to the process's stderr directly: the test harness captures `eprintln!` of passing
/// tests, and a skip should be visible.
fn say_skipped(reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "interoperates_with_pyjwt: skipped, {reason} (install PyJWT to run it)"
    );
}

fn run_python(script: &str, stdin: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
