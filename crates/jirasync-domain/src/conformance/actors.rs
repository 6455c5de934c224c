//! External-actor rules (reference §5.3, §5.4).

use super::fixture::Fixture;
use crate::external_actor::{ActorTarget, ExternalProvider};
use crate::ids::{ExternalActorId, IntegrationId};
use crate::integration::{ExternalId, IntegrationMetadata, LinkStatus, SyncConfig};
use crate::organization::OrganizationFeatures;
use crate::rules::external_actors::{
    CreatedExternalActor, ExternalActorError, ExternalActorInput, ExternalActorUpdate,
    create_external_actor, delete_external_actor, update_external_actor,
};

use super::World;

fn input(
    f_integration: IntegrationId,
    provider: &str,
    name: &str,
    target: ActorTarget,
) -> ExternalActorInput {
    ExternalActorInput {
        provider: provider.into(),
        external_name: name.into(),
        external_id: None,
        integration_id: f_integration,
        target,
    }
}

/// Creates an actor of the fixture's organization and integration.
async fn create<S: World + 'static>(
    f: &Fixture<S>,
    provider: &str,
    name: &str,
    target: ActorTarget,
) -> Result<CreatedExternalActor, ExternalActorError> {
    create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        input(f.integration, provider, name, target),
    )
    .await
}

fn assert_validation(
    result: Result<impl std::fmt::Debug, ExternalActorError>,
    field: &str,
    message: &str,
) {
    match result {
        Err(ExternalActorError::Validation {
            field: f,
            message: m,
        }) => {
            assert_eq!((f, m.as_str()), (field, message));
        }
        other => panic!("expected a validation error on {field}, got {other:?}"),
    }
}

/// Behaviour: creates external actor.
pub async fn creates_external_actor<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let created = create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        ExternalActorInput {
            external_id: Some("12345".into()),
            ..input(
                f.integration,
                "github",
                "@alice",
                ActorTarget::User(f.alice),
            )
        },
    )
    .await
    .unwrap();
    assert!(created.created);
    assert_eq!(created.actor.provider, ExternalProvider::GitHub);
    assert_eq!(created.actor.external_name, "@alice");
    assert_eq!(created.actor.external_id.as_deref(), Some("12345"));
    let stored = f
        .store
        .external_actor(f.organization, created.actor.id)
        .await
        .unwrap();
    assert_eq!(stored, Some(created.actor));
}

/// Behaviour: creating same actor twice returns existing.
pub async fn creating_same_actor_twice_returns_existing<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let first = create(&f, "github", "@alice", ActorTarget::User(f.alice))
        .await
        .unwrap();
    let second = create(&f, "github", "@ALICE", ActorTarget::User(f.alice))
        .await
        .unwrap();
    assert!(!second.created);
    assert_eq!(second.actor, first.actor);
}

/// Behaviour: same name for another user creates a new actor.
pub async fn same_name_for_another_user_creates_a_new_actor<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let bob = f.member(&["bob@example.com"]).await;
    let alice = create(&f, "github", "@shared", ActorTarget::User(f.alice))
        .await
        .unwrap();
    let bobs = create(&f, "github", "@shared", ActorTarget::User(bob))
        .await
        .unwrap();
    assert!(bobs.created);
    assert_ne!(alice.actor.id, bobs.actor.id);
}

/// Behaviour: case variants of one actor are ambiguous.
pub async fn case_variants_of_one_actor_are_ambiguous<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let target = ActorTarget::User(f.alice);
    let lower = create(&f, "github", "@alice", target).await.unwrap();
    let other = create(&f, "github", "@other", target).await.unwrap();
    // Renaming bypasses the create-time match, leaving two rows that differ only by case.
    update_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        other.actor.id,
        ExternalActorUpdate {
            external_name: Some("@Alice".into()),
            ..ExternalActorUpdate::default()
        },
    )
    .await
    .unwrap();
    assert_ne!(lower.actor.id, other.actor.id);
    let error = create(&f, "github", "@ALICE", target).await.unwrap_err();
    assert!(matches!(error, ExternalActorError::Ambiguous));
    assert_eq!(
        error.to_string(),
        "Multiple external associations match the requested actor."
    );
}

/// Behaviour: rejects unknown provider.
pub async fn rejects_unknown_provider<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    for provider in ["bitbucket", "email", "perforce", ""] {
        let result = create(&f, provider, "someone", ActorTarget::User(f.alice)).await;
        assert_validation(
            result,
            "provider",
            &format!("\"{provider}\" is not a valid choice."),
        );
    }
}

/// Behaviour: accepts jira server provider.
pub async fn accepts_jira_server_provider<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    // Not a strict provider: no handle format.
    let created = create(&f, "jira_server", "alice smith", ActorTarget::User(f.alice))
        .await
        .unwrap();
    assert_eq!(created.actor.provider, ExternalProvider::JiraServer);
}

/// Behaviour: strict provider names must be handles.
pub async fn strict_provider_names_must_be_handles<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    for provider in ["github", "gitlab"] {
        for name in ["alice", "@", "@with space", "@semi;colon"] {
            let result = create(&f, provider, name, ActorTarget::User(f.alice)).await;
            assert_validation(
                result,
                "externalName",
                "External Name must start with '@' and can't contain special characters or spaces.",
            );
        }
    }
    create(
        &f,
        "gitlab",
        "@group/sub-team.v2_x",
        ActorTarget::Team(f.team),
    )
    .await
    .unwrap();
    // Other providers take any name.
    create(&f, "slack", "#web channel", ActorTarget::Team(f.team))
        .await
        .unwrap();
}

/// Behaviour: strict provider names are at most 255 characters.
pub async fn strict_provider_names_are_at_most_255_characters<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let long = format!("@{}", "a".repeat(255));
    let result = create(&f, "github", &long, ActorTarget::User(f.alice)).await;
    assert_validation(
        result,
        "externalName",
        "External Name has invalid length: 256. Length must be between 1 and 255",
    );
    let longest = format!("@{}", "a".repeat(254));
    create(&f, "github", &longest, ActorTarget::User(f.alice))
        .await
        .unwrap();
}

/// Behaviour: blank external id is rejected.
pub async fn blank_external_id_is_rejected<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let result = create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        ExternalActorInput {
            external_id: Some(String::new()),
            ..input(
                f.integration,
                "github",
                "@alice",
                ActorTarget::User(f.alice),
            )
        },
    )
    .await;
    assert_validation(result, "externalId", "This field may not be blank.");
}

/// Behaviour: external id longer than 64 characters is rejected.
pub async fn external_id_longer_than_64_characters_is_rejected<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let result = create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        ExternalActorInput {
            external_id: Some("9".repeat(65)),
            ..input(
                f.integration,
                "github",
                "@alice",
                ActorTarget::User(f.alice),
            )
        },
    )
    .await;
    assert_validation(
        result,
        "externalId",
        "external_id has invalid length: 65. Length must be between 1 and 64",
    );
}

/// Behaviour: integration must belong to the organization.
pub async fn integration_must_belong_to_the_organization<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let elsewhere = f
        .store
        .seed_integration(
            ExternalId::new("other.example.com:key"),
            "key",
            IntegrationMetadata {
                base_url: "https://other.example.com".into(),
                domain_name: "other.example.com".into(),
                verify_ssl: true,
                webhook_secrets: Vec::new(),
            },
        )
        .await
        .unwrap();
    let result = create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        input(elsewhere, "github", "@alice", ActorTarget::User(f.alice)),
    )
    .await;
    assert_validation(
        result,
        "integrationId",
        "Integration does not exist for this organization",
    );
}

/// Behaviour: user must be a member.
pub async fn user_must_be_a_member<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let stranger = f.store.seed_user(true, Vec::new()).await.unwrap();
    let result = create(&f, "github", "@stranger", ActorTarget::User(stranger)).await;
    assert_validation(result, "userId", "This member does not exist.");
}

/// Behaviour: team must be in the organization.
pub async fn team_must_be_in_the_organization<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let other = f
        .store
        .seed_organization("other", OrganizationFeatures::all())
        .await
        .unwrap();
    let foreign_team = f.store.seed_team(other, "foreign").await.unwrap();
    let result = create(&f, "github", "@foreign", ActorTarget::Team(foreign_team)).await;
    assert_validation(result, "teamId", "This team does not exist.");
}

/// Behaviour: external actors need the feature.
pub async fn external_actors_need_the_feature<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let plain = f
        .store
        .seed_organization(
            "plain",
            OrganizationFeatures {
                issue_sync: true,
                external_actors: false,
            },
        )
        .await
        .unwrap();
    f.store
        .seed_organization_integration(
            plain,
            f.integration,
            LinkStatus::Active,
            SyncConfig::all_on(),
        )
        .await
        .unwrap();
    let result = create_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        plain,
        input(
            f.integration,
            "github",
            "@alice",
            ActorTarget::User(f.alice),
        ),
    )
    .await;
    assert!(matches!(result, Err(ExternalActorError::FeatureDisabled)));
}

/// Behaviour: update clash is reported as name taken.
pub async fn update_clash_is_reported_as_name_taken<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let target = ActorTarget::User(f.alice);
    create(&f, "github", "@taken", target).await.unwrap();
    let other = create(&f, "github", "@free", target).await.unwrap();
    let error = update_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        other.actor.id,
        ExternalActorUpdate {
            external_name: Some("@taken".into()),
            ..ExternalActorUpdate::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ExternalActorError::NameTaken));
    assert_eq!(
        error.to_string(),
        "There already exists an external association with this external_name and provider."
    );
}

/// Behaviour: update ignores id in body.
pub async fn update_ignores_id_in_body<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let created = create(&f, "github", "@alice", ActorTarget::User(f.alice))
        .await
        .unwrap();
    let updated = update_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        f.organization,
        created.actor.id,
        ExternalActorUpdate {
            id: Some(ExternalActorId::new(999_999)),
            external_name: Some("@alice-renamed".into()),
            ..ExternalActorUpdate::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(updated.id, created.actor.id);
    assert_eq!(updated.external_name, "@alice-renamed");
    assert_eq!(
        f.store
            .external_actor(f.organization, ExternalActorId::new(999_999))
            .await
            .unwrap(),
        None
    );
}

/// Behaviour: actor of another organization is not found.
pub async fn actor_of_another_organization_is_not_found<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let (other, _, _) = f.other_organization("someone@globex.example").await;
    let created = create(&f, "github", "@alice", ActorTarget::User(f.alice))
        .await
        .unwrap();
    let update = update_external_actor(
        f.store.as_ref(),
        f.store.as_ref(),
        other,
        created.actor.id,
        ExternalActorUpdate::default(),
    )
    .await;
    assert!(matches!(update, Err(ExternalActorError::NotFound)));
    let delete = delete_external_actor(f.store.as_ref(), other, created.actor.id).await;
    assert!(matches!(delete, Err(ExternalActorError::NotFound)));
}

/// Behaviour: deletes external actor.
pub async fn deletes_external_actor<S: World + 'static>(store: S) {
    let f = Fixture::new(store).await;
    let created = create(&f, "github", "@alice", ActorTarget::User(f.alice))
        .await
        .unwrap();
    delete_external_actor(f.store.as_ref(), f.organization, created.actor.id)
        .await
        .unwrap();
    assert_eq!(
        f.store
            .external_actor(f.organization, created.actor.id)
            .await
            .unwrap(),
        None
    );
    let again = delete_external_actor(f.store.as_ref(), f.organization, created.actor.id).await;
    assert!(matches!(again, Err(ExternalActorError::NotFound)));
}
