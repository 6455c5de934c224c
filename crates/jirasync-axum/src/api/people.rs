//! Users (unique among users) and teams (unique within their organization) with their members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jirasync_domain::app_data::{validate_teams, validate_users};

use super::ApiState;
use super::errors::{batch_refusal, path_app_id};
use super::organizations::{Body, organization_id};
use super::wire::{ErrorBody, TeamBatch, TeamBody, UpsertResult, UserBatch, UserBody};
use crate::admin::body::AdminJson;
use crate::error::ApiError;

/// Creates or replaces users (their e-mail addresses as a whole), by their application ids.
#[utoipa::path(
    put, path = "/api/v1/users", tag = "users",
    request_body = UserBatch,
    responses(
        (status = 200, description = "Written: how many created, how many replaced", body = UpsertResult),
        (status = 400, description = "Not JSON of this shape (the path of the member at fault)", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 413, description = "More than 1,000 items, or a body over 4 MiB", body = ErrorBody),
        (status = 422, description = "An item breaks a rule (its path)", body = ErrorBody),
    )
)]
pub(super) async fn upsert_users(
    State(state): State<ApiState>,
    AdminJson(batch): Body<UserBatch>,
) -> Result<Json<UpsertResult>, ApiError> {
    let batch: Vec<_> = batch.items.into_iter().map(Into::into).collect();
    validate_users(&batch).map_err(batch_refusal)?;
    Ok(Json(state.data.upsert_users(&batch).await?.into()))
}

/// One user.
#[utoipa::path(
    get, path = "/api/v1/users/{user}", tag = "users",
    params(("user" = String, Path, description = "The user's application id")),
    responses(
        (status = 200, description = "The user", body = UserBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
pub(super) async fn read_user(
    State(state): State<ApiState>,
    Path(user): Path<String>,
) -> Result<Json<UserBody>, ApiError> {
    let user = path_app_id("user", user)?;
    let found = state
        .data
        .app_user(&user)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("not found: user {:?}", user.as_str())))?;
    Ok(Json(found.into()))
}

/// Deletes a user: their memberships go, their issues become unassigned.
#[utoipa::path(
    delete, path = "/api/v1/users/{user}", tag = "users",
    params(("user" = String, Path, description = "The user's application id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
pub(super) async fn delete_user(
    State(state): State<ApiState>,
    Path(user): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.data.delete_user(&path_app_id("user", user)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates or replaces teams of the organization, with their members (replaced as a whole;
/// each a member of the organization).
#[utoipa::path(
    put, path = "/api/v1/organizations/{org}/teams", tag = "teams",
    params(("org" = String, Path, description = "The organization's application id")),
    request_body = TeamBatch,
    responses(
        (status = 200, description = "Written: how many created, how many replaced", body = UpsertResult),
        (status = 400, description = "Not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization", body = ErrorBody),
        (status = 409, description = "A member does not exist or is not a member of the organization", body = ErrorBody),
        (status = 413, description = "More than 1,000 items", body = ErrorBody),
        (status = 422, description = "An item breaks a rule", body = ErrorBody),
    )
)]
pub(super) async fn upsert_teams(
    State(state): State<ApiState>,
    Path(org): Path<String>,
    AdminJson(batch): Body<TeamBatch>,
) -> Result<Json<UpsertResult>, ApiError> {
    let org = organization_id(org)?;
    let batch: Vec<_> = batch.items.into_iter().map(Into::into).collect();
    validate_teams(&batch).map_err(batch_refusal)?;
    Ok(Json(state.data.upsert_teams(&org, &batch).await?.into()))
}

/// One team, with its members.
#[utoipa::path(
    get, path = "/api/v1/organizations/{org}/teams/{team}", tag = "teams",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("team" = String, Path, description = "The team's application id"),
    ),
    responses(
        (status = 200, description = "The team", body = TeamBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or team", body = ErrorBody),
    )
)]
pub(super) async fn read_team(
    State(state): State<ApiState>,
    Path((org, team)): Path<(String, String)>,
) -> Result<Json<TeamBody>, ApiError> {
    let org = organization_id(org)?;
    let team = path_app_id("team", team)?;
    let found = state
        .data
        .app_team(&org, &team)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("not found: team {:?}", team.as_str())))?;
    Ok(Json(found.into()))
}

/// Deletes a team: its memberships and project access go, its issues become unassigned.
#[utoipa::path(
    delete, path = "/api/v1/organizations/{org}/teams/{team}", tag = "teams",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("team" = String, Path, description = "The team's application id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or team", body = ErrorBody),
    )
)]
pub(super) async fn delete_team(
    State(state): State<ApiState>,
    Path((org, team)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let org = organization_id(org)?;
    let team = path_app_id("team", team)?;
    state.data.delete_team(&org, &team).await?;
    Ok(StatusCode::NO_CONTENT)
}
