//! The store conformance suite: one async test per behaviour of the sync rules, run against any
//! store through the public traits ([`Store`](crate::Store) to read and write, [`Seed`](crate::Seed) to set the scene).
//!
//! Enabled by the `testing` feature. A store crate runs the whole suite with one macro call in an
//! integration test; each behaviour becomes its own `#[tokio::test]` (the crate needs `tokio` with
//! the `macros` and `rt-multi-thread` features as a dev-dependency):
//!
//! ```ignore
//! jirasync_domain::conformance_tests!(async { my_store::connect_fresh().await });
//! ```
//!
//! The expression is evaluated once per test and must give a fresh, empty store.
//!
//! Every function here panics when the store breaks the contract: that is how a test fails.

// Assertions are how a conformance test reports a broken contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod actors;
mod admin;
mod assignee;
mod comments;
mod concurrency;
mod events;
pub mod fixture;
pub mod host;
mod install;
mod outbox;
mod protocol;
mod reconcile;
pub mod setup;
mod status;
mod status_mappings;
pub mod test_host;

pub use actors::*;
pub use admin::*;
pub use assignee::*;
pub use comments::*;
pub use concurrency::*;
pub use events::*;
pub use fixture::Fixture;
pub use install::*;
pub use outbox::*;
pub use protocol::*;
pub use reconcile::*;
pub use status::*;
pub use status_mappings::*;

use crate::host::Host;
use crate::store::{LocalIssueStore, Seed, SyncStore};

/// What the rule conformance suite runs on: jirasync's store and a standalone host over its own
/// tables, in one value (the in-memory store; the SQL stores of `jirasync-store`), seeded
/// through [`Seed`] and read back through [`LocalIssueStore`].
pub trait World: SyncStore + Host + LocalIssueStore + Seed {}

impl<T: SyncStore + Host + LocalIssueStore + Seed + ?Sized> World for T {}

/// Expands to one `#[tokio::test]` per conformance behaviour, each running on a store made by
/// evaluating `$factory.await` (an `async` block giving a fresh store). With `optional:`, the
/// block gives an `Option` of a store and `None` skips the test (the factory prints why), for
/// back-ends that need a server the machine may not have:
///
/// ```ignore
/// jirasync_domain::conformance_tests!(optional: async { connect_if_configured().await });
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(optional: async { Some($factory.await) });
    };
    (optional: $factory:expr) => {
        $crate::__conformance_tests!(
            $factory;
            where_should_sync_keeps_only_active_links_with_feature_and_flag,
            assigns_user_with_matching_verified_email,
            email_match_ignores_case,
            any_verified_email_of_the_user_matches,
            unverified_email_does_not_match,
            inactive_user_is_not_assigned,
            first_member_wins_when_several_users_share_the_email,
            user_without_project_access_leaves_issue_untouched,
            inactive_team_membership_gives_no_access,
            unassigns_when_assignee_is_null,
            unassign_of_unassigned_issue_writes_no_activity,
            unassign_clears_a_team_assignee,
            reassigning_current_assignee_writes_nothing,
            assigns_in_every_organization_that_syncs,
            organizations_without_inbound_assignee_are_left_alone,
            no_linked_issue_is_a_halt,
            issue_key_match_is_case_sensitive,
            external_actor_resolves_hidden_email,
            jira_directory_learns_hidden_email,
            failing_jira_directory_fails_the_sync_and_writes_nothing,
            assignee_activity_records_its_sync_source,
            older_event_does_not_override_newer_assignee,
            equal_timestamp_is_reapplied,
            user_not_found_still_moves_the_watermark,
            missing_email_still_moves_the_watermark,
            event_without_time_skips_the_guard,
            duplicate_delivery_is_applied_once,
            assignee_and_status_have_separate_watermarks,
            change_set_applies_assignee_then_status,
            change_set_applied_with_its_integration_read_by_the_caller,
            watermark_is_kept_per_organization,
            email_match_comes_before_external_actors,
            external_actor_of_another_integration_is_ignored,
            inactive_actor_user_falls_through_to_the_jira_directory,
            unknown_integration_is_an_error,
            integration_lookup_filters_by_provider,
            resolves_when_status_moves_into_done,
            unresolves_when_status_leaves_done,
            move_within_one_category_changes_nothing,
            issue_already_resolved_gets_no_duplicate_activity,
            status_sync_requires_sync_status_reverse,
            failing_jira_directory_is_a_retryable_status_error,
            older_status_event_is_stale,
            duplicate_status_delivery_is_applied_once,
            done_statuses_are_cached_for_240_seconds,
            noop_status_change_leaves_the_watermark,
            status_is_synced_in_every_organization_that_syncs,
            creates_external_actor,
            creating_same_actor_twice_returns_existing,
            same_name_for_another_user_creates_a_new_actor,
            case_variants_of_one_actor_are_ambiguous,
            rejects_unknown_provider,
            accepts_jira_server_provider,
            strict_provider_names_must_be_handles,
            strict_provider_names_are_at_most_255_characters,
            blank_external_id_is_rejected,
            external_id_longer_than_64_characters_is_rejected,
            integration_must_belong_to_the_organization,
            user_must_be_a_member,
            team_must_be_in_the_organization,
            external_actors_need_the_feature,
            update_clash_is_reported_as_name_taken,
            update_ignores_id_in_body,
            actor_of_another_organization_is_not_found,
            deletes_external_actor,
            install_records_integration_identity_and_link,
            external_id_is_cut_to_64_characters,
            second_organization_can_install_the_same_jira,
            reinstall_is_idempotent,
            save_install_refuses_a_plan_made_on_a_stale_read,
            save_organization_creates_and_replaces,
            lists_every_organization,
            lists_every_integration,
            update_sync_config_replaces_the_links_config,
            update_sync_config_without_a_link_is_not_found,
            link_issue_creates_the_external_issue_and_the_link,
            link_issue_is_idempotent,
            external_issues_of_lists_a_local_issues_links,
            link_issue_keeps_the_watermarks,
            link_issue_of_another_organizations_issue_is_not_found,
            link_issue_without_an_organization_link_is_not_found,
            unlink_issue_removes_the_link_and_keeps_the_watermark,
            lists_external_actors_by_filter,
            link_jira_issue_refuses_a_malformed_key,
            host_failure_commits_nothing_and_the_redelivery_applies_once,
            crash_after_the_host_write_is_repaired_by_the_redelivery,
            crash_between_two_issues_is_completed_by_the_redelivery,
            crash_after_a_status_write_is_repaired_by_the_redelivery,
            older_event_after_a_repaired_crash_is_stale,
            applied_assignee_change_writes_exactly_its_event,
            applied_status_change_writes_its_event,
            failed_sync_writes_no_event,
            link_and_unlink_write_their_events,
            install_writes_integration_installed,
            events_are_read_in_cursor_order,
            deliveries_keep_the_order_of_one_issue,
            retry_dead_letter_and_replay,
            outbox_claims_per_issue_in_order,
            outbox_retry_failure_and_operator_retry,
            outbox_purge_keeps_what_retry_needs,
            outbox_expired_claim_is_taken_over,
            outbox_claim_respects_its_limit,
            outbox_echoes_are_taken_once_before_they_expire,
            outbox_retry_of_a_superseded_change_is_refused,
            webhook_of_an_outbound_change_is_not_applied_back,
            status_mappings_are_kept_per_organization_and_project,
            removing_a_link_drops_its_status_mappings,
            subscribers_rotate_secrets_and_are_deleted,
            deleting_a_subscriber_drops_its_deliveries,
            listeners_hear_of_committed_events,
            purging_keeps_pending_and_newer_events,
            removing_a_link_drops_what_jirasync_keeps_and_writes_integration_removed,
            comment_from_jira_is_added_once_with_its_event,
            own_comment_is_not_added_back,
            assignment_with_a_comment_does_both,
            crash_after_a_comment_is_repaired_by_the_redelivery,
            outbox_failed_comment_is_retried_despite_later_comments,
        );
        $crate::__conformance_tests!(
            @multi_thread $factory;
            concurrent_shuffled_assignee_events_converge_on_the_newest,
            concurrent_shuffled_status_events_converge_on_the_newest,
            syncs_of_one_issue_never_write_at_the_same_time,
            concurrent_installs_of_one_jira_all_succeed,
            outbox_concurrent_claims_share_the_work_without_overlap,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                if let Some(store) = $factory.await {
                    $crate::conformance::$name(store).await;
                }
            }
        )*
    };
    (@multi_thread $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(store) = $factory.await {
                    $crate::conformance::$name(store).await;
                }
            }
        )*
    };
}
