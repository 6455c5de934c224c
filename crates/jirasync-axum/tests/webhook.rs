//! The webhook route's decision table, row by row, in both modes; and that every refusal leaves
//! the store and the inbox as they were.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use jirasync_axum::{AppState, DEFAULT_BODY_LIMIT, router};
use jirasync_domain::DirectoryError;
use jirasync_domain::inbox::{DeliverySource, DeliveryState, Inbox, MemoryInbox};
use jirasync_domain::integration::{ExternalId, IntegrationMetadata};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::{Seed, StaticJiraDirectory};
use jirasync_service::WebhookOutcome;
use jirasync_webhook::{JiraUser, WEBHOOK_PATH_PREFIX, WebhookSecret, mint_token, webhook_url};
use serde_json::Value;
use support::flaky::{FlakyInbox, FlakyStore};
use support::{World, fixture, fixture_json, post, send, service_on};

fn jira_down() -> StaticJiraDirectory {
    StaticJiraDirectory::new().failing(DirectoryError::Unreachable {
        message: "connect timed out".into(),
    })
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

/// Asserts that nothing was applied to the seeded issue.
async fn assert_issue_untouched(world: &World) {
    let issue = world.local_issue().await;
    assert_eq!(issue.assignee, None);
    assert_eq!(issue.status, ResolutionStatus::Unresolved);
    assert_eq!(world.activity_count().await, 0);
}

async fn inbox_len(inbox: &dyn Inbox) -> usize {
    inbox.list(None, 100).await.unwrap().len()
}

// Row 1: body over the limit.

#[tokio::test]
async fn a_body_one_byte_over_the_limit_is_413_and_nothing_is_stored() {
    let world = World::new().await;
    let (state, inbox) = world.inbox(StaticJiraDirectory::new());
    let app = router(state.clone());

    let answer = post(&app, &world.path(), vec![b' '; DEFAULT_BODY_LIMIT + 1]).await;

    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        answer.detail(),
        "The request body is over the limit of 1048576 bytes"
    );
    assert_eq!(
        state
            .service()
            .metrics()
            .webhooks_received(WebhookOutcome::TooLarge),
        1
    );
    assert_eq!(inbox_len(inbox.as_ref()).await, 0);
    assert_issue_untouched(&world).await;
}

#[tokio::test]
async fn a_body_exactly_at_the_limit_is_read() {
    let world = World::new().await;
    let (state, inbox) = world.inbox(StaticJiraDirectory::new());
    let mut body = fixture("assignee_set.json");
    body.resize(DEFAULT_BODY_LIMIT, b' ');

    let answer = post(&router(state), &world.path(), body).await;

    answer.assert_status(StatusCode::ACCEPTED);
    assert_eq!(inbox_len(inbox.as_ref()).await, 1);
}

#[tokio::test]
async fn the_size_check_comes_before_the_token_check() {
    let world = World::new().await;
    let state = world.inline(StaticJiraDirectory::new());
    let path = format!("{WEBHOOK_PATH_PREFIX}not-a-token/");
    let answer = post(&router(state), &path, vec![b' '; DEFAULT_BODY_LIMIT + 1]).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let world = World::new().await;
    let body = fixture("assignee_set.json");
    let state = AppState::builder(world.inline_service(StaticJiraDirectory::new()))
        .body_limit(body.len() - 1)
        .build()
        .unwrap();
    let answer = post(&router(state), &world.path(), body).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_issue_untouched(&world).await;
}

// Row 2: the token.

async fn assert_token_refused(path: &str, expected_detail: &str) {
    let world = World::new().await;
    for inbox_mode in [false, true] {
        let (state, inbox) = if inbox_mode {
            let (state, inbox) = world.inbox(StaticJiraDirectory::new());
            (state, Some(inbox))
        } else {
            (world.inline(StaticJiraDirectory::new()), None)
        };
        let answer = post(&router(state.clone()), path, fixture("assignee_set.json")).await;

        answer.assert_status(StatusCode::BAD_REQUEST);
        assert!(
            answer.detail().starts_with(expected_detail),
            "{:?} does not start with {expected_detail:?}",
            answer.detail()
        );
        let metrics = state.service().metrics();
        assert_eq!(metrics.webhooks_received(WebhookOutcome::InvalidToken), 1);
        assert!(
            metrics
                .render(None)
                .contains("jirasync_webhook_invalid_tokens_total 1\n")
        );
        if let Some(inbox) = inbox {
            assert_eq!(inbox_len(inbox.as_ref()).await, 0);
        }
        assert_issue_untouched(&world).await;
    }
}

#[tokio::test]
async fn an_empty_token_is_400() {
    let path = format!("{WEBHOOK_PATH_PREFIX}/");
    assert_token_refused(&path, "Token was empty").await;
}

#[tokio::test]
async fn a_token_that_is_not_utf8_is_400() {
    let path = format!("{WEBHOOK_PATH_PREFIX}%FF%FE/");
    assert_token_refused(
        &path,
        "Could not decode JWT token: the token is not valid UTF-8",
    )
    .await;
}

#[tokio::test]
async fn a_token_that_is_not_a_jwt_is_400() {
    let path = format!("{WEBHOOK_PATH_PREFIX}not-a-jwt/");
    assert_token_refused(&path, "Could not decode JWT token").await;
}

#[tokio::test]
async fn a_token_without_id_is_400() {
    let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    let path = format!("{WEBHOOK_PATH_PREFIX}{token}/");
    assert_token_refused(&path, "Token did not contain `id`").await;
}

#[tokio::test]
async fn a_token_for_an_unknown_integration_is_400() {
    let token = mint_token(
        "jira.other.com:jirasync",
        &WebhookSecret::new(support::SECRET),
    );
    assert_token_refused(
        &webhook_url("", &token),
        "Could not find integration for token",
    )
    .await;
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_400() {
    let external_id = ExternalId::for_jira("jira.example.com", "jirasync");
    let token = mint_token(external_id.as_str(), &WebhookSecret::new("not-the-secret"));
    assert_token_refused(&webhook_url("", &token), "Could not validate JWT. Got").await;
}

#[tokio::test]
async fn a_token_signed_with_any_stored_secret_is_accepted() {
    let world = World::new().await;
    // During a rotation two secrets are valid.
    let external_id = ExternalId::for_jira("jira2.example.com", "jirasync");
    let old = WebhookSecret::new("the-old-secret");
    let new = WebhookSecret::new("the-new-secret");
    world
        .store
        .seed_integration(
            external_id.clone(),
            "jirasync",
            IntegrationMetadata {
                base_url: "https://jira2.example.com".into(),
                domain_name: "jira2.example.com".into(),
                verify_ssl: true,
                webhook_secrets: vec![old.clone(), new.clone()],
            },
        )
        .await
        .unwrap();
    let app = router(world.inline(StaticJiraDirectory::new()));

    for secret in [old, new] {
        let token = mint_token(external_id.as_str(), &secret);
        let answer = post(
            &app,
            &webhook_url("", &token),
            fixture("issue_created.json"),
        )
        .await;
        answer.assert_status(StatusCode::OK);
    }
}

// Row 3: the payload.

async fn assert_payload_refused(body: Vec<u8>, expected_detail: &str) {
    let world = World::new().await;
    let (state, inbox) = world.inbox(StaticJiraDirectory::new());
    let inbox_answer = post(&router(state.clone()), &world.path(), body.clone()).await;
    let inline_answer = post(
        &router(world.inline(StaticJiraDirectory::new())),
        &world.path(),
        body,
    )
    .await;

    for answer in [inbox_answer, inline_answer] {
        answer.assert_status(StatusCode::BAD_REQUEST);
        assert!(
            answer.detail().contains(expected_detail),
            "{:?} does not contain {expected_detail:?}",
            answer.detail()
        );
    }
    assert_eq!(
        state
            .service()
            .metrics()
            .webhooks_received(WebhookOutcome::BadPayload),
        1
    );
    assert_eq!(inbox_len(inbox.as_ref()).await, 0);
    assert_issue_untouched(&world).await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    assert_payload_refused(
        b"{\"changelog\": ".to_vec(),
        "the body is not valid JSON: EOF while parsing",
    )
    .await;
}

#[tokio::test]
async fn a_changelog_without_items_is_400_not_500() {
    let mut body = fixture_json("assignee_set.json");
    body["changelog"].as_object_mut().unwrap().remove("items");
    assert_payload_refused(
        bytes(&body),
        "has entries but no `items` list: a changelog must list its items",
    )
    .await;
}

#[tokio::test]
async fn an_assignee_change_without_issue_fields_is_400() {
    let mut body = fixture_json("assignee_set.json");
    body["issue"].as_object_mut().unwrap().remove("fields");
    assert_payload_refused(bytes(&body), "issue.fields is missing").await;
}

#[tokio::test]
async fn a_status_change_without_issue_key_is_400() {
    let mut body = fixture_json("status_changed.json");
    body["issue"].as_object_mut().unwrap().remove("key");
    assert_payload_refused(bytes(&body), "issue.key is missing").await;
}

// Row 4: nothing to sync.

#[tokio::test]
async fn a_delivery_without_changelog_is_200_and_nothing_is_stored() {
    let world = World::new().await;
    for name in ["issue_created.json", "custom_fields_only.json"] {
        let (state, inbox) = world.inbox(StaticJiraDirectory::new());
        let answer = post(&router(state.clone()), &world.path(), fixture(name)).await;

        assert_eq!(answer.status, StatusCode::OK, "{name}: {}", answer.text);
        assert_eq!(answer.text, "", "{name}");
        assert_eq!(
            state
                .service()
                .metrics()
                .webhooks_received(WebhookOutcome::Ignored),
            1
        );
        assert_eq!(inbox_len(inbox.as_ref()).await, 0, "{name}");
    }
    assert_issue_untouched(&world).await;
}

// Row 5: inbox mode.

#[tokio::test]
async fn inbox_mode_stores_the_delivery_and_answers_202() {
    let world = World::new().await;
    let (state, inbox) = world.inbox(StaticJiraDirectory::new());
    let body = fixture("assignee_set.json");

    let answer = post(&router(state.clone()), &world.path(), body.clone()).await;

    answer.assert_status(StatusCode::ACCEPTED);
    assert_eq!(
        state
            .service()
            .metrics()
            .webhooks_received(WebhookOutcome::Accepted),
        1
    );
    let stored = inbox.list(None, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    let summary = &stored[0];
    assert_eq!(summary.state, DeliveryState::Pending);
    assert_eq!(
        summary.ordering_key.as_deref(),
        Some(format!("{}:APP-123", world.integration_id).as_str())
    );
    assert_eq!(
        summary.delivery_key.as_ref().map(|key| key.as_str()),
        Some("10001:10172:jira:issue_updated")
    );
    assert_eq!(
        summary.occurred_at.map(|at| at.unix_millis()),
        Some(1_672_531_200_000)
    );
    // Stored as received, with the integration its token named and the headers that matter;
    // not applied yet.
    let claimed = inbox
        .claim(
            std::time::SystemTime::now(),
            std::time::Duration::from_secs(5),
            1,
        )
        .await
        .unwrap();
    let delivery = &claimed[0].delivery;
    assert_eq!(delivery.body, body);
    assert_eq!(
        delivery.source,
        DeliverySource::Integration(world.integration_id)
    );
    let header_names: Vec<&str> = delivery.headers.iter().map(|h| h.name.as_str()).collect();
    assert!(header_names.contains(&"content-type"), "{header_names:?}");
    assert!(header_names.contains(&"user-agent"), "{header_names:?}");
    assert_issue_untouched(&world).await;
}

#[tokio::test]
async fn the_path_without_trailing_slash_is_accepted_too() {
    let world = World::new().await;
    let (state, inbox) = world.inbox(StaticJiraDirectory::new());
    let path = world.path();
    let without_slash = path.trim_end_matches('/');

    let answer = post(&router(state), without_slash, fixture("assignee_set.json")).await;

    answer.assert_status(StatusCode::ACCEPTED);
    assert_eq!(inbox_len(inbox.as_ref()).await, 1);
}

// Row 6: inline mode.

#[tokio::test]
async fn inline_mode_applies_an_assignee_change_and_answers_200() {
    let world = World::new().await;
    let state = world.inline(StaticJiraDirectory::new());

    let answer = post(
        &router(state.clone()),
        &world.path(),
        fixture("assignee_set.json"),
    )
    .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.text, "");
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.jess))
    );
    assert_eq!(world.activity_count().await, 1);
    let metrics = state.service().metrics().render(None);
    assert!(metrics.contains("jirasync_webhooks_received_total{outcome=\"applied\"} 1\n"));
    assert!(
        metrics.contains("jirasync_sync_outcomes_total{kind=\"assignee\",outcome=\"synced\"} 1\n")
    );
    assert!(metrics.contains("jirasync_delivery_processing_seconds_count{path=\"inline\"} 1\n"));
}

#[tokio::test]
async fn inline_mode_resolves_a_hidden_email_through_the_jira_directory() {
    let world = World::new().await;
    let directory = StaticJiraDirectory::new().with_user(JiraUser {
        name: Some("jess".into()),
        key: Some("JIRAUSER10100".into()),
        email_address: Some("jess@example.com".into()),
        ..JiraUser::default()
    });
    let state = world.inline(directory);

    let answer = post(
        &router(state),
        &world.path(),
        fixture("assignee_hidden_email.json"),
    )
    .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.jess))
    );
}

#[tokio::test]
async fn inline_mode_resolves_when_the_status_enters_done() {
    let world = World::new().await;
    let state = world.inline(StaticJiraDirectory::new().with_done_statuses(["10102"]));

    let answer = post(
        &router(state),
        &world.path(),
        fixture("status_changed.json"),
    )
    .await;

    answer.assert_status(StatusCode::OK);
    assert_eq!(world.local_issue().await.status, ResolutionStatus::Resolved);
}

#[tokio::test]
async fn inline_mode_answers_200_for_a_halt_and_counts_its_reason() {
    let world = World::new().await;
    let state = world.inline(StaticJiraDirectory::new().with_done_statuses(["10102"]));
    let app = router(state.clone());
    post(&app, &world.path(), fixture("assignee_set.json")).await;

    // The same delivery again: applied once.
    let answer = post(&app, &world.path(), fixture("assignee_set.json")).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(world.activity_count().await, 1);
    let metrics = state.service().metrics().render(None);
    assert!(
        metrics.contains(
            "jirasync_sync_halts_total{kind=\"assignee\",reason=\"duplicate-delivery\"} 1\n"
        ),
        "{metrics}"
    );
}

// Row 7: unavailable.

#[tokio::test]
async fn a_store_that_is_down_gives_503_in_both_modes() {
    let inbox = Arc::new(MemoryInbox::new());
    let (world, flaky, services) = FlakyStore::down_in_both_modes(inbox.clone()).await;

    for state in services.map(AppState::new) {
        let answer = post(
            &router(state.clone()),
            &world.path(),
            fixture("assignee_set.json"),
        )
        .await;
        answer.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            answer
                .detail()
                .starts_with("the store is unavailable, retry later"),
            "{}",
            answer.text
        );
        assert_eq!(
            state
                .service()
                .metrics()
                .webhooks_received(WebhookOutcome::Unavailable),
            1
        );
    }
    flaky.switch.set_down(false);
    assert_eq!(inbox_len(inbox.as_ref()).await, 0);
    assert_issue_untouched(&world).await;
}

#[tokio::test]
async fn an_inbox_that_is_down_gives_503_and_stores_nothing() {
    let world = World::new().await;
    let inbox = Arc::new(FlakyInbox::default());
    inbox.switch.set_down(true);
    let state = AppState::new(service_on(
        world.store.clone(),
        world.store.clone(),
        Arc::new(StaticJiraDirectory::new()),
        Some(inbox.clone()),
    ));

    let answer = post(&router(state), &world.path(), fixture("assignee_set.json")).await;

    answer.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    inbox.switch.set_down(false);
    assert_eq!(inbox_len(&inbox.inner).await, 0);
    assert_issue_untouched(&world).await;
}

#[tokio::test]
async fn inline_mode_gives_503_when_jira_is_unreachable() {
    let world = World::new().await;
    let state = world.inline(jira_down());

    let answer = post(
        &router(state.clone()),
        &world.path(),
        fixture("status_changed.json"),
    )
    .await;

    answer.assert_status(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        answer.detail(),
        "a Jira look-up failed: Jira could not be reached: connect timed out; Jira may send the delivery again later"
    );
    assert!(
        state
            .service()
            .metrics()
            .render(None)
            .contains("jirasync_sync_failures_total{retryable=\"true\"} 1\n")
    );
    assert_issue_untouched(&world).await;
}

// Row 8: methods.

#[tokio::test]
async fn other_methods_get_405_with_a_json_body() {
    let world = World::new().await;
    let (state, inbox) = world.inbox(StaticJiraDirectory::new());
    let app = router(state);
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        let answer = send(&app, method, &world.path(), fixture("assignee_set.json")).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(answer.allow.as_deref(), Some("POST"), "{method}");
        assert_eq!(answer.detail(), "Method not allowed: use POST", "{method}");
    }
    assert_eq!(inbox_len(inbox.as_ref()).await, 0);
    assert_issue_untouched(&world).await;
}
