//! Organizations and their members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jirasync_domain::app_data::{AppId, validate_members, validate_organizations};

use super::ApiState;
use super::errors::{batch_refusal, path_app_id};
use super::wire::{
    ErrorBody, MemberBatch, MemberList, OrganizationBatch, OrganizationBody, UpsertResult,
};
use crate::admin::body::AdminJson;
use crate::error::ApiError;

/// A JSON body of the host API (at most [`super::API_BODY_LIMIT`] bytes).
pub(super) type Body<T> = AdminJson<T, { super::API_BODY_LIMIT }>;

/// Creates or replaces organizations, by their application ids.
#[utoipa::path(
    put, path = "/api/v1/organizations", tag = "organizations",
    request_body = OrganizationBatch,
    responses(
        (status = 200, description = "Written: how many created, how many replaced", body = UpsertResult),
        (status = 400, description = "Not JSON of this shape (the path of the member at fault)", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 413, description = "More than 1,000 items, or a body over 4 MiB", body = ErrorBody),
        (status = 422, description = "An item breaks a rule (its path)", body = ErrorBody),
    )
)]
pub(super) async fn upsert_organizations(
    State(state): State<ApiState>,
    AdminJson(batch): Body<OrganizationBatch>,
) -> Result<Json<UpsertResult>, ApiError> {
    let batch: Vec<_> = batch.items.into_iter().map(Into::into).collect();
    validate_organizations(&batch).map_err(batch_refusal)?;
    Ok(Json(state.data.upsert_organizations(&batch).await?.into()))
}

/// The organization the path names, checked.
pub(super) fn organization_id(org: String) -> Result<AppId, ApiError> {
    path_app_id("organization", org)
}

/// One organization.
#[utoipa::path(
    get, path = "/api/v1/organizations/{org}", tag = "organizations",
    params(("org" = String, Path, description = "The organization's application id")),
    responses(
        (status = 200, description = "The organization", body = OrganizationBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization", body = ErrorBody),
    )
)]
pub(super) async fn read_organization(
    State(state): State<ApiState>,
    Path(org): Path<String>,
) -> Result<Json<OrganizationBody>, ApiError> {
    let org = organization_id(org)?;
    let (_, organization) = state.data.app_organization(&org).await?.ok_or_else(|| {
        ApiError::not_found(format!("not found: organization {:?}", org.as_str()))
    })?;
    Ok(Json(organization.into()))
}

/// Deletes an organization and everything of it: teams, projects, issues, memberships, its
/// links to Jira and their credentials. Its users stay.
#[utoipa::path(
    delete, path = "/api/v1/organizations/{org}", tag = "organizations",
    params(("org" = String, Path, description = "The organization's application id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization", body = ErrorBody),
    )
)]
pub(super) async fn delete_organization(
    State(state): State<ApiState>,
    Path(org): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .data
        .delete_organization(&organization_id(org)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's members.
#[utoipa::path(
    get, path = "/api/v1/organizations/{org}/members", tag = "organizations",
    params(("org" = String, Path, description = "The organization's application id")),
    responses(
        (status = 200, description = "The members' ids, in order", body = MemberList),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization", body = ErrorBody),
    )
)]
pub(super) async fn list_members(
    State(state): State<ApiState>,
    Path(org): Path<String>,
) -> Result<Json<MemberList>, ApiError> {
    let members = state.data.app_members(&organization_id(org)?).await?;
    Ok(Json(MemberList {
        users: members.into_iter().map(|user| user.to_string()).collect(),
    }))
}

/// Makes users members of the organization (a member already: nothing changes).
#[utoipa::path(
    put, path = "/api/v1/organizations/{org}/members", tag = "organizations",
    params(("org" = String, Path, description = "The organization's application id")),
    request_body = MemberBatch,
    responses(
        (status = 200, description = "`created`: new memberships; `updated`: members already", body = UpsertResult),
        (status = 400, description = "Not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization", body = ErrorBody),
        (status = 409, description = "An item names a user that does not exist", body = ErrorBody),
        (status = 413, description = "More than 1,000 items", body = ErrorBody),
        (status = 422, description = "An item breaks a rule", body = ErrorBody),
    )
)]
pub(super) async fn add_members(
    State(state): State<ApiState>,
    Path(org): Path<String>,
    AdminJson(batch): Body<MemberBatch>,
) -> Result<Json<UpsertResult>, ApiError> {
    let org = organization_id(org)?;
    let users: Vec<AppId> = batch
        .items
        .into_iter()
        .map(|item| AppId::new(item.user))
        .collect();
    validate_members(&users).map_err(batch_refusal)?;
    Ok(Json(state.data.add_members(&org, &users).await?.into()))
}

/// Removes a user from the organization and its teams; the organization's issues assigned to
/// them become unassigned.
#[utoipa::path(
    delete, path = "/api/v1/organizations/{org}/members/{user}", tag = "organizations",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("user" = String, Path, description = "The user's application id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, or the user is not a member", body = ErrorBody),
    )
)]
pub(super) async fn remove_member(
    State(state): State<ApiState>,
    Path((org, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let org = organization_id(org)?;
    let user = path_app_id("member", user)?;
    state.data.remove_member(&org, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}
