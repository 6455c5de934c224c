//! `jirasync outbox list [--failed]` and `outbox retry N` on a piece of outbound work Jira
//! refused.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod support;

use std::time::Duration;

use jirasync_domain::events::EventTimestamp;
use jirasync_domain::ids::LocalIssueId;
use jirasync_domain::outbound::{NewOutboundWork, OutboundAction, OutboundResult};
use jirasync_webhook::IssueKey;

/// An install, then two pieces of work: an unassign of `APP-1` that Jira refused with a reason
/// of two lines, and a pending one of `APP-2`. The refused piece's number.
async fn seed_failed_work(workdir: &support::Workdir) -> u64 {
    let store = workdir.store().await;
    let installed = support::install(store.as_ref(), "https://jira.example.com").await;
    let work = |key: &str| NewOutboundWork {
        organization_id: installed.organization_integration.organization_id,
        integration_id: installed.integration.id,
        issue_key: IssueKey::new(key),
        local_issue_id: LocalIssueId::new(5),
        action: OutboundAction::Unassign,
        created_at: EventTimestamp::from_unix_millis(1_714_564_700_000),
    };
    let ids = store
        .enqueue_outbound(&[work("APP-1"), work("APP-2")])
        .await
        .unwrap();
    let jobs = store
        .claim_outbound(
            EventTimestamp::from_unix_millis(1_714_564_800_000),
            Duration::from_secs(60),
            1,
        )
        .await
        .unwrap();
    assert_eq!(jobs[0].claim.id, ids[0]);
    store
        .finish_outbound(
            &jobs[0].claim,
            OutboundResult::Failed {
                at: EventTimestamp::from_unix_millis(1_714_564_800_000),
                error: "Jira refused the request (HTTP 403):\nno permission".into(),
            },
        )
        .await
        .unwrap();
    ids[0].get()
}

#[tokio::test]
async fn lists_failed_work_with_its_reason() {
    let workdir = support::Workdir::new();
    let id = seed_failed_work(&workdir).await;
    let run = workdir.run(&["outbox", "list", "--failed"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "id\tintegration\tissue_key\torganization\taction\tstatus\tattempts\tat\tlast_error\n\
             {id}\t1\tAPP-1\t1\tunassign\tfailed\t1\t2024-05-01T12:00:00.000Z\t\
             Jira refused the request (HTTP 403): no permission\n"
        )
    );
    let all = workdir.run(&["outbox", "list"]);
    assert_eq!(all.stdout.lines().count(), 3, "{all:?}");
    assert!(
        all.stdout.contains("APP-2\t1\tunassign\tpending\t0"),
        "{all:?}"
    );
}

#[tokio::test]
async fn retries_failed_work_once() {
    let workdir = support::Workdir::new();
    let id = seed_failed_work(&workdir).await;
    let run = workdir.run(&["outbox", "retry", &id.to_string()]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, format!("outbound work {id} is pending again\n"));
    let failed = workdir.run(&["outbox", "list", "--failed"]);
    assert_eq!(failed.stdout, "no failed outbound work\n");
    // Pending now: a second retry is refused and says why.
    let again = workdir.run(&["outbox", "retry", &id.to_string()]);
    assert_eq!(again.code, Some(1), "{again:?}");
    assert!(again.stderr.contains("is pending, not failed"), "{again:?}");
}

#[tokio::test]
async fn refuses_unknown_or_malformed_numbers() {
    let workdir = support::Workdir::new();
    seed_failed_work(&workdir).await;
    let missing = workdir.run(&["outbox", "retry", "999"]);
    assert_eq!(missing.code, Some(1), "{missing:?}");
    assert!(
        missing
            .stderr
            .contains("no outbound work 999 in the database"),
        "{missing:?}"
    );
    for bad in ["0", "-3", "abc"] {
        let run = workdir.run(&["outbox", "retry", bad]);
        assert_eq!(run.code, Some(2), "{bad}: {run:?}");
    }
}
