//! The ordering guard as a property: deliveries for one Jira issue applied in any order leave the
//! issue as applying them in `occurred_at` order does, and the activity log never goes backwards.

use jirasync_domain::conformance::fixture::{Fixture, assigned_to_email, unassigned};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::{InMemoryStore, LocalIssueStore};
use jirasync_webhook::AssigneeChanged;
use proptest::prelude::*;

/// Who an event assigns: 0 Alice, 1 Bob, 2 nobody.
fn event(who: u8, at: i64) -> AssigneeChanged {
    match who {
        0 => assigned_to_email("alice@example.com", at),
        1 => assigned_to_email("bob@example.com", at),
        _ => unassigned(at),
    }
}

/// Events with distinct times (`1_000 + index`), and the order in which to deliver them.
fn deliveries() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    prop::collection::vec(0_u8..3, 1..24).prop_flat_map(|whos| {
        let order: Vec<usize> = (0..whos.len()).collect();
        (Just(whos), Just(order).prop_shuffle())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_delivery_order_gives_the_time_order_result((whos, order) in deliveries()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let f = Fixture::new(InMemoryStore::new()).await;
            let bob = f.member(&["bob@example.com"]).await;
            for &index in &order {
                let at = 1_000 + i64::try_from(index).unwrap();
                f.assign(&event(whos[index], at)).await;
            }
            let expected = match whos.last() {
                Some(0) => Some(Assignee::User(f.alice)),
                Some(1) => Some(Assignee::User(bob)),
                _ => None,
            };
            prop_assert_eq!(f.assignee_of(f.issue).await, expected);
            prop_assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Unresolved);
            let activities = f.store.activities(f.issue).await.unwrap();
            for pair in activities.windows(2) {
                prop_assert!(pair[0].data.occurred_at <= pair[1].data.occurred_at);
            }
            Ok(())
        })?;
    }
}
