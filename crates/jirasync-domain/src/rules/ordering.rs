//! The ordering guard (reference §4.3 step 7, decision 0004), and what an inbound change does to
//! one issue: the decisions every store used to make on its own, written once.
//!
//! Where is an older timestamp ignored? In [`guard`]. Where is "already assigned" recognised?
//! In [`assignee_change`] and [`status_change`]. Stores only persist what these decided.

use jirasync_webhook::EventTime;

use crate::activity::ActivityKind;
use crate::ids::UserId;
use crate::issue::{Assignee, ResolutionStatus};

/// What the ordering guard decided for one organization's copy of a Jira issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardDecision {
    /// Apply the event; then move the watermark to `advance_to` when it is `Some`.
    Apply {
        /// The watermark's new value: the event time when it is newer than the stored one (or
        /// there is none); `None` leaves the watermark as it is.
        advance_to: Option<EventTime>,
    },
    /// The organization already applied a newer event: change nothing there.
    Stale {
        /// The stored watermark, newer than the event.
        watermark: EventTime,
    },
}

/// The ordering guard: an event older than the stored `watermark` is stale; an event at the
/// same time is applied again (the reference re-applies equal timestamps); a newer one is
/// applied and moves the watermark. Without an event time the guard does nothing: the event is
/// applied and the watermark stays.
///
/// ```
/// use jirasync_domain::rules::ordering::{GuardDecision, guard};
/// use jirasync_webhook::EventTime;
///
/// let t = EventTime::from_unix_millis;
/// assert_eq!(guard(Some(t(5)), Some(t(4))), GuardDecision::Stale { watermark: t(5) });
/// assert_eq!(guard(Some(t(5)), Some(t(5))), GuardDecision::Apply { advance_to: None });
/// assert_eq!(guard(Some(t(5)), Some(t(6))), GuardDecision::Apply { advance_to: Some(t(6)) });
/// assert_eq!(guard(None, Some(t(1))), GuardDecision::Apply { advance_to: Some(t(1)) });
/// assert_eq!(guard(Some(t(5)), None), GuardDecision::Apply { advance_to: None });
/// ```
pub fn guard(watermark: Option<EventTime>, event: Option<EventTime>) -> GuardDecision {
    match (watermark, event) {
        (_, None) => GuardDecision::Apply { advance_to: None },
        (Some(watermark), Some(event)) if watermark > event => GuardDecision::Stale { watermark },
        (Some(watermark), Some(event)) if watermark == event => {
            GuardDecision::Apply { advance_to: None }
        }
        (_, Some(event)) => GuardDecision::Apply {
            advance_to: Some(event),
        },
    }
}

/// What an inbound assignee change asks of one issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssigneeTarget {
    /// Assign this user (replacing any user or team).
    User(UserId),
    /// Clear the assignee, whoever it is.
    Unassign,
}

/// The change to make to an issue whose assignee is `current` so that it matches `target`, with
/// the activity kind that records it; `None` when the issue is already as wanted (reference
/// §4.4: assigning the current assignee, or unassigning an unassigned issue, writes nothing and
/// records no activity). Unassigning clears a team as well as a user.
pub fn assignee_change(
    current: Option<Assignee>,
    target: AssigneeTarget,
) -> Option<(Option<Assignee>, ActivityKind)> {
    match target {
        AssigneeTarget::User(user) if current == Some(Assignee::User(user)) => None,
        AssigneeTarget::User(user) => Some((Some(Assignee::User(user)), ActivityKind::Assigned)),
        AssigneeTarget::Unassign if current.is_none() => None,
        AssigneeTarget::Unassign => Some((None, ActivityKind::Unassigned)),
    }
}

/// The activity kind that moves an issue from `current` to `target`, or `None` when it is
/// already there (no write, no activity: reference §3.5 "already in the target status").
pub fn status_change(current: ResolutionStatus, target: ResolutionStatus) -> Option<ActivityKind> {
    match (current, target) {
        (ResolutionStatus::Resolved, ResolutionStatus::Resolved)
        | (ResolutionStatus::Unresolved, ResolutionStatus::Unresolved) => None,
        (_, ResolutionStatus::Resolved) => Some(ActivityKind::SetResolved),
        (_, ResolutionStatus::Unresolved) => Some(ActivityKind::SetUnresolved),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TeamId;

    #[test]
    fn assigning_the_current_user_is_unchanged_and_a_team_is_replaced() {
        let alice = UserId::new(1);
        let bob = UserId::new(2);
        assert_eq!(
            assignee_change(Some(Assignee::User(alice)), AssigneeTarget::User(alice)),
            None
        );
        assert_eq!(
            assignee_change(Some(Assignee::User(bob)), AssigneeTarget::User(alice)),
            Some((Some(Assignee::User(alice)), ActivityKind::Assigned))
        );
        assert_eq!(
            assignee_change(
                Some(Assignee::Team(TeamId::new(3))),
                AssigneeTarget::User(alice)
            ),
            Some((Some(Assignee::User(alice)), ActivityKind::Assigned))
        );
    }

    #[test]
    fn unassigning_clears_users_and_teams_and_nothing_is_unchanged() {
        assert_eq!(assignee_change(None, AssigneeTarget::Unassign), None);
        for current in [
            Assignee::User(UserId::new(1)),
            Assignee::Team(TeamId::new(2)),
        ] {
            assert_eq!(
                assignee_change(Some(current), AssigneeTarget::Unassign),
                Some((None, ActivityKind::Unassigned))
            );
        }
    }

    #[test]
    fn status_changes_only_when_it_differs() {
        use ResolutionStatus::{Resolved, Unresolved};
        assert_eq!(status_change(Resolved, Resolved), None);
        assert_eq!(status_change(Unresolved, Unresolved), None);
        assert_eq!(
            status_change(Unresolved, Resolved),
            Some(ActivityKind::SetResolved)
        );
        assert_eq!(
            status_change(Resolved, Unresolved),
            Some(ActivityKind::SetUnresolved)
        );
    }
}
