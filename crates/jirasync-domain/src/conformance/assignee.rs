//! Inbound assignee sync and the ordering guard (reference §3.4, §4.1, §4.3, §4.4).

use jirasync_webhook::{ChangeSet, DeliveryKey, EventTime, JiraUser};

use super::fixture::{
    DONE, Fixture, IN_PROGRESS, KEY, assigned, assigned_on, assigned_to_email,
    jira_user_with_email, jira_user_without_email, status_changed, unassigned,
};
use crate::activity::ActivityKind;
use crate::external_actor::ActorTarget;
use crate::integration::{LinkStatus, SyncConfig, SyncDirection};
use crate::issue::{Assignee, ResolutionStatus};
use crate::jira_directory::{DirectoryError, StaticJiraDirectory};
use crate::organization::OrganizationFeatures;
use crate::people::UserEmail;
use crate::rules::assignee::{AssigneeAction, MatchMethod};
use crate::rules::external_actors::{ExternalActorInput, create_external_actor};
use crate::rules::outcome::{HaltReason, SyncError};
use crate::rules::where_should_sync::{NotSyncedReason, where_should_sync};
use crate::store::SyncKind;

use super::World;

/// Behaviour: where should sync keeps only active links with feature and flag.
pub async fn where_should_sync_keeps_only_active_links_with_feature_and_flag<S: World + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    let s = &f.store;
    let disabled = s
        .seed_organization("disabled", OrganizationFeatures::all())
        .await
        .unwrap();
    s.seed_organization_integration(
        disabled,
        f.integration,
        LinkStatus::Disabled,
        SyncConfig::all_on(),
    )
    .await
    .unwrap();
    let no_feature = s
        .seed_organization("no-feature", OrganizationFeatures::default())
        .await
        .unwrap();
    s.seed_organization_integration(
        no_feature,
        f.integration,
        LinkStatus::Active,
        SyncConfig::all_on(),
    )
    .await
    .unwrap();
    let flag_off = s
        .seed_organization("flag-off", OrganizationFeatures::all())
        .await
        .unwrap();
    let config = SyncConfig {
        sync_reverse_assignment: false,
        ..SyncConfig::all_on()
    };
    s.seed_organization_integration(flag_off, f.integration, LinkStatus::Active, config)
        .await
        .unwrap();

    let targets = where_should_sync(
        s.as_ref(),
        f.integration,
        SyncDirection::InboundAssignee,
        None,
    )
    .await
    .unwrap();
    assert_eq!(targets.organizations, vec![f.organization]);
    assert!(
        targets
            .skipped
            .contains(&(disabled, NotSyncedReason::LinkDisabled))
    );
    assert!(
        targets
            .skipped
            .contains(&(no_feature, NotSyncedReason::FeatureOff))
    );
    assert!(
        targets
            .skipped
            .contains(&(flag_off, NotSyncedReason::ConfigOff))
    );

    let status = where_should_sync(
        s.as_ref(),
        f.integration,
        SyncDirection::InboundStatus,
        Some(flag_off),
    )
    .await
    .unwrap();
    assert_eq!(status.organizations, vec![flag_off]);
}

/// Behaviour: assigns user with matching verified email.
pub async fn assigns_user_with_matching_verified_email<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let outcome = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_eq!(outcome.action, AssigneeAction::Assign);
    assert_eq!(outcome.method, Some(MatchMethod::Email));
    assert_eq!(
        (outcome.affected_issues, outcome.changed, outcome.not_found),
        (1, 1, 0)
    );
    assert_eq!(outcome.halt, None);
    let activities = f.store.activities(f.issue).await.unwrap();
    assert_eq!(activities.len(), 1);
    assert_eq!(activities[0].kind, ActivityKind::Assigned);
    assert_eq!(activities[0].data.assignee, Some(Assignee::User(f.alice)));
}

/// Behaviour: email match ignores case.
pub async fn email_match_ignores_case<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.assign_email("Alice@Example.COM", 1_000).await;
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
}

/// Behaviour: any verified email of the user matches.
pub async fn any_verified_email_of_the_user_matches<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let bob = f.member(&["bob@example.com", "bob@work.example"]).await;
    f.assign_email("bob@work.example", 1_000).await;
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(bob)));
}

/// Behaviour: unverified email does not match.
pub async fn unverified_email_does_not_match<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let carol = f
        .store
        .seed_user(true, vec![UserEmail::unverified("carol@example.com")])
        .await
        .unwrap();
    f.store.seed_team_member(f.team, carol, true).await.unwrap();
    let outcome = f.assign_email("carol@example.com", 1_000).await;
    assert_eq!(f.assignee_of(f.issue).await, None);
    assert_eq!(outcome.halt, Some(HaltReason::AssigneeNotFound));
}

/// Behaviour: inactive user is not assigned.
pub async fn inactive_user_is_not_assigned<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let dave = f
        .store
        .seed_user(false, vec![UserEmail::verified("dave@example.com")])
        .await
        .unwrap();
    f.store.seed_team_member(f.team, dave, true).await.unwrap();
    let outcome = f.assign_email("dave@example.com", 1_000).await;
    assert_eq!(f.assignee_of(f.issue).await, None);
    assert_eq!(outcome.not_found, 1);
}

/// Behaviour: first member wins when several users share the email.
pub async fn first_member_wins_when_several_users_share_the_email<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    // Not a member of the project: skipped even though its id is the lowest.
    let outsider = f
        .store
        .seed_user(true, vec![UserEmail::verified("shared@example.com")])
        .await
        .unwrap();
    let first = f.member(&["shared@example.com"]).await;
    let second = f.member(&["SHARED@example.com"]).await;
    assert!(outsider < first && first < second);
    let outcome = f.assign_email("shared@example.com", 1_000).await;
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(first)));
    assert_eq!(outcome.matched_users, vec![outsider, first, second]);
}

/// Behaviour: user without project access leaves issue untouched.
pub async fn user_without_project_access_leaves_issue_untouched<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let previous = f
        .linked_issue_with(
            f.organization,
            f.project,
            KEY,
            ResolutionStatus::Unresolved,
            Some(Assignee::User(f.alice)),
        )
        .await;
    f.store
        .seed_user(true, vec![UserEmail::verified("erin@example.com")])
        .await
        .unwrap();
    let outcome = f.assign_email("erin@example.com", 1_000).await;
    assert_eq!(f.assignee_of(f.issue).await, None);
    assert_eq!(f.assignee_of(previous).await, Some(Assignee::User(f.alice)));
    assert_eq!(outcome.not_found, 2);
    assert_eq!(outcome.changed, 0);
    assert_eq!(outcome.halt, Some(HaltReason::AssigneeNotFound));
    assert_eq!(
        outcome.halt.map(HaltReason::as_str),
        Some("inbound-assignee-not-found")
    );
    assert_eq!(f.activity_count(previous).await, 0);
}

/// Behaviour: inactive team membership gives no access.
pub async fn inactive_team_membership_gives_no_access<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let frank = f
        .store
        .seed_user(true, vec![UserEmail::verified("frank@example.com")])
        .await
        .unwrap();
    f.store
        .seed_team_member(f.team, frank, false)
        .await
        .unwrap();
    let outcome = f.assign_email("frank@example.com", 1_000).await;
    assert_eq!(f.assignee_of(f.issue).await, None);
    assert_eq!(outcome.halt, Some(HaltReason::AssigneeNotFound));
}

/// Behaviour: unassigns when assignee is null.
pub async fn unassigns_when_assignee_is_null<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.assign_email("alice@example.com", 1_000).await;
    let outcome = f.assign(&unassigned(2_000)).await;
    assert_eq!(outcome.action, AssigneeAction::Unassign);
    assert_eq!(outcome.changed, 1);
    assert_eq!(f.assignee_of(f.issue).await, None);
    let activities = f.store.activities(f.issue).await.unwrap();
    assert_eq!(
        activities.iter().map(|a| a.kind).collect::<Vec<_>>(),
        vec![ActivityKind::Assigned, ActivityKind::Unassigned]
    );
}

/// Behaviour: unassign of unassigned issue writes no activity.
pub async fn unassign_of_unassigned_issue_writes_no_activity<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let outcome = f.assign(&unassigned(1_000)).await;
    assert_eq!((outcome.changed, outcome.unchanged), (0, 1));
    assert_eq!(f.activity_count(f.issue).await, 0);
}

/// Behaviour: unassign clears a team assignee.
pub async fn unassign_clears_a_team_assignee<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let issue = f
        .linked_issue_with(
            f.organization,
            f.project,
            KEY,
            ResolutionStatus::Unresolved,
            Some(Assignee::Team(f.team)),
        )
        .await;
    f.assign(&unassigned(1_000)).await;
    assert_eq!(f.assignee_of(issue).await, None);
    assert_eq!(f.activity_count(issue).await, 1);
}

/// Behaviour: reassigning current assignee writes nothing.
pub async fn reassigning_current_assignee_writes_nothing<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let event = assigned_to_email("alice@example.com", 1_000);
    f.assign(&event).await;
    let again = assigned_to_email("alice@example.com", 2_000);
    let outcome = f.assign(&again).await;
    assert_eq!((outcome.changed, outcome.unchanged), (0, 1));
    assert_eq!(outcome.halt, None);
    assert_eq!(f.activity_count(f.issue).await, 1);
}

/// Behaviour: assigns in every organization that syncs.
pub async fn assigns_in_every_organization_that_syncs<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    // Alice's address is also the address of a member of the second organization.
    let (other, other_project, other_alice) = f.other_organization("alice@example.com").await;
    let other_issue = f.linked_issue(other, other_project, KEY).await;
    let outcome = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(outcome.organizations, 2);
    assert_eq!(outcome.changed, 2);
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_eq!(
        f.assignee_of(other_issue).await,
        Some(Assignee::User(other_alice))
    );
}

/// Behaviour: organizations without inbound assignee are left alone.
pub async fn organizations_without_inbound_assignee_are_left_alone<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (other, other_project, _) = f.other_organization("alice@example.com").await;
    let config = SyncConfig {
        sync_reverse_assignment: false,
        ..SyncConfig::all_on()
    };
    f.store
        .seed_organization_integration(other, f.integration, LinkStatus::Active, config)
        .await
        .unwrap();
    let other_issue = f.linked_issue(other, other_project, KEY).await;
    let outcome = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(outcome.organizations, 1);
    assert_eq!(f.assignee_of(other_issue).await, None);

    f.store
        .seed_organization_integration(
            f.organization,
            f.integration,
            LinkStatus::Disabled,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    let outcome = f.assign(&unassigned(2_000)).await;
    assert_eq!(outcome.halt, Some(HaltReason::SyncDisabled));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
}

/// Behaviour: no linked issue is a halt.
pub async fn no_linked_issue_is_a_halt<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let event = assigned_on(
        "APP-999",
        Some(jira_user_with_email("alice@example.com")),
        Some(1_000),
    );
    let outcome = f.assign(&event).await;
    assert_eq!(outcome.affected_issues, 0);
    assert_eq!(outcome.halt, Some(HaltReason::NoAffectedIssues));
}

/// Behaviour: issue key match is case sensitive.
pub async fn issue_key_match_is_case_sensitive<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let event = assigned_on(
        "app-1",
        Some(jira_user_with_email("alice@example.com")),
        Some(1_000),
    );
    let outcome = f.assign(&event).await;
    assert_eq!(outcome.halt, Some(HaltReason::NoAffectedIssues));
    assert_eq!(f.assignee_of(f.issue).await, None);
}

/// Behaviour: external actor resolves hidden email.
pub async fn external_actor_resolves_hidden_email<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        ExternalActorInput {
            provider: "jira_server".into(),
            external_name: "ALICE.SMITH".into(),
            external_id: None,
            integration_id: f.integration,
            target: ActorTarget::User(f.alice),
        },
    )
    .await
    .unwrap();
    let event = assigned(
        jira_user_without_email("alice.smith", "JIRAUSER10100"),
        1_000,
    );
    let outcome = f.assign(&event).await;
    assert_eq!(outcome.method, Some(MatchMethod::ExternalActor));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));

    // The user key matches too.
    let f2_issue = f.linked_issue(f.organization, f.project, "APP-2").await;
    create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        ExternalActorInput {
            provider: "jira_server".into(),
            external_name: "jirauser10200".into(),
            external_id: None,
            integration_id: f.integration,
            target: ActorTarget::User(f.alice),
        },
    )
    .await
    .unwrap();
    let by_key = assigned_on(
        "APP-2",
        Some(jira_user_without_email("renamed", "JIRAUSER10200")),
        Some(1_000),
    );
    f.assign(&by_key).await;
    assert_eq!(f.assignee_of(f2_issue).await, Some(Assignee::User(f.alice)));
}

/// Behaviour: jira directory learns hidden email.
pub async fn jira_directory_learns_hidden_email<S: World + 'static>(store: S) {
    let directory = StaticJiraDirectory::new().with_user(JiraUser {
        name: Some("asmith".into()),
        key: Some("JIRAUSER10300".into()),
        email_address: Some("alice@example.com".into()),
        ..JiraUser::default()
    });
    let f = Fixture::with_directory(store, directory).await;
    let event = assigned(jira_user_without_email("asmith", "JIRAUSER10300"), 1_000);
    let outcome = f.assign(&event).await;
    assert_eq!(outcome.method, Some(MatchMethod::JiraDirectory));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
}

/// Behaviour: a failing jira directory fails the sync and writes nothing, so the delivery can
/// be applied again once Jira answers.
pub async fn failing_jira_directory_fails_the_sync_and_writes_nothing<S: World + 'static>(
    store: S,
) {
    let directory = StaticJiraDirectory::new().failing(DirectoryError::Unreachable {
        message: "connection refused".into(),
    });
    let f = Fixture::with_directory(store, directory).await;
    let event = assigned(jira_user_without_email("asmith", "JIRAUSER10300"), 1_000);
    let error = f
        .sync
        .sync_assignee(f.integration, &event, None)
        .await
        .expect_err("the look-up failed");
    assert!(
        matches!(
            error,
            SyncError::Directory(DirectoryError::Unreachable { .. })
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(f.assignee_of(f.issue).await, None);
    assert_eq!(f.watermark(SyncKind::Assignee).await, None);
}

/// Behaviour: assignee activity records its sync source.
pub async fn assignee_activity_records_its_sync_source<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.assign_email("alice@example.com", 1_000).await;
    let activities = f.store.activities(f.issue).await.unwrap();
    let data = &activities[0].data;
    assert_eq!(data.sync_source, Some(f.integration));
    assert_eq!(data.integration_id, f.integration);
    assert_eq!(data.provider_key, "jira_server");
    assert_eq!(data.occurred_at, Some(EventTime::from_unix_millis(1_000)));
    // Loop prevention: the change is not sent back to the integration it came from.
    assert!(!data.should_sync_outbound_to(f.integration));
}

/// Behaviour: older event does not override newer assignee.
pub async fn older_event_does_not_override_newer_assignee<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let bob = f.member(&["bob@example.com"]).await;
    f.assign_email("bob@example.com", 2_000).await;
    let outcome = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(outcome.stale_organizations, 1);
    assert_eq!(outcome.halt, Some(HaltReason::StaleEvent));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(bob)));
    assert_eq!(f.activity_count(f.issue).await, 1);
    let older_unassign = f.assign(&unassigned(1_500)).await;
    assert_eq!(older_unassign.halt, Some(HaltReason::StaleEvent));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(bob)));
}

/// Behaviour: equal timestamp is reapplied.
pub async fn equal_timestamp_is_reapplied<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let bob = f.member(&["bob@example.com"]).await;
    f.assign_email("alice@example.com", 1_000).await;
    let outcome = f.assign_email("bob@example.com", 1_000).await;
    assert_eq!(outcome.stale_organizations, 0);
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(bob)));
}

/// Behaviour: user not found still moves the watermark.
pub async fn user_not_found_still_moves_the_watermark<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let outcome = f.assign_email("nobody@example.com", 2_000).await;
    assert_eq!(outcome.halt, Some(HaltReason::AssigneeNotFound));
    let watermark = f.watermark(SyncKind::Assignee).await;
    assert_eq!(watermark, Some(EventTime::from_unix_millis(2_000)));
    let older = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(older.halt, Some(HaltReason::StaleEvent));
    assert_eq!(f.assignee_of(f.issue).await, None);
}

/// Behaviour: missing email still moves the watermark.
pub async fn missing_email_still_moves_the_watermark<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let event = assigned(jira_user_without_email("ghost", "JIRAUSER99999"), 3_000);
    let outcome = f.assign(&event).await;
    assert_eq!(outcome.halt, Some(HaltReason::AssigneeNotFound));
    let watermark = f.watermark(SyncKind::Assignee).await;
    assert_eq!(watermark, Some(EventTime::from_unix_millis(3_000)));
}

/// Behaviour: event without time skips the guard.
pub async fn event_without_time_skips_the_guard<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.assign_email("alice@example.com", 5_000).await;
    let timeless = assigned_on(KEY, None, None);
    let outcome = f.assign(&timeless).await;
    assert_eq!(outcome.changed, 1);
    assert_eq!(f.assignee_of(f.issue).await, None);
    let watermark = f.watermark(SyncKind::Assignee).await;
    assert_eq!(watermark, Some(EventTime::from_unix_millis(5_000)));
}

/// Behaviour: duplicate delivery is applied once.
pub async fn duplicate_delivery_is_applied_once<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let key = DeliveryKey::new("10001", "20001", "jira:issue_updated");
    let first = f
        .sync
        .sync_assignee(
            f.integration,
            &assigned_to_email("alice@example.com", 1_000),
            Some(&key),
        )
        .await
        .unwrap();
    assert_eq!(first.changed, 1);
    // Someone reassigns locally; a replay of the delivery must not undo it.
    f.assign(&unassigned(2_000)).await;
    let replay = f
        .sync
        .sync_assignee(
            f.integration,
            &assigned_to_email("alice@example.com", 2_000),
            Some(&key),
        )
        .await
        .unwrap();
    assert_eq!(replay.halt, Some(HaltReason::DuplicateDelivery));
    assert_eq!(replay.changed, 0);
    assert_eq!(f.assignee_of(f.issue).await, None);
    assert!(
        f.store
            .delivery_seen(f.integration, SyncKind::Assignee, &key)
            .await
            .unwrap()
    );
}

/// Behaviour: assignee and status have separate watermarks.
pub async fn assignee_and_status_have_separate_watermarks<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    f.change_status(&status_changed(IN_PROGRESS, DONE, 5_000))
        .await;
    let outcome = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(outcome.stale_organizations, 0);
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    let assignee_mark = f.watermark(SyncKind::Assignee).await;
    let status_mark = f.watermark(SyncKind::Status).await;
    assert_eq!(assignee_mark, Some(EventTime::from_unix_millis(1_000)));
    assert_eq!(status_mark, Some(EventTime::from_unix_millis(5_000)));
}

/// Behaviour: change set applies assignee then status.
pub async fn change_set_applies_assignee_then_status<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let changes = ChangeSet {
        delivery_key: Some(DeliveryKey::new("10001", "20002", "jira:issue_updated")),
        assignee: Some(assigned_to_email("alice@example.com", 1_000)),
        status: Some(status_changed(IN_PROGRESS, DONE, 1_000)),
        comment: None,
    };
    let outcome = f
        .sync
        .apply_change_set(f.integration, &changes)
        .await
        .unwrap();
    assert_eq!(outcome.assignee.as_ref().map(|o| o.changed), Some(1));
    assert_eq!(outcome.status.as_ref().map(|o| o.changed), Some(1));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);
    let kinds: Vec<_> = f
        .store
        .activities(f.issue)
        .await
        .unwrap()
        .iter()
        .map(|a| a.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![ActivityKind::Assigned, ActivityKind::SetResolved]
    );

    let replay = f
        .sync
        .apply_change_set(f.integration, &changes)
        .await
        .unwrap();
    assert_eq!(
        replay.assignee.and_then(|o| o.halt),
        Some(HaltReason::DuplicateDelivery)
    );
    assert_eq!(
        replay.status.and_then(|o| o.halt),
        Some(HaltReason::DuplicateDelivery)
    );
    assert_eq!(f.activity_count(f.issue).await, 2);
}

/// Behaviour: a change set applied with the integration the caller read (the one that
/// verified its token) applies as one applied by the integration's id, and its replay is a
/// duplicate either way.
pub async fn change_set_applied_with_its_integration_read_by_the_caller<S: World + 'static>(
    store: S,
) {
    let f = Fixture::new(store).await;
    let integration = f
        .store
        .integration(f.integration)
        .await
        .unwrap()
        .expect("the fixture's integration");
    let changes = ChangeSet {
        delivery_key: Some(DeliveryKey::new("10001", "20003", "jira:issue_updated")),
        assignee: Some(assigned_to_email("alice@example.com", 1_000)),
        status: Some(status_changed(IN_PROGRESS, DONE, 1_000)),
        comment: None,
    };
    let outcome = f
        .sync
        .apply_delivery_with(&integration, &changes, None)
        .await
        .unwrap();
    assert_eq!(outcome.assignee.as_ref().map(|o| o.changed), Some(1));
    assert_eq!(outcome.status.as_ref().map(|o| o.changed), Some(1));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
    assert_eq!(f.status_of(f.issue).await, ResolutionStatus::Resolved);

    let replay = f
        .sync
        .apply_delivery(f.integration, &changes, None)
        .await
        .unwrap();
    assert_eq!(
        replay.assignee.and_then(|o| o.halt),
        Some(HaltReason::DuplicateDelivery)
    );
    assert_eq!(f.activity_count(f.issue).await, 2);
}

/// Behaviour: watermark is kept per organization.
pub async fn watermark_is_kept_per_organization<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (other, other_project, other_alice) = f.other_organization("alice@example.com").await;
    // The second organization links the issue only after the first applied a newer event.
    f.assign_email("alice@example.com", 2_000).await;
    let other_issue = f.linked_issue(other, other_project, KEY).await;
    let outcome = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(outcome.stale_organizations, 1);
    assert_eq!(outcome.changed, 1);
    assert_eq!(
        f.assignee_of(other_issue).await,
        Some(Assignee::User(other_alice))
    );
}

/// Behaviour: email match comes before external actors.
pub async fn email_match_comes_before_external_actors<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let bob = f.member(&["bob@example.com"]).await;
    create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        ExternalActorInput {
            provider: "jira_server".into(),
            external_name: "someone".into(),
            external_id: None,
            integration_id: f.integration,
            target: ActorTarget::User(bob),
        },
    )
    .await
    .unwrap();
    // The Jira user is "someone" (mapped to Bob) but carries Alice's e-mail: the e-mail wins.
    let outcome = f.assign_email("alice@example.com", 1_000).await;
    assert_eq!(outcome.method, Some(MatchMethod::Email));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
}

/// Behaviour: external actor of another integration is ignored.
pub async fn external_actor_of_another_integration_is_ignored<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let other = f
        .store
        .seed_integration(
            crate::integration::ExternalId::new("other.example.com:key"),
            "key",
            crate::integration::IntegrationMetadata {
                base_url: "https://other.example.com".into(),
                domain_name: "other.example.com".into(),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        )
        .await
        .unwrap();
    f.store
        .seed_organization_integration(
            f.organization,
            other,
            LinkStatus::Active,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        ExternalActorInput {
            provider: "jira_server".into(),
            external_name: "asmith".into(),
            external_id: None,
            integration_id: other,
            target: ActorTarget::User(f.alice),
        },
    )
    .await
    .unwrap();
    let outcome = f
        .assign(&assigned(
            jira_user_without_email("asmith", "JIRAUSER1"),
            1_000,
        ))
        .await;
    assert_eq!(outcome.halt, Some(HaltReason::AssigneeNotFound));
    assert_eq!(f.assignee_of(f.issue).await, None);
}

/// Behaviour: inactive actor user falls through to the jira directory.
pub async fn inactive_actor_user_falls_through_to_the_jira_directory<S: World + 'static>(store: S) {
    let directory = StaticJiraDirectory::new().with_user(JiraUser {
        name: Some("asmith".into()),
        email_address: Some("alice@example.com".into()),
        ..JiraUser::default()
    });
    let f = Fixture::with_directory(store, directory).await;
    let gone = f
        .store
        .seed_user(false, vec![UserEmail::verified("gone@example.com")])
        .await
        .unwrap();
    f.store.seed_member(f.organization, gone).await.unwrap();
    create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        ExternalActorInput {
            provider: "jira_server".into(),
            external_name: "asmith".into(),
            external_id: None,
            integration_id: f.integration,
            target: ActorTarget::User(gone),
        },
    )
    .await
    .unwrap();
    let outcome = f
        .assign(&assigned(
            jira_user_without_email("asmith", "JIRAUSER1"),
            1_000,
        ))
        .await;
    assert_eq!(outcome.method, Some(MatchMethod::JiraDirectory));
    assert_eq!(f.assignee_of(f.issue).await, Some(Assignee::User(f.alice)));
}

/// Behaviour: unknown integration is an error.
pub async fn unknown_integration_is_an_error<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let missing = crate::ids::IntegrationId::new(u64::MAX);
    let error = f
        .sync
        .sync_assignee(missing, &unassigned(1_000), None)
        .await
        .unwrap_err();
    assert!(matches!(error, SyncError::UnknownIntegration { .. }));
    assert!(!error.is_retryable());
}

/// Behaviour: integration lookup filters by provider.
pub async fn integration_lookup_filters_by_provider<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let external_id = crate::integration::ExternalId::for_jira("jira.example.com", "jirasync");
    let found = f
        .store
        .integration_by_external_id("jira_server", &external_id)
        .await
        .unwrap();
    assert_eq!(found.map(|i| i.id), Some(f.integration));
    let other_provider = f
        .store
        .integration_by_external_id("jira", &external_id)
        .await
        .unwrap();
    assert_eq!(other_provider, None);
}
