//! The outbox of outbound work ([`crate::outbound`]): work is claimed per Jira issue in the
//! order it was recorded, one piece of an issue at a time, under a lease; retried work waits for
//! its time; failed work does not hold back what follows and can be retried by an operator; a
//! claim taken over after its lease cannot finish.

use std::sync::Arc;
use std::time::Duration;

use jirasync_webhook::IssueKey;

use super::World;
use super::fixture::{Fixture, KEY};
use crate::events::EventTimestamp;
use crate::ids::{OrganizationId, UserId};
use crate::outbound::{
    EchoField, NewOutboundWork, OutboundAction, OutboundEcho, OutboundFilter, OutboundId,
    OutboundJob, OutboundResult, OutboundStatus, OutboxCounts,
};
use crate::store::StoreError;

const T0: EventTimestamp = EventTimestamp::from_unix_millis(1_700_000_000_000);
const LEASE: Duration = Duration::from_secs(30);

fn at(offset_ms: u64) -> EventTimestamp {
    EventTimestamp::from_unix_millis(T0.unix_millis() + offset_ms)
}

/// Work on `key` for the fixture's organization, issue and integration.
fn work<S: World + ?Sized>(f: &Fixture<S>, key: &str, action: OutboundAction) -> NewOutboundWork {
    NewOutboundWork {
        organization_id: f.organization,
        integration_id: f.integration,
        issue_key: IssueKey::new(key),
        local_issue_id: f.issue,
        action,
        created_at: T0,
    }
}

fn assign(user: u64) -> OutboundAction {
    OutboundAction::Assign {
        user: UserId::new(user),
        emails: vec![format!("user{user}@example.com")],
    }
}

fn ids(jobs: &[OutboundJob]) -> Vec<OutboundId> {
    let mut ids: Vec<_> = jobs.iter().map(|job| job.claim.id).collect();
    ids.sort();
    ids
}

/// Behaviour: work is claimed per Jira issue, oldest first, one piece of an issue at a time;
/// finishing a piece hands out the next one of its issue.
pub async fn outbox_claims_per_issue_in_order<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let recorded = f
        .store
        .enqueue_outbound(&[
            work(&f, KEY, assign(1)),
            work(&f, KEY, OutboundAction::Unassign),
            work(&f, "APP-2", assign(2)),
        ])
        .await
        .unwrap();
    assert_eq!(recorded.len(), 3);
    assert!(recorded[0] < recorded[1] && recorded[1] < recorded[2]);

    // Not due before it was recorded.
    assert!(
        f.store
            .claim_outbound(
                EventTimestamp::from_unix_millis(T0.unix_millis() - 1),
                LEASE,
                10
            )
            .await
            .unwrap()
            .is_empty()
    );
    let jobs = f.store.claim_outbound(at(0), LEASE, 10).await.unwrap();
    assert_eq!(ids(&jobs), vec![recorded[0], recorded[2]]);
    let first = jobs.iter().find(|job| job.claim.id == recorded[0]).unwrap();
    assert_eq!(first.work.action, assign(1));
    assert_eq!(first.work.issue_key, IssueKey::new(KEY));
    assert_eq!(first.work.organization_id, f.organization);
    assert_eq!(first.work.integration_id, f.integration);
    assert_eq!(first.work.local_issue_id, f.issue);
    assert_eq!(first.work.attempts, 0);
    // Held: nothing more to claim, the second piece of APP-1 waits for the first.
    assert!(
        f.store
            .claim_outbound(at(1), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    f.store
        .finish_outbound(&first.claim, OutboundResult::Done { at: at(2) })
        .await
        .unwrap();
    let next = f.store.claim_outbound(at(3), LEASE, 10).await.unwrap();
    assert_eq!(ids(&next), vec![recorded[1]]);
    assert_eq!(next[0].work.action, OutboundAction::Unassign);
    let done = f.store.outbound_work(recorded[0]).await.unwrap().unwrap();
    assert_eq!(done.status, OutboundStatus::Done);
    assert_eq!(done.at, at(2));
    assert_eq!(
        f.store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 2,
            failed: 0
        }
    );
}

/// Behaviour: a retried piece waits for its time and holds back its issue; a failed one keeps
/// its reason and does not hold back the next piece; only failed work can be retried, and not
/// once a later change of its issue was recorded.
pub async fn outbox_retry_failure_and_operator_retry<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let recorded = f
        .store
        .enqueue_outbound(&[work(&f, KEY, assign(1)), work(&f, KEY, assign(2))])
        .await
        .unwrap();
    let jobs = f.store.claim_outbound(at(0), LEASE, 10).await.unwrap();
    assert_eq!(ids(&jobs), vec![recorded[0]]);
    f.store
        .finish_outbound(
            &jobs[0].claim,
            OutboundResult::Retry {
                next_attempt_at: at(5_000),
                error: "Jira could not be reached: HTTP 503".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        f.store
            .claim_outbound(at(4_999), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let jobs = f.store.claim_outbound(at(5_000), LEASE, 10).await.unwrap();
    assert_eq!(ids(&jobs), vec![recorded[0]]);
    assert_eq!(jobs[0].work.attempts, 1);
    assert_eq!(
        jobs[0].work.last_error.as_deref(),
        Some("Jira could not be reached: HTTP 503")
    );
    f.store
        .finish_outbound(
            &jobs[0].claim,
            OutboundResult::Failed {
                at: at(5_001),
                error: "Jira refused the request (HTTP 403): no permission".into(),
            },
        )
        .await
        .unwrap();
    let failed = f
        .store
        .list_outbound(OutboundFilter {
            status: Some(OutboundStatus::Failed),
            limit: 0,
        })
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].id, recorded[0]);
    assert_eq!(failed[0].attempts, 2);
    assert_eq!(
        failed[0].last_error.as_deref(),
        Some("Jira refused the request (HTTP 403): no permission")
    );
    // The next piece of the issue goes.
    let jobs = f.store.claim_outbound(at(5_002), LEASE, 10).await.unwrap();
    assert_eq!(ids(&jobs), vec![recorded[1]]);
    // Retrying pending work is refused; missing work is not found.
    let error = f
        .store
        .retry_outbound(recorded[1], at(5_003))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
    let error = f
        .store
        .retry_outbound(OutboundId::new(999_999), at(5_003))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
    f.store
        .finish_outbound(&jobs[0].claim, OutboundResult::Done { at: at(5_004) })
        .await
        .unwrap();
    assert_eq!(
        f.store.outbox_counts().await.unwrap(),
        OutboxCounts {
            pending: 0,
            failed: 1
        }
    );
    // The operator's retry would send the older assignment after the newer one: refused.
    let error = f
        .store
        .retry_outbound(recorded[0], at(9_000))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
    // Newest first, all of them.
    let all = f
        .store
        .list_outbound(OutboundFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|work| work.id).collect::<Vec<_>>(),
        vec![recorded[1], recorded[0]]
    );
    let one = f
        .store
        .list_outbound(OutboundFilter {
            status: None,
            limit: 1,
        })
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
}

/// Behaviour: a claim whose lease ran out is taken over (a worker died), and the first
/// worker's late finish is refused and writes nothing: the work is carried out once more, never
/// recorded twice.
pub async fn outbox_expired_claim_is_taken_over<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let recorded = f
        .store
        .enqueue_outbound(&[work(&f, KEY, assign(1))])
        .await
        .unwrap();
    let first = f.store.claim_outbound(at(0), LEASE, 10).await.unwrap();
    assert_eq!(ids(&first), recorded);
    let lease_ms = u64::try_from(LEASE.as_millis()).unwrap();
    assert!(
        f.store
            .claim_outbound(at(lease_ms - 1), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let second = f
        .store
        .claim_outbound(at(lease_ms), LEASE, 10)
        .await
        .unwrap();
    assert_eq!(ids(&second), recorded);
    let error = f
        .store
        .finish_outbound(&first[0].claim, OutboundResult::Done { at: at(lease_ms) })
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
    assert_eq!(
        f.store
            .outbound_work(recorded[0])
            .await
            .unwrap()
            .unwrap()
            .status,
        OutboundStatus::Pending
    );
    f.store
        .finish_outbound(
            &second[0].claim,
            OutboundResult::Done {
                at: at(lease_ms + 1),
            },
        )
        .await
        .unwrap();
    // Finishing twice is refused too.
    let error = f
        .store
        .finish_outbound(
            &second[0].claim,
            OutboundResult::Done {
                at: at(lease_ms + 2),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
    assert_eq!(
        f.store
            .outbound_work(recorded[0])
            .await
            .unwrap()
            .unwrap()
            .status,
        OutboundStatus::Done
    );
}

/// Behaviour: `limit` bounds a claim, and what is left is claimed next.
pub async fn outbox_claim_respects_its_limit<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let batch: Vec<_> = (1..=5)
        .map(|n| work(&f, &format!("APP-{n}"), assign(n)))
        .collect();
    let recorded = f.store.enqueue_outbound(&batch).await.unwrap();
    let first = f.store.claim_outbound(at(0), LEASE, 2).await.unwrap();
    assert_eq!(ids(&first), recorded[..2].to_vec());
    let rest = f.store.claim_outbound(at(0), LEASE, 10).await.unwrap();
    assert_eq!(ids(&rest), recorded[2..].to_vec());
}

/// Behaviour: an expected echo is taken once, by the webhook with the same issue, field and
/// value (ignoring case), before it expires; only the organizations that expected it are named;
/// expired ones are dropped.
pub async fn outbox_echoes_are_taken_once_before_they_expire<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let echo = |organization, value: &str, expires: u64| OutboundEcho {
        organization_id: organization,
        integration_id: f.integration,
        issue_key: IssueKey::new(KEY),
        field: EchoField::Assignee,
        value: value.to_owned(),
        expires_at: at(expires),
    };
    let other = OrganizationId::new(f.organization.get() + 1000);
    f.store
        .expect_echo(&echo(f.organization, "Alice.J", 10_000))
        .await
        .unwrap();
    f.store
        .expect_echo(&echo(other, "bob", 10_000))
        .await
        .unwrap();
    f.store.expect_echo(&echo(other, "", 1_000)).await.unwrap();
    let key = IssueKey::new(KEY);
    // Another value, another issue: nothing.
    assert!(
        f.store
            .take_echoes(f.integration, &key, EchoField::Assignee, "carol", at(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        f.store
            .take_echoes(
                f.integration,
                &IssueKey::new("APP-2"),
                EchoField::Assignee,
                "alice.j",
                at(1)
            )
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.store
            .take_echoes(f.integration, &key, EchoField::Assignee, "alice.j", at(1))
            .await
            .unwrap(),
        vec![f.organization]
    );
    // Taken once.
    assert!(
        f.store
            .take_echoes(f.integration, &key, EchoField::Assignee, "alice.j", at(2))
            .await
            .unwrap()
            .is_empty()
    );
    // The unassign expectation expired at 1 000.
    assert!(
        f.store
            .take_echoes(f.integration, &key, EchoField::Assignee, "", at(1_000))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.store
            .take_echoes(f.integration, &key, EchoField::Assignee, "BOB", at(9_999))
            .await
            .unwrap(),
        vec![other]
    );
}

/// Behaviour (no echo): the webhook Jira sends for an assignment jirasync made for one
/// organization is not applied back to that organization's issue (which may have changed since),
/// while another organization linked to the same Jira issue applies it; the expectation is
/// taken once, so the same change coming from Jira later applies everywhere.
pub async fn webhook_of_an_outbound_change_is_not_applied_back<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (globex, project, globex_alice) = f.other_organization("alice@example.com").await;
    let globex_issue = f.linked_issue(globex, project, KEY).await;
    assert_eq!(f.assignee_of(f.issue).await, None);
    // acme's outbound assignment of KEY to Jira's "someone" (the user the webhook names).
    f.store
        .expect_echo(&OutboundEcho {
            organization_id: f.organization,
            integration_id: f.integration,
            issue_key: IssueKey::new(KEY),
            field: EchoField::Assignee,
            value: "Someone".into(),
            expires_at: EventTimestamp::from_unix_millis(4_000_000_000_000),
        })
        .await
        .unwrap();
    let outcome = f.assign_email("alice@example.com", 1_700_000_000_000).await;
    assert_eq!(outcome.changed, 1, "{outcome:?}");
    assert_eq!(outcome.unchanged, 1, "{outcome:?}");
    assert_eq!(
        f.assignee_of(f.issue).await,
        None,
        "not applied back to acme"
    );
    assert_eq!(f.activity_count(f.issue).await, 0);
    assert_eq!(
        f.assignee_of(globex_issue).await,
        Some(crate::issue::Assignee::User(globex_alice))
    );
    // Taken once: the same change from Jira, later, is an ordinary change.
    let later = f.assign_email("alice@example.com", 1_700_000_000_001).await;
    assert_eq!(later.changed, 1, "{later:?}");
    assert_eq!(
        f.assignee_of(f.issue).await,
        Some(crate::issue::Assignee::User(f.alice))
    );
}

/// Behaviour: an operator's retry of a failed change is refused when the same organization made
/// a later change of the same field of the Jira issue (it would undo it in Jira); a later change
/// of another issue does not stand in the way.
pub async fn outbox_retry_of_a_superseded_change_is_refused<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let first = f
        .store
        .enqueue_outbound(&[work(&f, KEY, assign(1)), work(&f, "APP-2", assign(2))])
        .await
        .unwrap();
    let jobs = f.store.claim_outbound(at(0), LEASE, 10).await.unwrap();
    for job in &jobs {
        f.store
            .finish_outbound(
                &job.claim,
                OutboundResult::Failed {
                    at: at(1),
                    error: "no Jira user found".into(),
                },
            )
            .await
            .unwrap();
    }
    let later = f
        .store
        .enqueue_outbound(&[work(&f, KEY, OutboundAction::Unassign)])
        .await
        .unwrap();
    let error = f.store.retry_outbound(first[0], at(2)).await.unwrap_err();
    match &error {
        StoreError::Conflict { message } => assert!(
            message.contains(&format!("superseded by {}", later[0])),
            "{message}"
        ),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        f.store
            .outbound_work(first[0])
            .await
            .unwrap()
            .unwrap()
            .status,
        OutboundStatus::Failed
    );
    // APP-2 had no later change: pending again, attempts reset, due now.
    f.store.retry_outbound(first[1], at(2)).await.unwrap();
    let retried = f.store.outbound_work(first[1]).await.unwrap().unwrap();
    assert_eq!(retried.status, OutboundStatus::Pending);
    assert_eq!(retried.attempts, 0);
    assert_eq!(retried.pending_since, at(2));
    let jobs = f.store.claim_outbound(at(2), LEASE, 10).await.unwrap();
    assert_eq!(ids(&jobs), vec![first[1], later[0]]);
}

/// Behaviour (several workers, several instances): claims running at the same time never hand
/// out one piece twice, nor two pieces of one Jira issue at once; every piece is handed out
/// exactly once in all.
pub async fn outbox_concurrent_claims_share_the_work_without_overlap<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    // 4 pieces on each of 10 issues.
    let batch: Vec<_> = (0..40)
        .map(|n| work(&f, &format!("APP-{}", n % 10), assign(n)))
        .collect();
    let recorded = f.store.enqueue_outbound(&batch).await.unwrap();
    let store = Arc::clone(&f.store);
    let mut handed_out: Vec<OutboundId> = Vec::new();
    for _round in 0..4 {
        let claims: Vec<_> = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move { store.claim_outbound(at(0), LEASE, 5).await.unwrap() })
            })
            .collect();
        let mut jobs = Vec::new();
        for claim in claims {
            jobs.extend(claim.await.unwrap());
        }
        let mut keys: Vec<_> = jobs.iter().map(|job| job.work.issue_key.clone()).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(
            keys.len(),
            before,
            "two pieces of one issue at once: {keys:?}"
        );
        assert_eq!(before, 10, "each issue's oldest piece, once");
        for job in jobs {
            handed_out.push(job.claim.id);
            store
                .finish_outbound(&job.claim, OutboundResult::Done { at: at(1) })
                .await
                .unwrap();
        }
    }
    handed_out.sort();
    assert_eq!(handed_out, recorded);
    assert!(
        store
            .claim_outbound(at(2), LEASE, 50)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Behaviour: purging deletes the done work that ended before the cutoff, keeps pending and
/// failed work and newer done work, and keeps done work that follows failed work of the same
/// Jira issue (it is what refuses the failed change's retry).
pub async fn outbox_purge_keeps_what_retry_needs<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    // KEY: done, then failed, then done (which supersedes the failure); OTHER: done, pending.
    let other = "APP-999";
    let recorded = f
        .store
        .enqueue_outbound(&[work(&f, KEY, assign(1)), work(&f, other, assign(1))])
        .await
        .unwrap();
    let jobs = f.store.claim_outbound(at(0), LEASE, 10).await.unwrap();
    for job in &jobs {
        f.store
            .finish_outbound(&job.claim, OutboundResult::Done { at: at(10) })
            .await
            .unwrap();
    }
    let second = f
        .store
        .enqueue_outbound(&[work(&f, KEY, assign(2)), work(&f, other, assign(2))])
        .await
        .unwrap();
    let jobs = f.store.claim_outbound(at(20), LEASE, 10).await.unwrap();
    let failing = jobs.iter().find(|job| job.work.id == second[0]).unwrap();
    f.store
        .finish_outbound(
            &failing.claim,
            OutboundResult::Failed {
                at: at(30),
                error: "Jira refused the request (HTTP 403)".into(),
            },
        )
        .await
        .unwrap();
    let third = f
        .store
        .enqueue_outbound(&[work(&f, KEY, assign(3))])
        .await
        .unwrap();
    let jobs = f.store.claim_outbound(at(40), LEASE, 10).await.unwrap();
    let superseding = jobs.iter().find(|job| job.work.id == third[0]).unwrap();
    f.store
        .finish_outbound(&superseding.claim, OutboundResult::Done { at: at(50) })
        .await
        .unwrap();

    // Nothing ended before the first finish.
    assert_eq!(f.store.purge_done_outbound(at(10)).await.unwrap(), 0);
    // The two first done pieces go; the failed one, the pending one and the done one after
    // the failure stay.
    assert_eq!(f.store.purge_done_outbound(at(1_000)).await.unwrap(), 2);
    let left: Vec<OutboundId> = f
        .store
        .list_outbound(OutboundFilter {
            status: None,
            limit: 0,
        })
        .await
        .unwrap()
        .iter()
        .map(|work| work.id)
        .collect();
    let mut expected = vec![second[0], second[1], third[0]];
    expected.sort();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(left_sorted, expected, "{recorded:?}");
    let error = f
        .store
        .retry_outbound(second[0], at(2_000))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error:?}");
}
