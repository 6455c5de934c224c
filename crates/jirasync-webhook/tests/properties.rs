//! Properties over arbitrary input: nothing from the network makes parsing, classification or token
//! verification panic, and tokens survive a round trip but not a change.

// Helpers outside #[test] functions may fail loudly too: a panic here is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use jirasync_webhook::{
    Classification, WebhookSecret, mint_token, parse, parse_and_classify, peek_external_id,
    verify_token,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Keys the payload model reads, so arbitrary JSON reaches the typed paths often.
const KEYS: &[&str] = &[
    "timestamp",
    "webhookEvent",
    "issue_event_type_name",
    "user",
    "issue",
    "id",
    "key",
    "self",
    "fields",
    "assignee",
    "status",
    "statusCategory",
    "project",
    "updated",
    "changelog",
    "items",
    "field",
    "fieldtype",
    "fieldId",
    "from",
    "fromString",
    "to",
    "toString",
    "name",
    "emailAddress",
    "displayName",
    "active",
    "timeZone",
    "summary",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS).prop_map(str::to_owned),
        1 => ".{0,8}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        proptest::sample::select(
            &[
                "assignee",
                "status",
                "2023-01-01T00:00:00.000+0000",
                "APP-1",
                "10001",
                "",
            ][..]
        )
        .prop_map(|s| json!(s)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A payload shaped like a delivery, with arbitrary values in the typed places.
fn payload_like() -> impl Strategy<Value = Value> {
    (json_value(), json_value(), json_value(), json_value(), json_value()).prop_map(
        |(assignee, updated, changelog_id, field, to)| {
            json!({
                "timestamp": 1525698237764_i64,
                "webhookEvent": "jira:issue_updated",
                "issue": {"id": "10001", "key": "APP-1", "fields": {"assignee": assignee, "updated": updated}},
                "changelog": {"id": changelog_id, "items": [{"field": field, "to": to}]},
            })
        },
    )
}

proptest! {
    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_and_classify(&bytes);
    }

    #[test]
    fn parsing_arbitrary_json_never_panics(value in json_value()) {
        let _ = parse_and_classify(value.to_string().as_bytes());
    }

    #[test]
    fn parsing_payload_shaped_json_never_panics(value in payload_like()) {
        let body = value.to_string();
        if let Ok(Classification::Changes(changes)) = parse_and_classify(body.as_bytes())
            && let Some(assignee) = changes.assignee
        {
            prop_assert_eq!(assignee.issue_key.as_str(), "APP-1");
        }
    }

    #[test]
    fn errors_never_echo_large_values(len in 1_000_usize..4_000) {
        let body = json!({"issue": {"fields": {"assignee": "x".repeat(len)}}}).to_string();
        let message = parse(body.as_bytes()).unwrap_err().to_string();
        prop_assert!(message.len() < 200, "{}", message);
    }

    #[test]
    fn verifying_arbitrary_text_never_panics(token in ".{0,300}") {
        let secret = WebhookSecret::new("secret");
        let _ = verify_token(&token, &[secret]);
        let _ = peek_external_id(&token);
    }

    #[test]
    fn verifying_jwt_shaped_text_never_panics(
        parts in proptest::collection::vec("[A-Za-z0-9_=-]{0,60}", 0..5),
    ) {
        let token = parts.join(".");
        let _ = verify_token(&token, &[WebhookSecret::new("secret")]);
        let _ = peek_external_id(&token);
    }

    #[test]
    fn minted_tokens_round_trip(id in ".{0,200}") {
        let secret = WebhookSecret::generate();
        let token = mint_token(&id, &secret);
        let verified = verify_token(token.expose_secret(), &[secret]).unwrap();
        prop_assert_eq!(verified.external_id(), id.as_str());
        prop_assert_eq!(peek_external_id(token.expose_secret()).unwrap(), id);
    }

    #[test]
    fn changing_one_character_breaks_the_token(
        id in "[a-z0-9:.-]{1,40}",
        position in any::<prop::sample::Index>(),
        replacement in proptest::char::range('-', 'z'),
    ) {
        let secret = WebhookSecret::generate();
        let token = mint_token(&id, &secret).expose_secret().to_owned();
        let mut chars: Vec<char> = token.chars().collect();
        let at = position.index(chars.len());
        prop_assume!(chars[at] != replacement);
        chars[at] = replacement;
        let changed: String = chars.into_iter().collect();
        prop_assert!(verify_token(&changed, &[secret]).is_err(), "{} was accepted", changed);
    }
}
