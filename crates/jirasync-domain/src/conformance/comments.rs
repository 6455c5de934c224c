//! Comments both ways (`docs/outbound.md#comments`): a comment written in Jira is added once per
//! Jira comment id (both of Jira's deliveries for it apply once), with its
//! `issue.comment_added` event; the comment jirasync posted for an organization is not added
//! back to it; a failed outbound comment can always be retried (a later comment does not
//! supersede it).

use std::sync::Arc;
use std::time::Duration;

use jirasync_webhook::{ChangeSet, CommentAdded, EventTime, IssueKey, JiraUser};

use super::World;
use super::fixture::{Fixture, KEY, assigned_to_email};
use super::test_host::{HostFault, TestHost};
use crate::events::{EventCursor, EventPayload, EventSource, EventTimestamp, StoredEvent};
use crate::outbound::{
    EchoField, NewOutboundWork, OutboundAction, OutboundEcho, OutboundResult, OutboundStatus,
    attributed_comment, comment_echo_value,
};
use crate::rules::inbound::InboundSync;
use crate::rules::outcome::HaltReason;
use crate::store::SyncKind;

const T0: EventTimestamp = EventTimestamp::from_unix_millis(1_700_000_000_000);

/// A comment Jira's `jdoe` wrote on `KEY`.
fn comment(id: &str, body: &str) -> CommentAdded {
    CommentAdded {
        issue_key: IssueKey::new(KEY),
        issue_id: Some("10001".into()),
        comment_id: id.to_owned(),
        body: body.to_owned(),
        author: Some(JiraUser {
            name: Some("jdoe".into()),
            email_address: Some("jdoe@example.com".into()),
            display_name: Some("Jane Doe".into()),
            ..JiraUser::default()
        }),
        created: Some(EventTime::from_unix_millis(1_780_000_000_000)),
    }
}

/// The events recorded after `after`.
async fn events_after<S: World + ?Sized>(store: &S, after: EventCursor) -> Vec<StoredEvent> {
    store.events_after(after, 100).await.unwrap()
}

async fn last_cursor<S: World + ?Sized>(store: &S) -> EventCursor {
    events_after(store, EventCursor::START)
        .await
        .last()
        .map_or(EventCursor::START, |event| event.cursor)
}

/// Behaviour: a comment from Jira is added to the linked issue with one `issue.comment_added`
/// event carrying the comment; the second delivery of the same comment (Jira sends
/// `jira:issue_updated` and `comment_created`) is a duplicate and adds nothing; no watermark
/// moves.
pub async fn comment_from_jira_is_added_once_with_its_event<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let before = last_cursor(&*f.store).await;
    let added = comment("10100", "Looks fixed.");
    let outcome = f.sync.sync_comment(f.integration, &added).await.unwrap();
    assert_eq!((outcome.added, outcome.echoes), (1, 0), "{outcome:?}");
    assert_eq!(outcome.halt, None);
    let events = events_after(&*f.store, before).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0].event;
    assert_eq!(event.organization_id, f.organization.get());
    match &event.payload {
        EventPayload::IssueCommentAdded(data) => {
            assert_eq!(data.issue_id, f.issue.get());
            assert_eq!(data.jira_key, IssueKey::new(KEY));
            assert_eq!(data.integration_id, f.integration.get());
            assert_eq!(data.comment_id, "10100");
            assert_eq!(data.body, "Looks fixed.");
            let author = data.author.as_ref().unwrap();
            assert_eq!(author.name.as_deref(), Some("jdoe"));
            assert_eq!(author.email_address.as_deref(), Some("jdoe@example.com"));
            assert_eq!(author.display_name.as_deref(), Some("Jane Doe"));
            assert_eq!(
                data.created,
                Some(EventTimestamp::from_unix_millis(1_780_000_000_000))
            );
            assert_eq!(data.source, EventSource::Jira);
        }
        other => panic!("unexpected payload {other:?}"),
    }
    assert!(
        f.store
            .delivery_seen(f.integration, SyncKind::Comment, &added.delivery_key())
            .await
            .unwrap()
    );
    let again = f.sync.sync_comment(f.integration, &added).await.unwrap();
    assert_eq!(again.halt, Some(HaltReason::DuplicateDelivery), "{again:?}");
    assert_eq!(again.added, 0);
    assert_eq!(events_after(&*f.store, before).await.len(), 1);
    // Another comment is another delivery; the watermarks of assignee and status stay unset.
    let other = f
        .sync
        .sync_comment(f.integration, &comment("10101", "And deployed."))
        .await
        .unwrap();
    assert_eq!(other.added, 1);
    assert_eq!(events_after(&*f.store, before).await.len(), 2);
    assert_eq!(f.watermark(SyncKind::Assignee).await, None);
    assert_eq!(f.watermark(SyncKind::Status).await, None);
    assert_eq!(f.watermark(SyncKind::Comment).await, None);
}

/// Behaviour (no echo): the comment jirasync posted for one organization comes back in Jira's
/// webhook and is not added to that organization's issue, while another organization linked to
/// the Jira issue gets it; a second delivery of it adds nothing anywhere.
pub async fn own_comment_is_not_added_back<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (globex, project, _) = f.other_organization("bob@example.com").await;
    let globex_issue = f.linked_issue(globex, project, KEY).await;
    let text = attributed_comment(Some("alice"), "Deployed to staging.");
    f.store
        .expect_echo(&OutboundEcho {
            organization_id: f.organization,
            integration_id: f.integration,
            issue_key: IssueKey::new(KEY),
            field: EchoField::Comment,
            value: comment_echo_value(&text),
            expires_at: EventTimestamp::from_unix_millis(4_000_000_000_000),
        })
        .await
        .unwrap();
    let before = last_cursor(&*f.store).await;
    // Jira stores the text with Windows line ends: still recognised.
    let echoed = comment("10200", &text.replace('\n', "\r\n"));
    let outcome = f.sync.sync_comment(f.integration, &echoed).await.unwrap();
    assert_eq!((outcome.added, outcome.echoes), (1, 1), "{outcome:?}");
    let events = events_after(&*f.store, before).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event.organization_id, globex.get());
    match &events[0].event.payload {
        EventPayload::IssueCommentAdded(data) => assert_eq!(data.issue_id, globex_issue.get()),
        other => panic!("unexpected payload {other:?}"),
    }
    let again = f.sync.sync_comment(f.integration, &echoed).await.unwrap();
    assert_eq!(again.halt, Some(HaltReason::DuplicateDelivery));
    assert_eq!(events_after(&*f.store, before).await.len(), 1);
}

/// Behaviour: one `jira:issue_updated` delivery that assigns the issue and adds a comment does
/// both.
pub async fn assignment_with_a_comment_does_both<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let before = last_cursor(&*f.store).await;
    let changes = ChangeSet {
        delivery_key: Some(jirasync_webhook::DeliveryKey::new(
            "10001",
            "30001",
            "jira:issue_updated",
        )),
        assignee: Some(assigned_to_email("alice@example.com", 1_000)),
        status: None,
        comment: Some(comment("10300", "Taking this one.")),
    };
    let outcome = f
        .sync
        .apply_change_set(f.integration, &changes)
        .await
        .unwrap();
    assert_eq!(outcome.assignee.unwrap().changed, 1);
    assert_eq!(outcome.comment.unwrap().added, 1);
    assert_eq!(
        f.assignee_of(f.issue).await,
        Some(crate::issue::Assignee::User(f.alice))
    );
    let types: Vec<_> = events_after(&*f.store, before)
        .await
        .iter()
        .map(|event| event.event.event_type().as_str())
        .collect();
    assert_eq!(types, ["issue.assignee_changed", "issue.comment_added"]);
}

/// Behaviour: a process that stops after the host added a comment and before jirasync's commit
/// commits nothing (no event, the comment not logged); the redelivery adds it and writes its
/// event once.
pub async fn crash_after_a_comment_is_repaired_by_the_redelivery<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let before = last_cursor(&*f.store).await;
    let added = comment("10400", "Reproduced.");
    let crashing = InboundSync::new(
        Arc::clone(&f.store),
        Arc::new(TestHost::with_fault(
            Arc::clone(&f.store),
            HostFault::CrashAfterWrite { call: 1 },
        )),
        Arc::clone(&f.directory),
    );
    crashing
        .sync_comment(f.integration, &added)
        .await
        .expect_err("the host crashes after its write");
    assert!(events_after(&*f.store, before).await.is_empty());
    assert!(
        !f.store
            .delivery_seen(f.integration, SyncKind::Comment, &added.delivery_key())
            .await
            .unwrap()
    );
    let outcome = f.sync.sync_comment(f.integration, &added).await.unwrap();
    assert_eq!(outcome.added, 1);
    assert_eq!(events_after(&*f.store, before).await.len(), 1);
}

/// Behaviour: a failed outbound comment can be retried although later comments of the same
/// organization and Jira issue were recorded (each comment adds to the issue; none supersedes
/// another), and the comment is stored and read back whole.
pub async fn outbox_failed_comment_is_retried_despite_later_comments<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let new = |body: &str| NewOutboundWork {
        organization_id: f.organization,
        integration_id: f.integration,
        issue_key: IssueKey::new(KEY),
        local_issue_id: f.issue,
        action: OutboundAction::Comment {
            author: Some("alice".into()),
            body: body.to_owned(),
        },
        created_at: T0,
    };
    let first = f
        .store
        .enqueue_outbound(&[new("first\n\"quoted\" ü")])
        .await
        .unwrap();
    let jobs = f
        .store
        .claim_outbound(T0, Duration::from_secs(30), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].work.action,
        OutboundAction::Comment {
            author: Some("alice".into()),
            body: "first\n\"quoted\" ü".into()
        }
    );
    f.store
        .finish_outbound(
            &jobs[0].claim,
            OutboundResult::Failed {
                at: T0,
                error: "Jira refused the request (HTTP 403): no permission".into(),
            },
        )
        .await
        .unwrap();
    f.store.enqueue_outbound(&[new("second")]).await.unwrap();
    f.store.retry_outbound(first[0], T0).await.unwrap();
    let retried = f.store.outbound_work(first[0]).await.unwrap().unwrap();
    assert_eq!(retried.status, OutboundStatus::Pending);
}
