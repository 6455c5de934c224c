//! Creating, updating and deleting external actors, with the reference's validation and messages
//! (reference §5.3, §5.4; `jira_server` added to the accepted providers).

use crate::external_actor::{ActorTarget, ExternalActor, ExternalProvider, NewExternalActor};
use crate::host::{Host, HostError};
use crate::ids::{ExternalActorId, IntegrationId, OrganizationId};
use crate::store::{StoreError, SyncStore};

/// The longest external name of a strict provider (github, gitlab).
pub const EXTERNAL_NAME_MAX_CHARS: usize = 255;

/// The longest external id.
pub const EXTERNAL_ID_MAX_CHARS: usize = 64;

/// Why an external-actor request was refused. Each variant maps to one HTTP status in an adapter:
/// `Validation` and `NameTaken` 400, `FeatureDisabled` 403, `NotFound` 404, `Ambiguous` 409.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExternalActorError {
    /// A field is invalid; `field` is its wire name (`externalName`, `externalId`, `provider`,
    /// `integrationId`, `userId`, `teamId`).
    #[error("{field}: {message}")]
    Validation {
        /// The field's wire name.
        field: &'static str,
        /// The reference's message.
        message: String,
    },
    /// The organization lacks the external-actors (codeowners) feature.
    #[error("You do not have permission to perform this action.")]
    FeatureDisabled,
    /// The organization or the actor does not exist (or the actor is in another organization).
    #[error("The requested resource does not exist.")]
    NotFound,
    /// Two actors of the same user or team have the name, differing only by case.
    #[error("Multiple external associations match the requested actor.")]
    Ambiguous,
    /// An update would give two actors the same provider, name and user or team.
    #[error("There already exists an external association with this external_name and provider.")]
    NameTaken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The application failed to say whether the user or team is the organization's.
    #[error(transparent)]
    Host(#[from] HostError),
}

impl ExternalActorError {
    fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }
}

/// The fields of an external actor to create (the API's camelCase body, typed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalActorInput {
    /// The provider's wire name, e.g. `github`, `jira_server`.
    pub provider: String,
    /// The external name.
    pub external_name: String,
    /// The id in the other system; `Some("")` is refused.
    pub external_id: Option<String>,
    /// The integration the name comes from; it must be installed in the organization.
    pub integration_id: IntegrationId,
    /// The user (a member of the organization) or team (of the organization).
    pub target: ActorTarget,
}

/// A partial update: only the given fields change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExternalActorUpdate {
    /// An `id` sent in the body. It is ignored: the actor's id never changes.
    pub id: Option<ExternalActorId>,
    /// A new provider.
    pub provider: Option<String>,
    /// A new external name.
    pub external_name: Option<String>,
    /// A new external id (`Some(None)` clears it).
    pub external_id: Option<Option<String>>,
    /// A new integration.
    pub integration_id: Option<IntegrationId>,
    /// A new user or team.
    pub target: Option<ActorTarget>,
}

/// The actor a create returned, and whether it was created (201) or existed (200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedExternalActor {
    /// The actor.
    pub actor: ExternalActor,
    /// True when this call created it.
    pub created: bool,
}

/// Parses and checks a provider name against the accepted providers.
pub fn validate_provider(provider: &str) -> Result<ExternalProvider, ExternalActorError> {
    ExternalProvider::from_name(provider)
        .filter(|provider| provider.is_accepted())
        .ok_or_else(|| {
            ExternalActorError::validation(
                "provider",
                format!("\"{provider}\" is not a valid choice."),
            )
        })
}

/// Checks an external name: required; for github and gitlab 1–255 characters matching
/// `^@[\w/.-]+$`.
pub fn validate_external_name(
    provider: ExternalProvider,
    external_name: &str,
) -> Result<(), ExternalActorError> {
    if external_name.trim().is_empty() {
        return Err(ExternalActorError::validation(
            "externalName",
            "This field may not be blank.",
        ));
    }
    if !provider.has_strict_names() {
        return Ok(());
    }
    let length = external_name.chars().count();
    if length > EXTERNAL_NAME_MAX_CHARS {
        return Err(ExternalActorError::validation(
            "externalName",
            format!(
                "External Name has invalid length: {length}. Length must be between 1 and {EXTERNAL_NAME_MAX_CHARS}"
            ),
        ));
    }
    let handle = external_name.strip_prefix('@').unwrap_or_default();
    let well_formed = !handle.is_empty()
        && handle
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '/' | '.' | '-'));
    if !well_formed {
        return Err(ExternalActorError::validation(
            "externalName",
            "External Name must start with '@' and can't contain special characters or spaces.",
        ));
    }
    Ok(())
}

/// Checks an external id: when given, not blank and at most 64 characters.
pub fn validate_external_id(external_id: Option<&str>) -> Result<(), ExternalActorError> {
    let Some(external_id) = external_id else {
        return Ok(());
    };
    if external_id.trim().is_empty() {
        return Err(ExternalActorError::validation(
            "externalId",
            "This field may not be blank.",
        ));
    }
    let length = external_id.chars().count();
    if length > EXTERNAL_ID_MAX_CHARS {
        return Err(ExternalActorError::validation(
            "externalId",
            format!(
                "external_id has invalid length: {length}. Length must be between 1 and {EXTERNAL_ID_MAX_CHARS}"
            ),
        ));
    }
    Ok(())
}

/// The checks that need the stores: the integration is installed in the organization (jirasync's
/// store), the user is a member or the team belongs to it (the application).
async fn validate_in_organization<S: SyncStore + ?Sized, H: Host + ?Sized>(
    store: &S,
    host: &H,
    organization_id: OrganizationId,
    integration_id: IntegrationId,
    target: ActorTarget,
) -> Result<(), ExternalActorError> {
    let installed = store
        .organization_links(integration_id)
        .await?
        .iter()
        .any(|link| link.organization.id == organization_id);
    if !installed {
        return Err(ExternalActorError::validation(
            "integrationId",
            "Integration does not exist for this organization",
        ));
    }
    if !host.in_organization(organization_id, target).await? {
        let (field, message) = match target {
            ActorTarget::User(_) => ("userId", "This member does not exist."),
            ActorTarget::Team(_) => ("teamId", "This team does not exist."),
        };
        return Err(ExternalActorError::validation(field, message));
    }
    Ok(())
}

async fn check_feature<S: SyncStore + ?Sized>(
    store: &S,
    organization_id: OrganizationId,
) -> Result<(), ExternalActorError> {
    match store.organization(organization_id).await? {
        None => Err(ExternalActorError::NotFound),
        Some(organization) if !organization.features.external_actors => {
            Err(ExternalActorError::FeatureDisabled)
        }
        Some(_) => Ok(()),
    }
}

/// Creates an external actor, or returns the one the same user or team already has under this
/// name ignoring case (reference §5.4). Two such rows → [`ExternalActorError::Ambiguous`].
pub async fn create_external_actor<S: SyncStore + ?Sized, H: Host + ?Sized>(
    store: &S,
    host: &H,
    organization_id: OrganizationId,
    input: ExternalActorInput,
) -> Result<CreatedExternalActor, ExternalActorError> {
    check_feature(store, organization_id).await?;
    let provider = validate_provider(&input.provider)?;
    validate_external_name(provider, &input.external_name)?;
    validate_external_id(input.external_id.as_deref())?;
    validate_in_organization(
        store,
        host,
        organization_id,
        input.integration_id,
        input.target,
    )
    .await?;

    if let Some(existing) = existing_actor(
        store,
        organization_id,
        provider,
        input.target,
        &input.external_name,
    )
    .await?
    {
        return Ok(CreatedExternalActor {
            actor: existing,
            created: false,
        });
    }
    let new = NewExternalActor {
        organization_id,
        integration_id: input.integration_id,
        provider,
        external_name: input.external_name,
        external_id: input.external_id,
        target: input.target,
    };
    let external_name = new.external_name.clone();
    match store.insert_external_actor(new).await {
        Ok(actor) => Ok(CreatedExternalActor {
            actor,
            created: true,
        }),
        // Someone created it between our read and our write: return theirs.
        Err(StoreError::Conflict { .. }) => existing_actor(
            store,
            organization_id,
            provider,
            input.target,
            &external_name,
        )
        .await?
        .map(|actor| CreatedExternalActor {
            actor,
            created: false,
        })
        .ok_or(ExternalActorError::NameTaken),
        Err(error) => Err(error.into()),
    }
}

async fn existing_actor<S: SyncStore + ?Sized>(
    store: &S,
    organization_id: OrganizationId,
    provider: ExternalProvider,
    target: ActorTarget,
    external_name: &str,
) -> Result<Option<ExternalActor>, ExternalActorError> {
    let mut matches = store
        .external_actors_named(organization_id, provider, target, external_name)
        .await?;
    if matches.len() > 1 {
        return Err(ExternalActorError::Ambiguous);
    }
    Ok(matches.pop())
}

/// Updates the given fields of an actor of the organization; an `id` in the update is ignored.
pub async fn update_external_actor<S: SyncStore + ?Sized, H: Host + ?Sized>(
    store: &S,
    host: &H,
    organization_id: OrganizationId,
    id: ExternalActorId,
    update: ExternalActorUpdate,
) -> Result<ExternalActor, ExternalActorError> {
    let mut actor = store
        .external_actor(organization_id, id)
        .await?
        .ok_or(ExternalActorError::NotFound)?;
    check_feature(store, organization_id).await?;
    if let Some(provider) = &update.provider {
        actor.provider = validate_provider(provider)?;
    }
    if let Some(external_name) = update.external_name {
        actor.external_name = external_name;
    }
    if let Some(external_id) = update.external_id {
        actor.external_id = external_id;
    }
    if let Some(integration_id) = update.integration_id {
        actor.integration_id = integration_id;
    }
    if let Some(target) = update.target {
        actor.target = target;
    }
    validate_external_name(actor.provider, &actor.external_name)?;
    validate_external_id(actor.external_id.as_deref())?;
    validate_in_organization(
        store,
        host,
        organization_id,
        actor.integration_id,
        actor.target,
    )
    .await?;
    match store.update_external_actor(actor).await {
        Ok(actor) => Ok(actor),
        Err(StoreError::Conflict { .. }) => Err(ExternalActorError::NameTaken),
        Err(StoreError::NotFound { .. }) => Err(ExternalActorError::NotFound),
        Err(error) => Err(error.into()),
    }
}

/// Deletes an actor of the organization (no feature check, as in the reference).
pub async fn delete_external_actor<S: SyncStore + ?Sized>(
    store: &S,
    organization_id: OrganizationId,
    id: ExternalActorId,
) -> Result<(), ExternalActorError> {
    match store.delete_external_actor(organization_id, id).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound { .. }) => Err(ExternalActorError::NotFound),
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_handles_accept_word_characters_slash_dot_and_dash() {
        for name in ["@octocat", "@group/sub.team-1_x", "@josé"] {
            assert!(
                validate_external_name(ExternalProvider::GitHub, name).is_ok(),
                "{name}"
            );
        }
        for name in ["octocat", "@", "@a b", "@a+b", "@@a"] {
            assert!(
                validate_external_name(ExternalProvider::GitLab, name).is_err(),
                "{name}"
            );
        }
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let name = format!("@{}", "é".repeat(254));
        assert!(validate_external_name(ExternalProvider::GitHub, &name).is_ok());
        assert!(validate_external_id(Some(&"é".repeat(64))).is_ok());
        assert!(validate_external_id(Some(&"é".repeat(65))).is_err());
    }

    #[test]
    fn blank_names_are_refused_for_every_provider() {
        assert!(validate_external_name(ExternalProvider::Slack, "  ").is_err());
        assert!(validate_external_name(ExternalProvider::JiraServer, "").is_err());
    }

    #[test]
    fn accepted_providers_include_jira_server_but_not_email() {
        assert_eq!(
            validate_provider("jira_server").unwrap(),
            ExternalProvider::JiraServer
        );
        assert!(validate_provider("email").is_err());
        assert!(validate_provider("GitHub").is_err());
    }
}
