//! `jirasync-webhook` on its own, without I/O: mint the URL token for an installation, verify it,
//! refuse a tampered one, then parse and classify a real-shaped Jira delivery into typed events.
//!
//! ```sh
//! cargo run -p jirasync-webhook --example verify_and_classify
//! ```

// An example reports on standard output.
#![allow(clippy::print_stdout)]

use std::error::Error;

use jirasync_webhook::{
    Classification, WebhookSecret, mint_token, parse_and_classify, peek_external_id,
    redact_webhook_url, verify_token, webhook_url,
};

/// A Jira Server 9 `jira:issue_updated` delivery that assigns APP-123 and moves it to Done.
const DELIVERY: &[u8] = include_bytes!("../../../tests/fixtures/webhooks/assignee_and_status.json");

fn main() -> Result<(), Box<dyn Error>> {
    // Registration: each installation has its own secret; the token names the installation.
    let secret = WebhookSecret::generate();
    let token = mint_token("jira.example.com:jirasync", &secret);
    // The URL holds the token, a secret: show it only redacted.
    let url = webhook_url("https://sync.example.com", &token);
    println!("webhook URL to register: {}", redact_webhook_url(&url));

    // Receipt: read the unverified `id` claim to find the installation, then verify with its
    // secrets (during a rotation there are two).
    let external_id = peek_external_id(token.expose_secret())?;
    let verified = verify_token(token.expose_secret(), std::slice::from_ref(&secret))?;
    println!(
        "token verified: installation {:?} (claimed {external_id:?}), secret #{}",
        verified.external_id(),
        verified.secret_index()
    );

    // A token whose signature was altered is refused with a message the route returns as 400.
    let tampered = tamper_with_signature(token.expose_secret());
    match verify_token(&tampered, std::slice::from_ref(&secret)) {
        Ok(_) => return Err("a tampered token was accepted".into()),
        Err(error) => println!("tampered token refused: {error}"),
    }
    // So is a genuine token checked against another installation's secret.
    match verify_token(token.expose_secret(), &[WebhookSecret::generate()]) {
        Ok(_) => return Err("a token was accepted with the wrong secret".into()),
        Err(error) => println!("token with another secret refused: {error}"),
    }

    // The body: parsed into the payload model, then classified into what the sync rules apply.
    match parse_and_classify(DELIVERY)? {
        Classification::Changes(changes) => {
            println!(
                "delivery key: {:?}",
                changes.delivery_key.map(|key| key.to_string())
            );
            if let Some(assignee) = &changes.assignee {
                println!(
                    "assignee changed on {}: now {:?} <{:?}> at {:?}",
                    assignee.issue_key,
                    assignee
                        .assignee
                        .as_ref()
                        .and_then(|user| user.name.as_deref()),
                    assignee
                        .assignee
                        .as_ref()
                        .and_then(|user| user.email_address.as_deref()),
                    assignee.occurred_at.map(|at| at.to_string()),
                );
            }
            if let Some(status) = &changes.status {
                println!(
                    "status changed on {}: {:?} -> {:?} (ids {:?} -> {:?})",
                    status.issue_key,
                    status.from_name,
                    status.to_name,
                    status.from.as_ref().map(|id| id.to_string()),
                    status.to.as_ref().map(|id| id.to_string()),
                );
            }
        }
        other => println!("nothing to sync: {other:?}"),
    }

    // A malformed body is refused with the JSON path of the problem.
    match parse_and_classify(br#"{"webhookEvent": "jira:issue_updated", "issue": {"key": 7}}"#) {
        Ok(classification) => {
            return Err(format!("accepted a malformed body: {classification:?}").into());
        }
        Err(error) => println!("malformed body refused: {error}"),
    }
    Ok(())
}

/// `token` with the first character of its signature segment replaced.
fn tamper_with_signature(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').unwrap_or((token, ""));
    let mut chars = signature.chars();
    let first = match chars.next() {
        Some('A') => 'B',
        _ => 'A',
    };
    format!("{signed}.{first}{}", chars.as_str())
}
