//! External users and teams (reference-behaviour §5.3, §5.4): the routes translate the camelCase
//! bodies for [`jirasync_domain::rules::external_actors`] and map its refusals to statuses; they
//! decide nothing themselves.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jirasync_domain::external_actor::{ActorFilter, ActorTarget, ExternalActor};
use jirasync_domain::ids::{ExternalActorId, OrganizationId, TeamId};
use jirasync_domain::rules::external_actors::{
    ExternalActorError, ExternalActorInput, ExternalActorUpdate, create_external_actor,
    delete_external_actor, update_external_actor,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AdminState;
use super::body::AdminJson;
use super::ids::{DOES_NOT_EXIST, WireId, organization, path_id, present};
use crate::error::ApiError;

/// An external actor on the wire (reference §5.3: ids are strings).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExternalActorBody {
    id: String,
    external_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<String>,
    integration_id: String,
}

impl From<&ExternalActor> for ExternalActorBody {
    fn from(actor: &ExternalActor) -> Self {
        let (user_id, team_id) = match actor.target {
            ActorTarget::User(user) => (Some(user.to_string()), None),
            ActorTarget::Team(team) => (None, Some(team.to_string())),
        };
        Self {
            id: actor.id.to_string(),
            external_name: actor.external_name.clone(),
            external_id: actor.external_id.clone(),
            provider: actor.provider.as_str(),
            user_id,
            team_id,
            integration_id: actor.integration_id.to_string(),
        }
    }
}

/// The body of a create. Unknown members are ignored as the reference does (a `teamId` sent to
/// the team route among them: the team comes from the path).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateBody {
    external_name: String,
    #[serde(default)]
    external_id: Option<String>,
    provider: String,
    integration_id: WireId,
    #[serde(default)]
    user_id: Option<WireId>,
}

/// The body of a partial update; an `id` member is read and ignored by the rule.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateBody {
    #[serde(default)]
    id: Option<WireId>,
    #[serde(default)]
    external_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    external_id: Option<Option<String>>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    integration_id: Option<WireId>,
    #[serde(default)]
    user_id: Option<WireId>,
}

impl UpdateBody {
    fn into_update(self, target: Option<ActorTarget>) -> ExternalActorUpdate {
        ExternalActorUpdate {
            id: self.id.map(WireId::to),
            provider: self.provider,
            external_name: self.external_name,
            external_id: self.external_id,
            integration_id: self.integration_id.map(WireId::to),
            target,
        }
    }
}

/// The answer to a refusal of the rule: `Validation` 400 with the field's message (as
/// `detail`, and under the field's name as the reference's serializer writes it),
/// `FeatureDisabled` 403, `NotFound` 404, `Ambiguous` 409, `NameTaken` 400, store failures by kind.
fn refusal(error: ExternalActorError) -> Response {
    match error {
        ExternalActorError::Validation { field, message } => (
            StatusCode::BAD_REQUEST,
            Json(json!({"detail": format!("{field}: {message}"), field: [message]})),
        )
            .into_response(),
        ExternalActorError::FeatureDisabled => {
            ApiError::forbidden(error.to_string()).into_response()
        }
        ExternalActorError::NotFound => ApiError::not_found(error.to_string()).into_response(),
        ExternalActorError::Ambiguous => ApiError::conflict(error.to_string()).into_response(),
        ExternalActorError::NameTaken => ApiError::bad_request(error.to_string()).into_response(),
        ExternalActorError::Store(error) => ApiError::from(error).into_response(),
        ExternalActorError::Host(error) => ApiError::from(error).into_response(),
        other => {
            tracing::error!(error = %other, "external-actor-error");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: see the service log",
            )
            .into_response()
        }
    }
}

fn actor_answer(status: StatusCode, actor: &ExternalActor) -> Response {
    (status, Json(ExternalActorBody::from(actor))).into_response()
}

/// The organization and the team of a team route, else 404 (a team of another organization
/// too).
async fn organization_team(
    state: &AdminState,
    org: &str,
    team: &str,
) -> Result<(OrganizationId, TeamId), ApiError> {
    let organization = organization(state, org).await?;
    let team_id: TeamId = path_id(team)?;
    let target = ActorTarget::Team(team_id);
    if state.host.in_organization(organization.id, target).await? {
        Ok((organization.id, team_id))
    } else {
        Err(ApiError::not_found(DOES_NOT_EXIST))
    }
}

/// The actor `{id}` of the organization when it is of the kind the route serves, else 404.
async fn scoped_actor(
    state: &AdminState,
    organization_id: OrganizationId,
    id: &str,
    filter: ActorFilter,
) -> Result<ExternalActorId, ApiError> {
    let id: ExternalActorId = path_id(id)?;
    match state.store.external_actor(organization_id, id).await? {
        Some(actor) if filter.admits(actor.target) => Ok(id),
        _ => Err(ApiError::not_found(DOES_NOT_EXIST)),
    }
}

async fn list(
    state: &AdminState,
    organization_id: OrganizationId,
    filter: ActorFilter,
) -> Result<Json<Vec<ExternalActorBody>>, ApiError> {
    let actors = state.store.external_actors(organization_id, filter).await?;
    Ok(Json(actors.iter().map(ExternalActorBody::from).collect()))
}

async fn create(
    state: &AdminState,
    organization_id: OrganizationId,
    body: CreateBody,
    target: ActorTarget,
) -> Response {
    let input = ExternalActorInput {
        provider: body.provider,
        external_name: body.external_name,
        external_id: body.external_id,
        integration_id: body.integration_id.to(),
        target,
    };
    match create_external_actor(
        state.store.as_ref(),
        state.host.as_ref(),
        organization_id,
        input,
    )
    .await
    {
        Ok(created) if created.created => actor_answer(StatusCode::CREATED, &created.actor),
        Ok(existing) => actor_answer(StatusCode::OK, &existing.actor),
        Err(error) => refusal(error),
    }
}

async fn update(
    state: &AdminState,
    organization_id: OrganizationId,
    id: ExternalActorId,
    update: ExternalActorUpdate,
) -> Response {
    match update_external_actor(
        state.store.as_ref(),
        state.host.as_ref(),
        organization_id,
        id,
        update,
    )
    .await
    {
        Ok(actor) => actor_answer(StatusCode::OK, &actor),
        Err(error) => refusal(error),
    }
}

async fn delete(
    state: &AdminState,
    organization_id: OrganizationId,
    id: ExternalActorId,
) -> Response {
    match delete_external_actor(state.store.as_ref(), organization_id, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => refusal(error),
    }
}

/// `GET /api/0/organizations/{org}/external-users/`.
pub(super) async fn list_users(
    State(state): State<AdminState>,
    Path(org): Path<String>,
) -> Result<Json<Vec<ExternalActorBody>>, ApiError> {
    let organization = organization(&state, &org).await?;
    list(&state, organization.id, ActorFilter::Users).await
}

/// `POST /api/0/organizations/{org}/external-users/`: 201 created, 200 when the user already has
/// the name.
pub(super) async fn create_user(
    State(state): State<AdminState>,
    Path(org): Path<String>,
    AdminJson(body): AdminJson<CreateBody>,
) -> Result<Response, ApiError> {
    let organization_id: OrganizationId = path_id(&org)?;
    let user = body
        .user_id
        .ok_or_else(|| ApiError::bad_request("The body is not valid: missing field `userId`."))?;
    let target = ActorTarget::User(user.to());
    Ok(create(&state, organization_id, body, target).await)
}

/// `PUT /api/0/organizations/{org}/external-users/{id}/`.
pub(super) async fn update_user(
    State(state): State<AdminState>,
    Path((org, id)): Path<(String, String)>,
    AdminJson(body): AdminJson<UpdateBody>,
) -> Result<Response, ApiError> {
    let organization_id: OrganizationId = path_id(&org)?;
    let id = scoped_actor(&state, organization_id, &id, ActorFilter::Users).await?;
    let target = body.user_id.map(|user| ActorTarget::User(user.to()));
    Ok(update(&state, organization_id, id, body.into_update(target)).await)
}

/// `DELETE /api/0/organizations/{org}/external-users/{id}/`: 204.
pub(super) async fn delete_user(
    State(state): State<AdminState>,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let organization_id: OrganizationId = path_id(&org)?;
    let id = scoped_actor(&state, organization_id, &id, ActorFilter::Users).await?;
    Ok(delete(&state, organization_id, id).await)
}

/// `GET /api/0/teams/{org}/{team}/external-teams/`.
pub(super) async fn list_teams(
    State(state): State<AdminState>,
    Path((org, team)): Path<(String, String)>,
) -> Result<Json<Vec<ExternalActorBody>>, ApiError> {
    let (organization_id, team_id) = organization_team(&state, &org, &team).await?;
    list(
        &state,
        organization_id,
        ActorFilter::Target(ActorTarget::Team(team_id)),
    )
    .await
}

/// `POST /api/0/teams/{org}/{team}/external-teams/`: the team comes from the path; a team
/// outside the organization is the rule's 400 `This team does not exist.`.
pub(super) async fn create_team(
    State(state): State<AdminState>,
    Path((org, team)): Path<(String, String)>,
    AdminJson(body): AdminJson<CreateBody>,
) -> Result<Response, ApiError> {
    let organization_id: OrganizationId = path_id(&org)?;
    let team_id: TeamId = path_id(&team)?;
    Ok(create(&state, organization_id, body, ActorTarget::Team(team_id)).await)
}

/// `PUT /api/0/teams/{org}/{team}/external-teams/{id}/`: the actor must be this team's.
pub(super) async fn update_team(
    State(state): State<AdminState>,
    Path((org, team, id)): Path<(String, String, String)>,
    AdminJson(body): AdminJson<UpdateBody>,
) -> Result<Response, ApiError> {
    let (organization_id, team_id) = organization_team(&state, &org, &team).await?;
    let filter = ActorFilter::Target(ActorTarget::Team(team_id));
    let id = scoped_actor(&state, organization_id, &id, filter).await?;
    Ok(update(&state, organization_id, id, body.into_update(None)).await)
}

/// `DELETE /api/0/teams/{org}/{team}/external-teams/{id}/`: 204.
pub(super) async fn delete_team(
    State(state): State<AdminState>,
    Path((org, team, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (organization_id, team_id) = organization_team(&state, &org, &team).await?;
    let filter = ActorFilter::Target(ActorTarget::Team(team_id));
    let id = scoped_actor(&state, organization_id, &id, filter).await?;
    Ok(delete(&state, organization_id, id).await)
}
