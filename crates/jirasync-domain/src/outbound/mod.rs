//! Outbound sync: changes the application makes that jirasync carries to Jira, through a durable
//! outbox (`docs/outbound.md`, `docs/decisions/0017-outbound-sync.md`).
//!
//! The application changes one of its issues (assigns it, unassigns it); the rule
//! [`rules::outbound`](crate::rules::outbound) decides which linked Jira issues must follow
//! (the organization's link is active, has the issue-sync feature and the config flag of the
//! direction on) and describes one [`NewOutboundWork`] per Jira issue. The store writes them in
//! the same transaction as the change ([`ApplicationData::update_issue`](crate::ApplicationData::update_issue)
//! for the standalone service), or on their own ([`OutboxStore::enqueue_outbound`](crate::store::OutboxStore::enqueue_outbound))
//! for an application that keeps its issues itself.
//!
//! Workers then claim the work **per Jira issue, oldest first** (one at a time for an issue),
//! under a lease, and call Jira through a [`JiraWriter`]; a transient failure is retried with
//! back-off (each attempt is a new, freshly signed request), a permanent one (403, the issue
//! gone, an unknown user, no Jira user for the application's user) stops the work with its reason
//! stored ([`OutboundStatus::Failed`]), for `jirasync outbox list --failed` and
//! `jirasync outbox retry`.

mod status;
mod writer;

use std::fmt;

use jirasync_webhook::IssueKey;
use serde::{Deserialize, Serialize};

use crate::events::EventTimestamp;
use crate::ids::{IntegrationId, LocalIssueId, OrganizationId, UserId};

pub use status::{BOTH_STATUSES_REQUIRED, StatusMapping};
pub use writer::{CreatedJiraIssue, JiraCreateField, JiraCreateMeta};
#[cfg(feature = "testing")]
pub use writer::{FAKE_STATUSES, FAKE_WORKFLOW, FakeJiraWriter, WriterCall};
pub use writer::{
    JiraAccount, JiraIssueState, JiraProjectStatuses, JiraStatusName, JiraTransition,
    JiraWriteError, JiraWriter,
};

/// The id of one piece of outbound work, in the order it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OutboundId(u64);

impl OutboundId {
    /// The id with this stored number.
    pub const fn new(raw: u64) -> Self {
        Self(raw)
    }

    /// The stored number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for OutboundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The application user an assignment names, as the application knew them when it made the
/// change: the id (to find the user's external actor) and the **verified** e-mail addresses
/// (to search Jira's users when there is no actor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundUser {
    /// The user.
    pub id: UserId,
    /// The user's verified e-mail addresses, in the application's order.
    pub emails: Vec<String>,
}

/// What to do to one Jira issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutboundAction {
    /// Make the Jira user who stands for this application user the assignee.
    Assign {
        /// The application's user id.
        #[serde(with = "user_id")]
        user: UserId,
        /// The user's verified e-mail addresses.
        emails: Vec<String>,
    },
    /// Clear the Jira issue's assignee.
    Unassign,
    /// Move the Jira issue to its project's "on resolve" status ([`StatusMapping`]).
    Resolve,
    /// Move the Jira issue to its project's "on unresolve" status ([`StatusMapping`]).
    Unresolve,
    /// Add a comment to the Jira issue, attributed to its author ([`attributed_comment`]).
    Comment {
        /// The author's name as the application shows it; `None`: the application itself.
        author: Option<String>,
        /// The text.
        body: String,
    },
}

impl OutboundAction {
    /// The action's stored name (`assign`, `unassign`, `comment`).
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Assign { .. } => "assign",
            Self::Unassign => "unassign",
            Self::Resolve => "resolve",
            Self::Unresolve => "unresolve",
            Self::Comment { .. } => "comment",
        }
    }

    /// The field the action sets (`assignee`, `status`, `comment`): a later action of the same
    /// group supersedes an earlier one on the same Jira issue, except comments
    /// ([`OutboundAction::is_superseded_by`]).
    pub const fn kind_group(&self) -> &'static str {
        match self {
            Self::Assign { .. } | Self::Unassign => "assignee",
            Self::Resolve | Self::Unresolve => "status",
            Self::Comment { .. } => "comment",
        }
    }

    /// Whether `later`, recorded after this action for the same organization and Jira issue,
    /// makes this one obsolete: a later value of the same field does (sending the older one
    /// would undo it in Jira); a comment never is, since each comment adds to the issue.
    pub fn is_superseded_by(&self, later: &Self) -> bool {
        !matches!(self, Self::Comment { .. }) && self.kind_group() == later.kind_group()
    }

    /// The action as stored (JSON).
    pub fn to_json(&self) -> String {
        // Serialising a plain enum of numbers and strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The action a stored JSON text describes.
    ///
    /// # Errors
    ///
    /// What is wrong with the text (a store holding something this build does not know).
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|error| {
            format!("the stored outbound action {text:?} is not one this build knows: {error}")
        })
    }
}

impl fmt::Display for OutboundAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Assign { user, .. } => write!(f, "assign to user {user}"),
            Self::Unassign => f.write_str("unassign"),
            Self::Resolve => f.write_str("resolve"),
            Self::Unresolve => f.write_str("unresolve"),
            Self::Comment {
                author: Some(author),
                ..
            } => write!(f, "comment by {author}"),
            Self::Comment { author: None, .. } => f.write_str("comment"),
        }
    }
}

mod user_id {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::ids::UserId;

    pub(super) fn serialize<S: Serializer>(id: &UserId, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(id.get())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<UserId, D::Error> {
        u64::deserialize(deserializer).map(UserId::new)
    }
}

/// One piece of outbound work to record: an action on one Jira issue, on behalf of one
/// organization's local issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboundWork {
    /// The organization whose change it is.
    pub organization_id: OrganizationId,
    /// The integration the Jira issue lives in.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// The application's issue that changed.
    pub local_issue_id: LocalIssueId,
    /// What to do.
    pub action: OutboundAction,
    /// When the change was made (the work is due from then).
    pub created_at: EventTimestamp,
}

/// Where a piece of outbound work stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboundStatus {
    /// Not done yet: waiting for its time, for the work before it on the same Jira issue, or
    /// being tried.
    Pending,
    /// Jira accepted it.
    Done,
    /// Stopped for a reason retrying would not fix (or out of retry time); `jirasync outbox
    /// retry` makes it pending again.
    Failed,
}

impl OutboundStatus {
    /// The stored name (`pending`, `done`, `failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// The status with this stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Pending, Self::Done, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

impl fmt::Display for OutboundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The proof that a worker claimed a piece of work: finishing it checks that the claim is still
/// this one (a claim whose lease ran out may have been taken over by another worker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundClaim {
    /// The work.
    pub id: OutboundId,
    /// The claim's token.
    pub token: String,
}

/// A piece of outbound work as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundWork {
    /// Its id.
    pub id: OutboundId,
    /// The organization whose change it is.
    pub organization_id: OrganizationId,
    /// The integration the Jira issue lives in.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// The application's issue that changed.
    pub local_issue_id: LocalIssueId,
    /// What to do.
    pub action: OutboundAction,
    /// Where it stands.
    pub status: OutboundStatus,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When it was recorded.
    pub created_at: EventTimestamp,
    /// When it became pending (recorded, or retried by an operator): retrying stops a fixed time
    /// after it.
    pub pending_since: EventTimestamp,
    /// When it is tried next (pending), or when it ended.
    pub at: EventTimestamp,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// A claimed piece of work, to carry out and then finish with its claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundJob {
    /// The claim.
    pub claim: OutboundClaim,
    /// The work.
    pub work: OutboundWork,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundResult {
    /// Jira accepted it at this time.
    Done {
        /// When.
        at: EventTimestamp,
    },
    /// Failed for now; try again at `next_attempt_at`.
    Retry {
        /// When to try again.
        next_attempt_at: EventTimestamp,
        /// What went wrong.
        error: String,
    },
    /// Failed for good.
    Failed {
        /// When.
        at: EventTimestamp,
        /// Why, in words an operator can act on.
        error: String,
    },
}

/// Which outbound work to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboundFilter {
    /// Only those with this status.
    pub status: Option<OutboundStatus>,
    /// At most this many, newest first (0: no limit).
    pub limit: usize,
}

/// How many pieces of work stand where, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    /// Pending.
    pub pending: u64,
    /// Failed.
    pub failed: u64,
}

/// The Jira field an outbound change set, whose webhook jirasync expects back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EchoField {
    /// The assignee.
    Assignee,
    /// The status (its id).
    Status,
    /// A comment added; the value is [`comment_echo_value`] of its text.
    Comment,
}

impl EchoField {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Assignee => "assignee",
            Self::Status => "status",
            Self::Comment => "comment",
        }
    }
}

/// The longest comment text the application may send, in characters (Jira's own limit is
/// 32,767 by default; the attribution needs the rest).
pub const MAX_COMMENT_CHARS: usize = 32_000;

/// What is wrong with a comment text the application sends, if anything: empty (or only
/// white space), or longer than [`MAX_COMMENT_CHARS`].
pub fn comment_body_problem(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return Some("body: must not be empty".to_owned());
    }
    let chars = body.chars().count();
    (chars > MAX_COMMENT_CHARS).then(|| {
        format!("body: {chars} characters, more than the {MAX_COMMENT_CHARS} a comment may have")
    })
}

/// The text jirasync posts to Jira for an application comment: the body quoted under its
/// author's name (`alice wrote:`), or under `The application wrote:` when it has no author, so
/// that Jira readers see who wrote it although jirasync's Jira user posts it.
pub fn attributed_comment(author: Option<&str>, body: &str) -> String {
    let author = author.map_or_else(|| "The application".to_owned(), str::to_owned);
    format!("{author} wrote:\n\n{{quote}}\n{body}\n{{quote}}")
}

/// The echo value of a comment text: the SHA-256 (hex) of the text with its line ends made
/// `\n` and its outer white space trimmed, as Jira may store it. A hash, because echo values are
/// kept and compared whole, and a comment may be long.
pub fn comment_echo_value(text: &str) -> String {
    use sha2::Digest;
    let normalised = text.replace("\r\n", "\n");
    hex::encode(sha2::Sha256::digest(normalised.trim().as_bytes()))
}

/// How long a Jira webhook for a change jirasync made is recognised as its echo.
pub const ECHO_TTL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// A change jirasync is making to a Jira issue on behalf of one organization, recorded just
/// before the call: the webhook Jira then sends for it is recognised (same issue, field and
/// value, before `expires_at`) and not applied back to that organization's issues
/// (`docs/decisions/0017-outbound-sync.md`). Other organizations linked to the Jira issue apply
/// it as any change from Jira.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundEcho {
    /// The organization whose change it is.
    pub organization_id: OrganizationId,
    /// The integration.
    pub integration_id: IntegrationId,
    /// The Jira issue.
    pub issue_key: IssueKey,
    /// The field set.
    pub field: EchoField,
    /// The value set, as Jira will report it (a username; empty for "none"), compared ignoring
    /// case.
    pub value: String,
    /// Until when the webhook is expected.
    pub expires_at: EventTimestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_never_superseded_and_an_assignment_is_by_the_next_one() {
        let comment = OutboundAction::Comment {
            author: None,
            body: "a".into(),
        };
        assert!(!comment.is_superseded_by(&comment.clone()));
        assert!(!comment.is_superseded_by(&OutboundAction::Unassign));
        assert!(OutboundAction::Unassign.is_superseded_by(&OutboundAction::Unassign));
        assert!(!OutboundAction::Unassign.is_superseded_by(&comment));
        assert_eq!(comment.kind(), "comment");
        assert_eq!(comment.kind_group(), "comment");
    }

    #[test]
    fn a_comment_action_is_stored_and_read_back_whole() {
        let comment = OutboundAction::Comment {
            author: Some("alice".into()),
            body: "line 1\nline \"2\" ü".into(),
        };
        let text = comment.to_json();
        assert_eq!(OutboundAction::from_json(&text), Ok(comment.clone()));
        assert_eq!(comment.to_string(), "comment by alice");
    }

    #[test]
    fn comment_texts_are_attributed_and_bounded() {
        assert_eq!(
            attributed_comment(Some("alice"), "Done."),
            "alice wrote:\n\n{quote}\nDone.\n{quote}"
        );
        assert_eq!(
            attributed_comment(None, "Done."),
            "The application wrote:\n\n{quote}\nDone.\n{quote}"
        );
        assert_eq!(comment_body_problem("ok"), None);
        assert_eq!(comment_body_problem(&"é".repeat(MAX_COMMENT_CHARS)), None);
        assert_eq!(
            comment_body_problem(" \t\n"),
            Some("body: must not be empty".into())
        );
        assert_eq!(
            comment_body_problem(&"x".repeat(MAX_COMMENT_CHARS + 1)),
            Some("body: 32001 characters, more than the 32000 a comment may have".into())
        );
    }

    #[test]
    fn a_comment_echo_ignores_line_ends_and_outer_space_only() {
        let value = comment_echo_value("a\nb");
        assert_eq!(value, comment_echo_value("a\r\nb\n"));
        assert_ne!(value, comment_echo_value("a\nB"));
        assert_eq!(value.len(), 64);
    }
}
