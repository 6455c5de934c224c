//! Inline mode when applying needs Jira and Jira cannot help: the delivery is not the sender's
//! fault, and Jira ≤ 9 never sends it again, so it is kept in the inbox and accepted (202). The
//! workers retry it while Jira is unreachable and apply it once Jira answers; when the
//! installation has no credentials it is parked (dead, with the reason) until an operator fixes
//! it and replays it. Also: event times beyond the tolerance window are ignored, not stored.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests: a failed step should stop the test"
)]

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use async_trait::async_trait;
use jirasync_domain::inbox::{DeliveryState, Inbox, MemoryInbox};
use jirasync_domain::integration::Integration;
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::{DirectoryError, JiraDirectory, StaticJiraDirectory};
use jirasync_service::{
    ManualClock, SyncService, WebhookMode, WebhookOutcome, WebhookReceipt, process_available,
};
use jirasync_webhook::{JiraUser, StatusId};
use support::{World, fixture, fixture_json};

/// `status_changed.json` moves APP-123 to status 10102, whose category is `done`.
const DONE_STATUS: &str = "10102";

/// A Jira that answers as a [`StaticJiraDirectory`] knowing the `done` status, or fails every
/// look-up with the error it is given, until told otherwise.
struct SwitchableJira {
    working: StaticJiraDirectory,
    failure: Mutex<Option<DirectoryError>>,
}

impl SwitchableJira {
    fn failing(error: DirectoryError) -> Arc<Self> {
        Arc::new(Self {
            working: StaticJiraDirectory::new().with_done_statuses([DONE_STATUS]),
            failure: Mutex::new(Some(error)),
        })
    }

    fn fixed(&self) {
        *self.failure.lock().unwrap() = None;
    }

    fn failure(&self) -> Result<(), DirectoryError> {
        self.failure.lock().unwrap().clone().map_or(Ok(()), Err)
    }
}

#[async_trait]
impl JiraDirectory for SwitchableJira {
    async fn find_user(
        &self,
        integration: &Integration,
        user: &JiraUser,
    ) -> Result<Option<JiraUser>, DirectoryError> {
        self.failure()?;
        self.working.find_user(integration, user).await
    }

    async fn done_status_ids(
        &self,
        integration: &Integration,
    ) -> Result<BTreeSet<StatusId>, DirectoryError> {
        self.failure()?;
        self.working.done_status_ids(integration).await
    }
}

fn jira_down() -> DirectoryError {
    DirectoryError::Unreachable {
        message: "connect timed out".into(),
    }
}

/// An inline service with an inbox (as `jirasync serve --mode inline` builds it) on `world`, on
/// a clock that tests move.
fn inline_service_with_inbox(
    world: &World,
    jira: Arc<SwitchableJira>,
) -> (SyncService, Arc<MemoryInbox>, Arc<ManualClock>) {
    let inbox = Arc::new(MemoryInbox::new());
    let clock = Arc::new(ManualClock::at_unix_timestamp(1_700_000_000));
    let service = SyncService::builder(world.store.clone(), world.store.clone(), jira)
        .inbox(inbox.clone())
        .mode(WebhookMode::Inline)
        .clock(clock.clone())
        .build()
        .unwrap();
    (service, inbox, clock)
}

async fn receive(service: &SyncService, world: &World, body: &[u8]) -> WebhookReceipt {
    service
        .receive_webhook(world.token().expose_secret(), body, &[])
        .await
}

#[tokio::test]
async fn jira_down_keeps_the_delivery_with_202_and_a_worker_applies_it_once_jira_answers() {
    let world = World::new().await;
    let jira = SwitchableJira::failing(jira_down());
    let (service, inbox, clock) = inline_service_with_inbox(&world, jira.clone());

    let receipt = receive(&service, &world, &fixture("status_changed.json")).await;

    assert!(
        matches!(receipt, WebhookReceipt::Accepted(_)),
        "{receipt:?}"
    );
    assert_eq!(receipt.outcome(), WebhookOutcome::Accepted);
    let pending = inbox.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        world.local_issue().await.status,
        ResolutionStatus::Unresolved
    );
    assert!(
        service
            .metrics()
            .render(None)
            .contains("jirasync_deliveries_deferred_total{reason=\"jira_unreachable\"} 1\n")
    );

    // Jira is still down: the worker's attempt fails and is scheduled again.
    assert_eq!(process_available(&service).await.unwrap(), 1);
    let pending = inbox.list(Some(DeliveryState::Pending), 10).await.unwrap();
    assert_eq!(pending[0].attempts, 1);
    let error = pending[0].last_error.as_deref().unwrap_or_default();
    assert!(error.contains("Jira could not be reached"), "{error}");
    assert_eq!(
        world.local_issue().await.status,
        ResolutionStatus::Unresolved
    );

    // Jira answers again; once the back-off has passed, the worker applies it.
    jira.fixed();
    clock.advance(Duration::from_secs(600));
    assert_eq!(process_available(&service).await.unwrap(), 1);
    assert_eq!(world.local_issue().await.status, ResolutionStatus::Resolved);
    let done = inbox.list(Some(DeliveryState::Done), 10).await.unwrap();
    assert_eq!(done.len(), 1);
}

#[tokio::test]
async fn a_hidden_email_that_needs_an_unreachable_jira_is_kept_not_lost() {
    let world = World::new().await;
    let jira = SwitchableJira::failing(jira_down());
    let (service, inbox, _clock) = inline_service_with_inbox(&world, jira.clone());
    // jess's e-mail hidden: only Jira's user directory can tell who she is.
    let mut body = fixture_json("assignee_set.json");
    body["issue"]["fields"]["assignee"]
        .as_object_mut()
        .unwrap()
        .remove("emailAddress");

    let receipt = receive(&service, &world, &serde_json::to_vec(&body).unwrap()).await;

    assert!(
        matches!(receipt, WebhookReceipt::Accepted(_)),
        "{receipt:?}"
    );
    assert_eq!(world.local_issue().await.assignee, None);
    assert_eq!(
        inbox
            .list(Some(DeliveryState::Pending), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn no_credentials_parks_the_delivery_with_its_reason_and_a_replay_after_the_fix_applies_it() {
    let world = World::new().await;
    let jira = SwitchableJira::failing(DirectoryError::NoCredentials {
        integration_id: world.integration_id,
    });
    let (service, inbox, _clock) = inline_service_with_inbox(&world, jira.clone());

    let receipt = receive(&service, &world, &fixture("status_changed.json")).await;
    let WebhookReceipt::Accepted(id) = receipt else {
        panic!("{receipt:?}");
    };
    assert!(
        service
            .metrics()
            .render(None)
            .contains("jirasync_deliveries_deferred_total{reason=\"configuration\"} 1\n")
    );

    // The worker does not retry a configuration error: it parks it at its first attempt.
    assert_eq!(process_available(&service).await.unwrap(), 1);
    let dead = inbox.list(Some(DeliveryState::Dead), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].attempts, 1);
    let reason = dead[0].last_error.as_deref().unwrap_or_default();
    assert!(reason.starts_with("parked, not retried: "), "{reason}");
    assert!(
        reason.contains(&format!(
            "no credentials for integration {}",
            world.integration_id
        )),
        "{reason}"
    );
    assert!(
        reason.contains(&format!("`jirasync inbox replay {id}`")),
        "{reason}"
    );
    assert_eq!(
        world.local_issue().await.status,
        ResolutionStatus::Unresolved
    );

    // The operator installs credentials, then replays it.
    jira.fixed();
    inbox.replay(id).await.unwrap();
    assert_eq!(process_available(&service).await.unwrap(), 1);
    assert_eq!(world.local_issue().await.status, ResolutionStatus::Resolved);
}

#[tokio::test]
async fn an_event_time_far_in_the_future_is_ignored_and_later_changes_still_apply() {
    let world = World::new().await;
    let service = world.inline_service(StaticJiraDirectory::new());
    // Year 10000 in `issue.fields.updated` and in `timestamp`, then i64::MAX ms.
    let year_10000_ms: i64 = 253_402_300_800_000;
    for (updated, timestamp) in [
        (
            serde_json::json!("10000-01-01T00:00:00.000+0000"),
            serde_json::json!(year_10000_ms),
        ),
        (serde_json::Value::Null, serde_json::json!(i64::MAX)),
    ] {
        let mut body = fixture_json("assignee_set.json");
        body["timestamp"] = timestamp;
        body["issue"]["fields"]["updated"] = updated;
        let receipt = receive(&service, &world, &serde_json::to_vec(&body).unwrap()).await;
        assert!(matches!(receipt, WebhookReceipt::Applied(_)), "{receipt:?}");
    }
    assert_eq!(service.metrics().event_times_ignored(), 2);
    assert!(
        service
            .metrics()
            .render(None)
            .contains("jirasync_event_times_ignored_total 2\n")
    );

    // No watermark was stored: a later (real) change to bob applies.
    let mut body = fixture_json("assignee_set.json");
    body["issue"]["fields"]["assignee"]["name"] = "bob".into();
    body["issue"]["fields"]["assignee"]["emailAddress"] = "bob@example.com".into();
    body["changelog"]["id"] = "99999".into();
    let receipt = receive(&service, &world, &serde_json::to_vec(&body).unwrap()).await;
    let WebhookReceipt::Applied(outcome) = &receipt else {
        panic!("{receipt:?}");
    };
    assert_eq!(outcome.assignee.as_ref().map(|sync| sync.changed), Some(1));
    assert_eq!(
        world.local_issue().await.assignee,
        Some(Assignee::User(world.bob))
    );
}

#[tokio::test]
async fn an_event_time_within_the_tolerance_is_kept_in_the_inbox_row() {
    let world = World::new().await;
    let inbox = Arc::new(MemoryInbox::new());
    // Received at the fixture's own time: one minute ahead is within an hour's tolerance, two
    // hours ahead is not.
    let clock = Arc::new(ManualClock::at(
        UNIX_EPOCH + Duration::from_millis(1_672_531_200_000),
    ));
    let service = SyncService::builder(
        world.store.clone(),
        world.store.clone(),
        Arc::new(StaticJiraDirectory::new()),
    )
    .inbox(inbox.clone())
    .clock(clock)
    .event_time_tolerance(Duration::from_secs(3600))
    .build()
    .unwrap();
    for ahead_ms in [60_000, 7_200_000] {
        let mut body = fixture_json("assignee_set.json");
        body["issue"]["fields"]["updated"] = serde_json::Value::Null;
        body["timestamp"] = (1_672_531_200_000_i64 + ahead_ms).into();
        body["changelog"]["id"] = ahead_ms.to_string().into();
        receive(&service, &world, &serde_json::to_vec(&body).unwrap()).await;
    }

    let stored: Vec<Option<i64>> = inbox
        .list(None, 10)
        .await
        .unwrap()
        .iter()
        .map(|row| row.occurred_at.map(|at| at.unix_millis()))
        .collect();
    assert_eq!(stored, [Some(1_672_531_260_000), None]);
    assert_eq!(service.metrics().event_times_ignored(), 1);
}
