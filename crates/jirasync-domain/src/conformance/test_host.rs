//! A [`Host`] wrapper for the protocol tests: it fails or "crashes" at a chosen write, and
//! watches whether two writes to one issue ever overlap.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::external_actor::ActorTarget;
use crate::host::{Host, HostError, HostIssue, IssueChange};
use crate::ids::{LocalIssueId, OrganizationId, UserId};

/// What a [`TestHost`] does at its `n`-th [`Host::apply_change`] call (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFault {
    /// The call fails before writing anything, as an unreachable application does.
    FailBeforeWrite {
        /// Which call.
        call: usize,
    },
    /// The call writes, then fails: the application committed, and jirasync's process stops
    /// before its own commit (the watermark and the delivery log stay as they were).
    CrashAfterWrite {
        /// Which call.
        call: usize,
    },
}

/// Wraps a host: every call goes through to it, but for the [`HostFault`] it was given; each
/// `apply_change` holds its issue for a moment and counts how many writes to one issue were
/// in flight at once ([`TestHost::max_overlap`]).
#[derive(Debug)]
pub struct TestHost<H: ?Sized> {
    inner: Arc<H>,
    fault: Option<HostFault>,
    calls: AtomicUsize,
    in_flight: Mutex<BTreeMap<LocalIssueId, usize>>,
    max_overlap: AtomicUsize,
    hold: Duration,
}

impl<H: Host + ?Sized> TestHost<H> {
    /// A host that passes every call through.
    pub fn new(inner: Arc<H>) -> Self {
        Self {
            inner,
            fault: None,
            calls: AtomicUsize::new(0),
            in_flight: Mutex::new(BTreeMap::new()),
            max_overlap: AtomicUsize::new(0),
            hold: Duration::ZERO,
        }
    }

    /// The same, with a fault.
    pub fn with_fault(inner: Arc<H>, fault: HostFault) -> Self {
        Self {
            fault: Some(fault),
            ..Self::new(inner)
        }
    }

    /// The same, holding each write for `hold` (to widen the window for overlaps).
    pub fn holding_writes(inner: Arc<H>, hold: Duration) -> Self {
        Self {
            hold,
            ..Self::new(inner)
        }
    }

    /// The most writes to one issue that were in flight at once.
    pub fn max_overlap(&self) -> usize {
        self.max_overlap.load(Ordering::SeqCst)
    }

    fn enter(&self, issue: LocalIssueId) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let count = in_flight.entry(issue).or_default();
        *count += 1;
        self.max_overlap.fetch_max(*count, Ordering::SeqCst);
    }

    fn leave(&self, issue: LocalIssueId) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = in_flight.get_mut(&issue) {
            *count -= 1;
        }
    }
}

#[async_trait]
impl<H: Host + ?Sized> Host for TestHost<H> {
    async fn users_with_verified_email(&self, email: &str) -> Result<Vec<UserId>, HostError> {
        self.inner.users_with_verified_email(email).await
    }

    async fn active_users(&self, ids: &[UserId]) -> Result<Vec<UserId>, HostError> {
        self.inner.active_users(ids).await
    }

    async fn assignable_users(
        &self,
        issue: LocalIssueId,
        candidates: &[UserId],
    ) -> Result<Vec<UserId>, HostError> {
        self.inner.assignable_users(issue, candidates).await
    }

    async fn issue(&self, issue: LocalIssueId) -> Result<Option<HostIssue>, HostError> {
        self.inner.issue(issue).await
    }

    async fn apply_change(&self, change: &IssueChange) -> Result<(), HostError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fault == Some(HostFault::FailBeforeWrite { call }) {
            return Err(HostError::Unavailable {
                message: format!("the application is down (test fault at write {call})"),
                source: None,
            });
        }
        self.enter(change.issue);
        if !self.hold.is_zero() {
            tokio::time::sleep(self.hold).await;
        }
        let written = self.inner.apply_change(change).await;
        self.leave(change.issue);
        written?;
        if self.fault == Some(HostFault::CrashAfterWrite { call }) {
            return Err(HostError::Unavailable {
                message: format!("the process stopped after write {call} (test fault)"),
                source: None,
            });
        }
        Ok(())
    }

    async fn in_organization(
        &self,
        organization: OrganizationId,
        target: ActorTarget,
    ) -> Result<bool, HostError> {
        self.inner.in_organization(organization, target).await
    }
}
