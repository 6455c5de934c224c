//! The application's side of the contract: what jirasync reads from and writes to the host
//! application's own data (its users, who may be assigned what, its issues).
//!
//! jirasync keeps its own bookkeeping (integrations, links to Jira issues, watermarks, the delivery
//! log, external actors, the inbox) in a [`SyncStore`](crate::SyncStore) it implements itself. An
//! application that embeds jirasync implements [`Host`] and nothing else: six methods over its
//! own tables. The standalone service implements it over tables of its own (`jirasync-store`).
//!
//! # Writes are idempotent
//!
//! [`Host::apply_change`] says "set the assignee (or status) to this value, and record this
//! activity with it". jirasync calls it only after deciding, under its per-issue serialisation,
//! that the issue's current value differs. A process may stop between the host's write and
//! jirasync's own commit (the watermark and the delivery log); the redelivery then finds the issue
//! already changed, decides "unchanged", writes nothing and commits. So an application that writes
//! the value and its activity in one transaction of its own gets every change, and its activity,
//! exactly once.

use std::error::Error as StdError;

use async_trait::async_trait;

use crate::activity::{ActivityData, ActivityKind, IssueComment};
use crate::external_actor::ActorTarget;
use crate::ids::{LocalIssueId, OrganizationId, UserId};
use crate::issue::{Assignee, ResolutionStatus};
use crate::store::{BoxError, StoreError};

/// What jirasync needs from the application. See the [module documentation](self) for the
/// idempotence every write must have.
///
/// Every method may fail with [`HostError::Unavailable`] (jirasync retries the delivery later)
/// or another [`HostError`] (the delivery fails for good and is logged).
#[async_trait]
pub trait Host: Send + Sync {
    /// The **active** users owning a **verified** e-mail address equal to `email` ignoring case,
    /// in ascending id order. Any verified address of a user counts, not only a primary one
    /// (reference §4.3).
    async fn users_with_verified_email(&self, email: &str) -> Result<Vec<UserId>, HostError>;

    /// The users among `ids` that exist and are active, in ascending id order.
    async fn active_users(&self, ids: &[UserId]) -> Result<Vec<UserId>, HostError>;

    /// The users among `candidates` who may be assigned the issue (in the reference: they reach
    /// its project through a team membership that is active), in any order. Empty when the
    /// issue does not exist.
    async fn assignable_users(
        &self,
        issue: LocalIssueId,
        candidates: &[UserId],
    ) -> Result<Vec<UserId>, HostError>;

    /// The issue's organization, current assignee and status; `None` when there is no such issue.
    async fn issue(&self, issue: LocalIssueId) -> Result<Option<HostIssue>, HostError>;

    /// Makes `change` on its issue and records its activity with it (or leaves the record out,
    /// if the application keeps no activity log): sets the assignee for
    /// [`ActivityKind::Assigned`] (clearing a team) and [`ActivityKind::Unassigned`], the status
    /// for [`ActivityKind::SetResolved`] and [`ActivityKind::SetUnresolved`]; adds the comment
    /// of [`IssueChange::comment`] for [`ActivityKind::Commented`] (written in Jira, synced
    /// when the organization has `sync_comments` on).
    ///
    /// Idempotent: the value is "set to X", never "toggle"; a comment is added **once per Jira
    /// comment id** ([`IssueComment::comment_id`]): jirasync applies each comment once, but a
    /// crash between this call and jirasync's own commit hands it again. An issue that no
    /// longer exists is not an error (the change is dropped). A kind the application does not
    /// handle should be refused with [`HostError::Refused`].
    async fn apply_change(&self, change: &IssueChange) -> Result<(), HostError>;

    /// Whether the user is a member of the organization, or the team belongs to it (external
    /// actors name one or the other, reference §5.3).
    async fn in_organization(
        &self,
        organization: OrganizationId,
        target: ActorTarget,
    ) -> Result<bool, HostError>;
}

/// What jirasync reads of an application issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostIssue {
    /// The organization the issue belongs to.
    pub organization_id: OrganizationId,
    /// The current assignee.
    pub assignee: Option<Assignee>,
    /// Resolved or not.
    pub status: ResolutionStatus,
}

/// One change jirasync makes to an application issue: the activity that records it says what
/// changes ([`IssueChange::kind`]) and to which value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueChange {
    /// The issue.
    pub issue: LocalIssueId,
    /// What changes: assigned, unassigned, resolved, reopened or commented.
    pub kind: ActivityKind,
    /// The activity's data: the integration and provider the change came from, the new assignee
    /// (for an assignment), the sync source, and when it happened in Jira.
    pub data: ActivityData,
}

impl IssueChange {
    /// The new assignee when the change is about the assignee (`Some(None)`: unassigned).
    pub fn assignee(&self) -> Option<Option<Assignee>> {
        match self.kind {
            ActivityKind::Assigned => Some(self.data.assignee),
            ActivityKind::Unassigned => Some(None),
            _ => None,
        }
    }

    /// The comment added, for [`ActivityKind::Commented`].
    pub fn comment(&self) -> Option<&IssueComment> {
        match self.kind {
            ActivityKind::Commented => self.data.comment.as_ref(),
            _ => None,
        }
    }

    /// The new status when the change is about the status.
    pub fn status(&self) -> Option<ResolutionStatus> {
        match self.kind {
            ActivityKind::SetResolved => Some(ResolutionStatus::Resolved),
            ActivityKind::SetUnresolved => Some(ResolutionStatus::Unresolved),
            _ => None,
        }
    }
}

/// Why a [`Host`] call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The application's data cannot be reached now (its database is down, a timeout). The
    /// delivery is retried later.
    #[error("the application is unavailable, retry later: {message}")]
    Unavailable {
        /// What went wrong.
        message: String,
        /// The cause, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// The application refuses the call (a kind of change it does not handle, a rule of its
    /// own). Not retried.
    #[error("the application refused: {message}")]
    Refused {
        /// Why, in words an operator can act on.
        message: String,
    },
    /// Anything else; not retried.
    #[error("the application failed: {message}")]
    Other {
        /// What went wrong.
        message: String,
        /// The cause, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl HostError {
    /// A [`HostError::Unavailable`] with its cause.
    pub fn unavailable(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// A [`HostError::Refused`].
    pub fn refused(message: impl Into<String>) -> Self {
        Self::Refused {
            message: message.into(),
        }
    }

    /// A [`HostError::Other`] with its cause.
    pub fn other(
        message: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self::Other {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// A host built on a [`crate::SyncStore`]-like storage fails the way its store does:
/// `Unavailable` stays retryable, `Invalid`, `Conflict` and `NotFound` are refusals.
impl From<StoreError> for HostError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable { message, source } => Self::Unavailable { message, source },
            StoreError::Other { message, source } => Self::Other { message, source },
            refused => Self::Refused {
                message: refused.to_string(),
            },
        }
    }
}

/// The refusal of a change whose kind the application does not apply.
pub fn unsupported_change(kind: ActivityKind) -> HostError {
    HostError::refused(format!("this application does not apply {kind} changes"))
}
