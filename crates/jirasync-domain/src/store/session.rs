//! Serialising the syncs of one Jira issue, and the protocol that keeps jirasync's bookkeeping
//! and the application's data consistent without one transaction spanning both
//! (`docs/decisions/0008-host-contract.md`).
//!
//! 1. [`IssueSyncStore::begin_issue_sync`](super::IssueSyncStore::begin_issue_sync) waits for
//!    the Jira issue to be free, checks the delivery log and reads the watermarks.
//! 2. The rule decides with [`crate::rules::ordering::guard`], reads the application's issues
//!    through the [`Host`](crate::Host) and calls its idempotent writes.
//! 3. [`IssueSyncSession::commit`] records the delivery key, moves the watermarks and appends
//!    the events of the changes made, in one write, and frees the issue; with the inbox
//!    delivery's completion when the session took it
//!    ([`IssueSyncSession::stage_completion`]).
//!
//! A failure (or a crash) between 2 and 3 leaves the watermarks and the delivery log as they
//! were: the redelivery passes the guard again, finds the host's issues already changed, writes
//! nothing to them and commits. Dropping a session without committing frees the issue.

use std::fmt;

use async_trait::async_trait;
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

use super::StoreError;
use crate::events::NewEvent;
use crate::host::IssueChange;
use crate::ids::{IntegrationId, OrganizationId};
use crate::inbox::DeliveryCompletion;

/// Which ordering-guard watermark and which delivery log a sync uses.
///
/// Assignee and status each have **their own** watermark per (organization, integration, key), as
/// the reference's `provider_assignee_updated_at` is for the assignee only: the two fields change
/// independently in Jira, so a newer status change says nothing about whether an older assignee
/// change is outdated. Sharing one watermark would drop a late assignee change because of an
/// unrelated status change. Delivery keys are recorded per kind too, because one delivery often
/// carries both an assignee and a status change. The full reasoning is in the project's
/// `docs/decisions/0004-ordering-guard.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SyncKind {
    /// Assignee events.
    Assignee,
    /// Status events.
    Status,
    /// Comments added: their delivery log is keyed by the Jira comment id, and they have no
    /// watermark (every comment adds to the issue, so an older one arriving late is still
    /// applied).
    Comment,
}

impl SyncKind {
    /// The stable name used in stores and logs (`assignee`, `status`, `comment`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Assignee => "assignee",
            Self::Status => "status",
            Self::Comment => "comment",
        }
    }

    /// The kind with this stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Assignee, Self::Status, Self::Comment]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// What a sync of one Jira issue locks and reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueSyncRequest {
    /// The integration the event came through.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// Which watermark and which delivery log.
    pub kind: SyncKind,
    /// The organizations whose copy of the Jira issue the sync reads and may move (sorted,
    /// without repeats).
    pub organizations: Vec<OrganizationId>,
    /// The delivery's de-duplication key, if it has one.
    pub delivery_key: Option<DeliveryKey>,
}

/// How a sync of one Jira issue started.
pub enum IssueSyncStart {
    /// The delivery key was recorded before for this kind and integration: nothing to do.
    Duplicate,
    /// The issue is held by this session until it is committed or dropped.
    Started(Box<dyn IssueSyncSession>),
}

impl fmt::Debug for IssueSyncStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Duplicate => f.write_str("Duplicate"),
            Self::Started(session) => f
                .debug_tuple("Started")
                .field(&session.watermarks())
                .finish(),
        }
    }
}

/// A sync of one Jira issue in progress: no other session of the same integration and key runs
/// until this one is committed or dropped.
#[async_trait]
pub trait IssueSyncSession: Send {
    /// The stored watermark of each organization of the request, in the request's order (`None`
    /// where nothing was applied with an event time yet).
    fn watermarks(&self) -> &[(OrganizationId, Option<EventTime>)];

    /// Takes an assignee or status change of the application's issue, to be written in the
    /// commit's own transaction instead of through the [`Host`](crate::Host): true when the
    /// session took it. Only a store that also holds the data the host changes (the standalone
    /// service's tables) can; the change and the bookkeeping then land together, or neither
    /// does (a commit that fails writes neither), and the host's write costs no transaction of
    /// its own. The rules ask only when told that the host is this store
    /// ([`InboundSync::with_host_changes_in_commit`](crate::InboundSync::with_host_changes_in_commit));
    /// the default takes nothing, and the host writes the change as usual.
    fn stage_host_change(&mut self, change: &IssueChange) -> bool {
        let _ = change;
        false
    }

    /// Takes the completion of the inbox delivery this sync applies the last change of, to be
    /// written in the commit's own transaction: true when the session took it. The commit then
    /// marks the delivery done if the completion's attempt still holds it, and records on the
    /// completion what it did ([`DeliveryCompletion::record`]): done, or why not (the sync's
    /// own writes land either way, as they would had the delivery been completed after them). A
    /// commit that fails, or a session dropped, records nothing and completes nothing.
    ///
    /// Only a store whose [`Inbox`](crate::Inbox) holds the delivery can (the standalone
    /// service's store is both); the caller hands a completion to a session only when told that
    /// the inbox is this store, and completes the delivery itself when nothing was recorded.
    /// The default takes nothing.
    fn stage_completion(&mut self, completion: &DeliveryCompletion) -> bool {
        let _ = completion;
        false
    }

    /// Ends the sync: records the request's delivery key (if any), moves each watermark in
    /// `advance` forward to its time (never back) and appends `events` (the changes the sync
    /// made, [`crate::events`]) with a pending delivery per subscriber, in one write, then frees
    /// the issue.
    async fn commit(
        self: Box<Self>,
        advance: &[(OrganizationId, EventTime)],
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError>;
}
