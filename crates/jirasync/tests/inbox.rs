//! `jirasync inbox list` and `inbox replay` on a seeded dead delivery.
#![allow(clippy::unwrap_used, reason = "a panic is a failed test")]

mod support;

use std::time::{Duration, SystemTime};

use jirasync_domain::inbox::{DeliveryId, DeliverySource, DeliveryState, NewDelivery};
use jirasync_webhook::WebhookToken;

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InNlY3JldCJ9.c2ln";

/// Enqueues one delivery and dead-letters it with an error of two lines. It is a delivery an older
/// version stored with its URL token, the one kind of row that still holds a token.
async fn seed_dead_delivery(workdir: &support::Workdir) -> DeliveryId {
    let store = workdir.store().await;
    let received_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_714_564_800);
    let id = store
        .enqueue(NewDelivery {
            source: DeliverySource::LegacyToken(WebhookToken::new(TOKEN)),
            body: b"{}".to_vec(),
            headers: Vec::new(),
            received_at,
            ordering_key: Some("1:APP-1".to_owned()),
            occurred_at: None,
            delivery_key: None,
        })
        .await
        .unwrap();
    let claimed = store
        .claim(received_at, Duration::from_secs(30), 10)
        .await
        .unwrap();
    let attempt = claimed.first().unwrap().attempt;
    store
        .fail(id, attempt, "store unavailable\nretry later", None)
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn lists_a_dead_delivery_with_its_error_and_without_its_token() {
    let workdir = support::Workdir::new();
    let id = seed_dead_delivery(&workdir).await;
    let run = workdir.run(&["inbox", "list", "--state", "dead"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "id\tstate\tattempts\treceived_at\tordering_key\tlast_error\n\
             {id}\tdead\t1\t2024-05-01T12:00:00Z\t1:APP-1\tstore unavailable retry later\n"
        )
    );
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
    let pending = workdir.run(&["inbox", "list", "--state", "pending"]);
    assert_eq!(pending.stdout, "no pending deliveries\n");
}

#[tokio::test]
async fn replays_a_dead_delivery_once() {
    let workdir = support::Workdir::new();
    let id = seed_dead_delivery(&workdir).await;
    let run = workdir.run(&["inbox", "replay", &id.to_string()]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, format!("delivery {id} is pending again\n"));
    let pending = workdir
        .store()
        .await
        .list(Some(DeliveryState::Pending), 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].id, pending[0].attempts), (id, 0));

    let again = workdir.run(&["inbox", "replay", &id.to_string()]);
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(
        again.stderr.contains(&format!(
            "error: inbox delivery {id} is not dead: only dead deliveries can be replayed"
        )),
        "{again:?}"
    );
}

#[tokio::test]
async fn replays_every_dead_delivery() {
    let workdir = support::Workdir::new();
    seed_dead_delivery(&workdir).await;
    let run = workdir.run(&["inbox", "replay", "--all-dead"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "1 dead deliveries are pending again\n");
    assert_eq!(
        workdir.run(&["inbox", "list", "--state", "dead"]).stdout,
        "no dead deliveries\n"
    );
}

#[test]
fn refuses_to_replay_a_delivery_that_does_not_exist() {
    let workdir = support::Workdir::new();
    let run = workdir.run(&["inbox", "replay", "999"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains(
            "error: no inbox delivery has the id 999: `jirasync inbox list` shows the ids"
        ),
        "{run:?}"
    );
}

#[test]
fn refuses_bad_inbox_arguments_as_usage_errors() {
    let workdir = support::Workdir::new();
    assert_eq!(workdir.run(&["inbox", "replay"]).code, Some(2));
    assert_eq!(
        workdir.run(&["inbox", "replay", "1", "--all-dead"]).code,
        Some(2)
    );
    let bad_state = workdir.run(&["inbox", "list", "--state", "lost"]);
    assert_eq!(bad_state.code, Some(2), "{bad_state:?}");
    assert!(
        bad_state.stderr.contains(
            "invalid value 'lost' for '--state <pending|done|dead>': expected pending, done or dead"
        ),
        "{bad_state:?}"
    );
    assert_eq!(
        workdir.run(&["inbox", "list", "--limit", "0"]).code,
        Some(2)
    );
}
