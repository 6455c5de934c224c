//! Shared by the session tests: the sync of the fixture's Jira issue started and held, and what
//! every back-end must do with it (a session dropped frees the issue at once; a wait beyond the
//! store's limit is `Unavailable`, naming the issue).

// Assertions are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use jirasync_domain::conformance::World;
use jirasync_domain::conformance::fixture::{Fixture, KEY};
use jirasync_domain::store::{IssueSyncRequest, IssueSyncSession, IssueSyncStart, SyncKind};
use jirasync_domain::{IssueSyncStore, StoreError};
use jirasync_webhook::IssueKey;

/// An assignee sync of the fixture's issue, without a delivery key.
pub(crate) fn request<S: World + ?Sized>(f: &Fixture<S>) -> IssueSyncRequest {
    IssueSyncRequest {
        integration_id: f.integration,
        issue_key: IssueKey::new(KEY),
        kind: SyncKind::Assignee,
        organizations: vec![f.organization],
        delivery_key: None,
    }
}

/// The session `store` starts for `request` (never a duplicate: no delivery key).
pub(crate) async fn started<S: IssueSyncStore + ?Sized>(
    store: &S,
    request: IssueSyncRequest,
) -> Box<dyn IssueSyncSession> {
    match store.begin_issue_sync(request).await.unwrap() {
        IssueSyncStart::Started(session) => session,
        IssueSyncStart::Duplicate => {
            panic!("a request without a delivery key is never a duplicate")
        }
    }
}

/// While `holder` holds the issue, `waiter` (a store whose wait limit is short) fails with
/// `Unavailable` naming the Jira issue; once the session is dropped, the issue is free at once.
pub(crate) async fn waiting_too_long_is_unavailable_and_a_dropped_session_frees_the_issue<S>(
    holder: &S,
    waiter: &S,
    f: &Fixture<S>,
) where
    S: World + 'static,
{
    let session = started(holder, request(f)).await;
    let error = waiter.begin_issue_sync(request(f)).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(error.to_string().contains(KEY), "{error}");

    drop(session);
    let freed = Instant::now();
    let next = tokio::time::timeout(Duration::from_secs(5), started(waiter, request(f)))
        .await
        .expect("the dropped session freed the issue");
    assert!(
        freed.elapsed() < Duration::from_secs(2),
        "{:?}",
        freed.elapsed()
    );
    next.commit(&[], Vec::new()).await.unwrap();
}
