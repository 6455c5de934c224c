//! `jirasync events list [--dead]` and `events replay ID` on a dead-lettered event delivery.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod support;

use std::time::Duration;

use jirasync_domain::events::{
    DeliveryResult, EventCursor, EventTimestamp, NewSubscriber, SigningSecret, SubscriberUrl,
};

/// In 2096: every delivery is due by then.
const LATER: EventTimestamp = EventTimestamp::from_unix_millis(4_000_000_000_000);

/// A subscriber, then an install (an `integration.installed` event) whose delivery is
/// dead-lettered with an error of two lines; the event's id.
async fn seed_dead_event(workdir: &support::Workdir) -> String {
    let store = workdir.store().await;
    store
        .create_subscriber(NewSubscriber {
            url: SubscriberUrl::parse("http://127.0.0.1:9/hook").unwrap(),
            description: "app".into(),
            secret: SigningSecret::generate(),
            created_at: EventTimestamp::from_unix_millis(1),
        })
        .await
        .unwrap();
    support::install(store.as_ref(), "https://jira.example.com").await;
    let jobs = store
        .claim_deliveries(LATER, Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    store
        .finish_delivery(
            &jobs[0].claim,
            DeliveryResult::Dead {
                at: EventTimestamp::from_unix_millis(1_714_564_800_000),
                error: "the request could not connect\nrefused".into(),
            },
        )
        .await
        .unwrap();
    let events = store.events_after(EventCursor::START, 10).await.unwrap();
    events[0].event.id.to_string()
}

#[tokio::test]
async fn lists_a_dead_lettered_delivery_with_its_error() {
    let workdir = support::Workdir::new();
    let id = seed_dead_event(&workdir).await;
    let run = workdir.run(&["events", "list", "--dead"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "event_id\ttype\tcursor\tsubscriber\turl\tstatus\tattempts\tat\tlast_error\n\
             {id}\tintegration.installed\t1\t1\thttp://127.0.0.1:9/hook\tdead\t1\t\
             2024-05-01T12:00:00.000Z\tthe request could not connect refused\n"
        )
    );
    let all = workdir.run(&["events", "list"]);
    assert!(all.stdout.contains(&id), "{all:?}");
}

#[tokio::test]
async fn replays_a_dead_lettered_event() {
    let workdir = support::Workdir::new();
    let id = seed_dead_event(&workdir).await;
    let run = workdir.run(&["events", "replay", &id]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!("event {id} is pending again for 1 subscribers\n")
    );
    assert_eq!(
        workdir.run(&["events", "list", "--dead"]).stdout,
        "no dead event deliveries\n"
    );
}

#[test]
fn refuses_to_replay_what_is_not_an_event() {
    let workdir = support::Workdir::new();
    let unknown = workdir.run(&["events", "replay", "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert!(
        unknown.stderr.contains(
            "error: no event evt_01ARZ3NDEKTSV4RRFFQ69G5FAV in the database: `jirasync events list` shows the ids"
        ),
        "{unknown:?}"
    );
    let malformed = workdir.run(&["events", "replay", "42"]);
    assert_eq!(malformed.code, Some(1), "{malformed:?}");
    assert!(
        malformed
            .stderr
            .contains("error: \"42\" is not an event id"),
        "{malformed:?}"
    );
    assert_eq!(
        workdir.run(&["events", "list", "--limit", "0"]).code,
        Some(2)
    );
}
