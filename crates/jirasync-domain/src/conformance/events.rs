//! The outbox of outgoing events ([`crate::events`]): a change a store commits writes exactly
//! its events, in the same transaction; a refused or failed change writes none; events are read
//! in cursor order; deliveries keep the order of one issue per subscriber, retry, dead-letter
//! and replay.

use std::sync::Arc;
use std::time::Duration;

use jirasync_webhook::IssueKey;

use super::World;
use super::fixture::{DONE, Fixture, IN_PROGRESS, KEY, assigned_to_email, status_changed};
use super::test_host::{HostFault, TestHost};
use crate::events::{
    DeliveryFilter, DeliveryJob, DeliveryResult, DeliveryStatus, EventAssignee, EventCursor,
    EventPayload, EventSource, EventStatus, EventTimestamp, EventType, NewSubscriber,
    SigningSecret, StoredEvent, SubscriberId, SubscriberUrl,
};
use crate::ids::OrganizationId;
use crate::integration::{JiraCredentials, SyncConfig};
use crate::organization::OrganizationFeatures;
use crate::rules::inbound::InboundSync;
use crate::rules::install::{InstallRequest, install_jira_server};
use crate::rules::issue_links::link_jira_issue;
use crate::secret::SecretString;
use crate::store::{IdentityWrite, InstallPlan, IntegrationWrite, LinkWrite, StoreError};

/// A moment to claim at (in 2096): the deliveries are due at their events' times (now), so
/// every one is due by then.
const LATER: EventTimestamp = EventTimestamp::from_unix_millis(4_000_000_000_000);
const LEASE: Duration = Duration::from_secs(60);

/// Every event recorded so far.
async fn all_events<S: World + ?Sized>(store: &S) -> Vec<StoredEvent> {
    store.events_after(EventCursor::START, 1000).await.unwrap()
}

/// The types of the events after `after`.
async fn types_after<S: World + ?Sized>(store: &S, after: EventCursor) -> Vec<EventType> {
    store
        .events_after(after, 1000)
        .await
        .unwrap()
        .iter()
        .map(|stored| stored.event.event_type())
        .collect()
}

/// The last cursor so far.
async fn last_cursor<S: World + ?Sized>(store: &S) -> EventCursor {
    all_events(store)
        .await
        .last()
        .map_or(EventCursor::START, |stored| stored.cursor)
}

async fn subscribe<S: World + ?Sized>(store: &S, url: &str) -> SubscriberId {
    store
        .create_subscriber(NewSubscriber {
            url: SubscriberUrl::parse(url).unwrap(),
            description: "test".into(),
            secret: SigningSecret::generate(),
            created_at: EventTimestamp::from_unix_millis(1),
        })
        .await
        .unwrap()
        .id
}

/// The claimed jobs as (subscriber, Jira key or type, cursor), sorted.
fn claimed(jobs: &[DeliveryJob]) -> Vec<(SubscriberId, EventCursor)> {
    let mut claimed: Vec<_> = jobs
        .iter()
        .map(|job| (job.claim.subscriber_id, job.claim.cursor))
        .collect();
    claimed.sort();
    claimed
}

/// Behaviour: an applied assignee change writes exactly one `issue.assignee_changed` event with
/// the old and new assignee; applying it again (unchanged) writes none.
pub async fn applied_assignee_change_writes_exactly_its_event<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let before = last_cursor(&*f.store).await;
    let outcome = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(outcome.changed, 1);
    let events = f.store.events_after(before, 100).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0].event;
    assert!(event.id.as_str().starts_with("evt_"));
    assert_eq!(event.organization_id, f.organization.get());
    match &event.payload {
        EventPayload::IssueAssigneeChanged(data) => {
            assert_eq!(data.issue_id, f.issue.get());
            assert_eq!(data.jira_key, IssueKey::new(KEY));
            assert_eq!(data.integration_id, f.integration.get());
            assert_eq!(data.old, None);
            assert!(
                matches!(data.new, Some(EventAssignee::User { id, .. }) if id == f.alice.get()),
                "{data:?}"
            );
            assert_eq!(data.source, EventSource::Jira);
        }
        other => panic!("unexpected payload {other:?}"),
    }
    // The same change again, and an older one: nothing changes, no event.
    f.assign_email("alice@example.com", 2_000).await;
    f.assign_email("alice@example.com", 500).await;
    assert_eq!(f.store.events_after(before, 100).await.unwrap().len(), 1);
}

/// Behaviour: an applied status change writes one `issue.status_changed` event.
pub async fn applied_status_change_writes_its_event<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let before = last_cursor(&*f.store).await;
    f.change_status(&status_changed(IN_PROGRESS, DONE, 1_000))
        .await;
    let events = f.store.events_after(before, 100).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    match &events[0].event.payload {
        EventPayload::IssueStatusChanged(data) => {
            assert_eq!(data.issue_id, f.issue.get());
            assert_eq!(data.old, EventStatus::Unresolved);
            assert_eq!(data.new, EventStatus::Resolved);
        }
        other => panic!("unexpected payload {other:?}"),
    }
}

/// Behaviour: a sync whose host fails before writing, or whose process stops before the commit,
/// writes no event (the event is committed with the watermark, never before).
pub async fn failed_sync_writes_no_event<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let before = last_cursor(&*f.store).await;
    for fault in [
        HostFault::FailBeforeWrite { call: 1 },
        HostFault::CrashAfterWrite { call: 1 },
    ] {
        let sync = InboundSync::new(
            Arc::clone(&f.store),
            Arc::new(TestHost::with_fault(Arc::clone(&f.store), fault)),
            Arc::clone(&f.directory),
        );
        let event = assigned_to_email("alice@example.com", 1_000);
        sync.sync_assignee(f.integration, &event, None)
            .await
            .expect_err("the faulty host fails the sync");
        assert_eq!(types_after(&*f.store, before).await, Vec::new());
    }
}

/// Behaviour: linking writes `issue.linked`, linking again writes nothing, unlinking writes
/// `issue.unlinked`; a refused link or unlink writes nothing.
pub async fn link_and_unlink_write_their_events<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let before = last_cursor(&*f.store).await;
    let key = IssueKey::new("APP-2");
    let issue = f.linked_issue(f.organization, f.project, "APP-9").await;
    let seeded = last_cursor(&*f.store).await;
    link_jira_issue(
        &*f.store,
        &*f.store,
        f.organization,
        f.integration,
        "APP-2",
        issue,
    )
    .await
    .unwrap();
    f.store
        .link_issue(f.organization, f.integration, &key, issue)
        .await
        .unwrap();
    // Refused: malformed key, another organization, no organization link, no such link.
    link_jira_issue(
        &*f.store,
        &*f.store,
        f.organization,
        f.integration,
        "not a key",
        issue,
    )
    .await
    .unwrap_err();
    let error = f
        .store
        .link_issue(OrganizationId::new(999), f.integration, &key, issue)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
    let error = f
        .store
        .unlink_issue(
            f.organization,
            f.integration,
            &IssueKey::new("APP-3"),
            issue,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
    f.store
        .unlink_issue(f.organization, f.integration, &key, issue)
        .await
        .unwrap();
    assert_eq!(
        types_after(&*f.store, seeded).await,
        vec![EventType::IssueLinked, EventType::IssueUnlinked]
    );
    let events = f.store.events_after(seeded, 10).await.unwrap();
    for stored in &events {
        match &stored.event.payload {
            EventPayload::IssueLinked(data) | EventPayload::IssueUnlinked(data) => {
                assert_eq!(data.issue_id, issue.get());
                assert_eq!(data.jira_key, key);
                assert_eq!(data.source, EventSource::Operator);
            }
            other => panic!("unexpected payload {other:?}"),
        }
    }
    // Seeding writes no event.
    assert_eq!(types_after(&*f.store, before).await.len(), 2);
}

fn install_request(organization_id: OrganizationId) -> InstallRequest {
    InstallRequest {
        organization_id,
        base_url: "https://jira.example.com/".into(),
        consumer_key: "jirasync".into(),
        verify_ssl: true,
        webhook_secret: jirasync_webhook::WebhookSecret::new("s1"),
        credentials: JiraCredentials::OAuth1 {
            consumer_key: "jirasync".into(),
            private_key_pem: SecretString::new("-----BEGIN PRIVATE KEY-----"),
            access_token: "access-token".into(),
            access_token_secret: SecretString::new("token-secret"),
        },
        installed_by: None,
    }
}

/// Behaviour: an install writes one `integration.installed` event; a refused plan writes none.
pub async fn install_writes_integration_installed<S: World + 'static>(store: S) {
    let organization = store
        .seed_organization("acme", OrganizationFeatures::all())
        .await
        .unwrap();
    let installed = install_jira_server(&store, install_request(organization))
        .await
        .unwrap();
    let events = all_events(&store).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event.organization_id, organization.get());
    match &events[0].event.payload {
        EventPayload::IntegrationInstalled(data) => {
            assert_eq!(data.integration_id, installed.integration.id.get());
            assert_eq!(data.provider, "jira_server");
            assert_eq!(data.base_url, "https://jira.example.com");
            assert!(data.link_created);
        }
        other => panic!("unexpected payload {other:?}"),
    }
    // A plan made on a stale read (the integration exists now) is refused: no event.
    let stale = InstallPlan {
        organization_id: organization,
        integration: IntegrationWrite::Create {
            provider: installed.integration.provider.clone(),
            external_id: installed.integration.external_id.clone(),
            name: "again".into(),
            metadata: installed.integration.metadata.clone(),
        },
        identity: IdentityWrite {
            existing: None,
            installed_by: None,
            credentials: installed.identity.credentials.clone(),
        },
        link: LinkWrite::Create {
            config: SyncConfig::default(),
        },
    };
    let error = store.save_install(stale).await.unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
    // An unknown organization: refused too.
    let error = install_jira_server(&store, install_request(OrganizationId::new(4242)))
        .await
        .unwrap_err();
    assert!(!error.to_string().is_empty());
    assert_eq!(all_events(&store).await.len(), 1);
}

/// Behaviour: events are read after a cursor, in cursor order, at most `limit` at a time, with
/// ids that grow with the cursor.
pub async fn events_are_read_in_cursor_order<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let start = last_cursor(&*f.store).await;
    let issue = f.linked_issue(f.organization, f.project, "APP-9").await;
    for n in 2..7 {
        let key = IssueKey::new(format!("APP-{n}"));
        f.store
            .link_issue(f.organization, f.integration, &key, issue)
            .await
            .unwrap();
    }
    let all = f.store.events_after(start, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    for pair in all.windows(2) {
        assert!(pair[0].cursor < pair[1].cursor);
        assert!(pair[0].event.id < pair[1].event.id);
    }
    let first_two = f.store.events_after(start, 2).await.unwrap();
    assert_eq!(first_two, all[..2].to_vec());
    let rest = f
        .store
        .events_after(first_two[1].cursor, 100)
        .await
        .unwrap();
    assert_eq!(rest, all[2..].to_vec());
    assert!(
        f.store
            .events_after(all[4].cursor, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let found = f.store.event(&all[3].event.id).await.unwrap();
    assert_eq!(found.as_ref(), Some(&all[3]));
}

/// Links `n` Jira keys to a new issue of the fixture; the issue.
async fn linked_events<S: World + 'static>(
    f: &Fixture<S>,
    first_key: usize,
    n: usize,
) -> crate::ids::LocalIssueId {
    let issue = f
        .store
        .seed_local_issue(f.project, Default::default(), None)
        .await
        .unwrap();
    for k in first_key..first_key + n {
        f.store
            .link_issue(
                f.organization,
                f.integration,
                &IssueKey::new(format!("APP-{k}")),
                issue,
            )
            .await
            .unwrap();
    }
    issue
}

/// Behaviour: each subscriber gets a delivery of each later event; the events of one issue are
/// claimed one at a time, in order; other issues' events are claimed meanwhile; a claimed
/// delivery is not claimed again while its lease lasts.
pub async fn deliveries_keep_the_order_of_one_issue<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    // An event before any subscriber: delivered to none.
    linked_events(&f, 100, 1).await;
    let one = subscribe(&*f.store, "https://one.example.com/hook").await;
    let two = subscribe(&*f.store, "http://127.0.0.1:9/hook").await;
    let start = last_cursor(&*f.store).await;
    linked_events(&f, 10, 2).await; // issue A: two events
    linked_events(&f, 20, 1).await; // issue B: one event
    let events = f.store.events_after(start, 10).await.unwrap();
    let (a1, a2, b1) = (events[0].cursor, events[1].cursor, events[2].cursor);

    let jobs = f.store.claim_deliveries(LATER, LEASE, 100).await.unwrap();
    assert_eq!(
        claimed(&jobs),
        vec![(one, a1), (one, b1), (two, a1), (two, b1)]
    );
    // Claimed: not again while the lease lasts.
    assert!(
        f.store
            .claim_deliveries(LATER, LEASE, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let job = jobs
        .iter()
        .find(|job| job.claim.subscriber_id == one && job.claim.cursor == a1)
        .unwrap();
    assert_eq!(job.subscriber.url.as_str(), "https://one.example.com/hook");
    assert_eq!(job.event.cursor, a1);
    assert_eq!(job.attempts, 0);
    f.store
        .finish_delivery(&job.claim, DeliveryResult::Delivered { at: LATER })
        .await
        .unwrap();
    // A's second event for `one` follows; `two` still waits for its first.
    let next = f.store.claim_deliveries(LATER, LEASE, 100).await.unwrap();
    assert_eq!(claimed(&next), vec![(one, a2)]);
    // After the lease, the unfinished claims are taken over.
    let after_lease = EventTimestamp::from_unix_millis(LATER.unix_millis() + 2 * 60_000);
    let taken = f
        .store
        .claim_deliveries(after_lease, LEASE, 100)
        .await
        .unwrap();
    assert_eq!(
        claimed(&taken),
        vec![(one, a2), (one, b1), (two, a1), (two, b1)]
    );
    // The old claim is lost.
    let stale = jobs
        .iter()
        .find(|job| job.claim.subscriber_id == two && job.claim.cursor == a1)
        .unwrap();
    let error = f
        .store
        .finish_delivery(&stale.claim, DeliveryResult::Delivered { at: LATER })
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
}

/// Behaviour: a retried delivery waits for its time and counts its attempts; a dead-lettered
/// one no longer holds back the next event of its issue, is listed as dead, and is delivered
/// again after a replay.
pub async fn retry_dead_letter_and_replay<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let subscriber = subscribe(&*f.store, "https://one.example.com/hook").await;
    let start = last_cursor(&*f.store).await;
    linked_events(&f, 10, 2).await;
    let events = f.store.events_after(start, 10).await.unwrap();
    let now = EventTimestamp::from_unix_millis(LATER.unix_millis());
    let retry_at = EventTimestamp::from_unix_millis(now.unix_millis() + 5_000);

    let jobs = f.store.claim_deliveries(now, LEASE, 10).await.unwrap();
    assert_eq!(claimed(&jobs), vec![(subscriber, events[0].cursor)]);
    assert_eq!(jobs[0].pending_since, events[0].event.timestamp);
    f.store
        .finish_delivery(
            &jobs[0].claim,
            DeliveryResult::Retry {
                next_attempt_at: retry_at,
                error: "HTTP 500".into(),
            },
        )
        .await
        .unwrap();
    // Not before its time, and the next event of the issue waits.
    assert!(
        f.store
            .claim_deliveries(now, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let jobs = f.store.claim_deliveries(retry_at, LEASE, 10).await.unwrap();
    assert_eq!(claimed(&jobs), vec![(subscriber, events[0].cursor)]);
    assert_eq!(jobs[0].attempts, 1);
    f.store
        .finish_delivery(
            &jobs[0].claim,
            DeliveryResult::Dead {
                at: retry_at,
                error: "HTTP 500".into(),
            },
        )
        .await
        .unwrap();
    let dead = f
        .store
        .deliveries(DeliveryFilter {
            status: Some(DeliveryStatus::Dead),
            limit: 0,
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].event, events[0]);
    assert_eq!(dead[0].attempts, 2);
    assert_eq!(dead[0].last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(dead[0].url, "https://one.example.com/hook");
    // The next event of the issue goes.
    let jobs = f.store.claim_deliveries(retry_at, LEASE, 10).await.unwrap();
    assert_eq!(claimed(&jobs), vec![(subscriber, events[1].cursor)]);
    f.store
        .finish_delivery(&jobs[0].claim, DeliveryResult::Delivered { at: retry_at })
        .await
        .unwrap();
    // Replayed: pending again, attempts reset.
    let replayed = f
        .store
        .replay_event(&events[0].event.id, retry_at)
        .await
        .unwrap();
    assert_eq!(replayed, 1);
    let jobs = f.store.claim_deliveries(retry_at, LEASE, 10).await.unwrap();
    assert_eq!(claimed(&jobs), vec![(subscriber, events[0].cursor)]);
    assert_eq!(jobs[0].attempts, 0);
    assert_eq!(
        jobs[0].pending_since, retry_at,
        "the retry time counts from the replay"
    );
    let all = f.store.deliveries(DeliveryFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].event.cursor, events[1].cursor, "newest first");
    assert_eq!(all[0].status, DeliveryStatus::Delivered);
    assert_eq!(all[1].status, DeliveryStatus::Pending);
    // An unknown event cannot be replayed.
    let unknown = crate::events::EventId::from_ulid(7);
    let error = f.store.replay_event(&unknown, now).await.unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
}

/// Behaviour: purging settled events deletes the old events no subscriber waits for (delivered,
/// dead-lettered, or with no subscriber), with their deliveries, keeps pending and newer ones,
/// and the cursor goes on from where it was.
pub async fn purging_keeps_pending_and_newer_events<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let start = last_cursor(&*f.store).await;
    // No subscriber yet: settled as soon as written.
    linked_events(&f, 20, 1).await;
    let subscriber = subscribe(&*f.store, "https://one.example.com/hook").await;
    linked_events(&f, 30, 1).await;
    linked_events(&f, 40, 1).await;
    let events = f.store.events_after(start, 10).await.unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    let jobs = f.store.claim_deliveries(LATER, LEASE, 10).await.unwrap();
    let delivered = jobs
        .iter()
        .find(|job| job.claim.cursor == events[1].cursor)
        .unwrap();
    f.store
        .finish_delivery(&delivered.claim, DeliveryResult::Delivered { at: LATER })
        .await
        .unwrap();
    // Before any event: nothing goes.
    let first = events[0].event.timestamp;
    assert_eq!(f.store.purge_settled_events(first).await.unwrap(), 0);
    let purged = f.store.purge_settled_events(LATER).await.unwrap();
    assert_eq!(
        purged, 2,
        "the one without subscriber and the delivered one"
    );
    let left = f.store.events_after(start, 10).await.unwrap();
    assert_eq!(left, events[2..], "the pending one stays");
    let deliveries = f.store.deliveries(DeliveryFilter::default()).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].event.cursor, events[2].cursor);
    assert_eq!(deliveries[0].subscriber_id, subscriber);
    linked_events(&f, 50, 1).await;
    let next = f.store.events_after(events[2].cursor, 10).await.unwrap();
    assert!(next[0].cursor > events[2].cursor, "cursors never go back");
}

/// Behaviour: removing an organization's link to an integration drops the organization's
/// credentials and Jira issue links for it and writes `integration.removed`; the integration
/// stays while another organization is linked, and goes with the last link; a link that does not
/// exist is not found.
pub async fn removing_a_link_drops_what_jirasync_keeps_and_writes_integration_removed<
    S: World + 'static,
>(
    store: S,
) {
    let f = Fixture::new(store).await;
    let globex = f
        .store
        .seed_organization("globex", OrganizationFeatures::all())
        .await
        .unwrap();
    f.store
        .seed_organization_integration(
            globex,
            f.integration,
            crate::integration::LinkStatus::Active,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    assert!(
        !f.store
            .external_issues_of(f.issue)
            .await
            .unwrap()
            .is_empty()
    );
    let start = last_cursor(&*f.store).await;

    let removal = f
        .store
        .remove_link(f.organization, f.integration)
        .await
        .unwrap();
    assert_eq!(removal.integration.id, f.integration);
    assert!(!removal.integration_removed, "globex is still linked");
    assert!(f.store.integration(f.integration).await.unwrap().is_some());
    assert!(
        f.store
            .identity(f.organization, f.integration)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .external_issues_of(f.issue)
            .await
            .unwrap()
            .is_empty()
    );
    let links = f.store.organization_links(f.integration).await.unwrap();
    let linked: Vec<OrganizationId> = links.iter().map(|link| link.link.organization_id).collect();
    assert_eq!(linked, [globex]);
    let events = f.store.events_after(start, 10).await.unwrap();
    let [removed] = events.as_slice() else {
        panic!("one event: {events:?}")
    };
    assert_eq!(removed.event.organization_id, f.organization.get());
    let EventPayload::IntegrationRemoved(data) = &removed.event.payload else {
        panic!("integration.removed: {removed:?}")
    };
    assert_eq!(data.integration_id, f.integration.get());
    assert_eq!(data.source, EventSource::Operator);

    let error = f
        .store
        .remove_link(f.organization, f.integration)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");

    let last = f.store.remove_link(globex, f.integration).await.unwrap();
    assert!(last.integration_removed);
    assert!(f.store.integration(f.integration).await.unwrap().is_none());
    assert_eq!(types_after(&*f.store, start).await.len(), 2);
}

/// Behaviour: a rotation keeps the replaced secret as the previous one (two sign), the next
/// rotation drops it; deleting a subscriber removes its deliveries; unknown ids are not found.
pub async fn subscribers_rotate_secrets_and_are_deleted<S: World + 'static>(store: S) {
    let first = SigningSecret::generate();
    let created = store
        .create_subscriber(NewSubscriber {
            url: SubscriberUrl::parse("https://app.example.com/events").unwrap(),
            description: "the app".into(),
            secret: first.clone(),
            created_at: EventTimestamp::from_unix_millis(1_700_000_000_000),
        })
        .await
        .unwrap();
    assert_eq!(created.secret, first);
    assert_eq!(created.previous_secret, None);
    assert_eq!(created.description, "the app");
    assert_eq!(
        store.subscriber(created.id).await.unwrap().as_ref(),
        Some(&created)
    );
    let second = SigningSecret::generate();
    let rotated = store
        .rotate_subscriber_secret(created.id, second.clone())
        .await
        .unwrap();
    assert_eq!(
        rotated.signing_secrets().collect::<Vec<_>>(),
        vec![&second, &first]
    );
    let third = SigningSecret::generate();
    let rotated = store
        .rotate_subscriber_secret(created.id, third.clone())
        .await
        .unwrap();
    assert_eq!(
        rotated.signing_secrets().collect::<Vec<_>>(),
        vec![&third, &second]
    );
    assert_eq!(store.subscribers().await.unwrap(), vec![rotated]);

    let missing = SubscriberId::new(created.id.get() + 100);
    for error in [
        store
            .rotate_subscriber_secret(missing, SigningSecret::generate())
            .await
            .unwrap_err(),
        store.delete_subscriber(missing).await.unwrap_err(),
    ] {
        assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
    }
    store.delete_subscriber(created.id).await.unwrap();
    assert!(store.subscribers().await.unwrap().is_empty());
    assert_eq!(store.subscriber(created.id).await.unwrap(), None);
}

/// Behaviour: deleting a subscriber removes its pending deliveries; another's stay.
pub async fn deleting_a_subscriber_drops_its_deliveries<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let one = subscribe(&*f.store, "https://one.example.com/hook").await;
    let two = subscribe(&*f.store, "https://two.example.com/hook").await;
    linked_events(&f, 10, 1).await;
    f.store.delete_subscriber(one).await.unwrap();
    let jobs = f.store.claim_deliveries(LATER, LEASE, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].claim.subscriber_id, two);
    let listed = f.store.deliveries(DeliveryFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
}

/// Behaviour: the hub's listeners hear of committed events (a sync, a link), not of a sync
/// that changed nothing.
pub async fn listeners_hear_of_committed_events<S: World + 'static>(store: S) {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let f = Fixture::new(store).await;
    let heard = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&heard);
    f.store.event_hub().listen(Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    }));
    f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(heard.load(Ordering::SeqCst), 1);
    f.assign_email("alice@example.com", 2_000).await;
    assert_eq!(
        heard.load(Ordering::SeqCst),
        1,
        "nothing changed, nothing heard"
    );
    linked_events(&f, 10, 1).await;
    assert_eq!(heard.load(Ordering::SeqCst), 2);
}
