//! Projects and issues of an organization, and the links from an issue to Jira issues.

// utoipa's expansion of an `IntoParams` type in `params(...)` names it by its full path.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use jirasync_domain::app_data::{AppId, validate_issues, validate_projects};
use jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
use jirasync_domain::integration::Integration;
use jirasync_domain::rules::issue_links::{link_jira_issue, parse_issue_key};
use jirasync_domain::rules::organization_links::choose_link;
use serde::Deserialize;
use utoipa::IntoParams;

use super::ApiState;
use super::errors::{batch_refusal, link_choice_refusal, link_refusal, path_app_id};
use super::organizations::{Body, organization_id};
use super::wire::{
    ErrorBody, IssueBatch, IssueView, JiraLinkBody, LinkResult, ProjectBatch, ProjectBody,
    UpsertResult,
};
use crate::admin::body::AdminJson;
use crate::error::ApiError;

/// Creates or replaces projects of the organization, with the teams that reach them (replaced
/// as a whole).
#[utoipa::path(
    put, path = "/api/v1/organizations/{org}/projects", tag = "projects",
    params(("org" = String, Path, description = "The organization's application id")),
    request_body = ProjectBatch,
    responses(
        (status = 200, description = "Written: how many created, how many replaced", body = UpsertResult),
        (status = 400, description = "Not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization", body = ErrorBody),
        (status = 409, description = "An item names a team that does not exist", body = ErrorBody),
        (status = 413, description = "More than 1,000 items", body = ErrorBody),
        (status = 422, description = "An item breaks a rule", body = ErrorBody),
    )
)]
pub(super) async fn upsert_projects(
    State(state): State<ApiState>,
    Path(org): Path<String>,
    AdminJson(batch): Body<ProjectBatch>,
) -> Result<Json<UpsertResult>, ApiError> {
    let org = organization_id(org)?;
    let batch: Vec<_> = batch.items.into_iter().map(Into::into).collect();
    validate_projects(&batch).map_err(batch_refusal)?;
    Ok(Json(state.data.upsert_projects(&org, &batch).await?.into()))
}

/// One project, with its teams.
#[utoipa::path(
    get, path = "/api/v1/organizations/{org}/projects/{project}", tag = "projects",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("project" = String, Path, description = "The project's application id"),
    ),
    responses(
        (status = 200, description = "The project", body = ProjectBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or project", body = ErrorBody),
    )
)]
pub(super) async fn read_project(
    State(state): State<ApiState>,
    Path((org, project)): Path<(String, String)>,
) -> Result<Json<ProjectBody>, ApiError> {
    let org = organization_id(org)?;
    let project = path_app_id("project", project)?;
    let found = state
        .data
        .app_project(&org, &project)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("not found: project {:?}", project.as_str())))?;
    Ok(Json(found.into()))
}

/// Deletes a project and its issues (with their Jira links).
#[utoipa::path(
    delete, path = "/api/v1/organizations/{org}/projects/{project}", tag = "projects",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("project" = String, Path, description = "The project's application id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or project", body = ErrorBody),
    )
)]
pub(super) async fn delete_project(
    State(state): State<ApiState>,
    Path((org, project)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let org = organization_id(org)?;
    let project = path_app_id("project", project)?;
    state.data.delete_project(&org, &project).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates or replaces issues of the organization: project, status and assignee.
#[utoipa::path(
    put, path = "/api/v1/organizations/{org}/issues", tag = "issues",
    params(("org" = String, Path, description = "The organization's application id")),
    request_body = IssueBatch,
    responses(
        (status = 200, description = "Written: how many created, how many replaced", body = UpsertResult),
        (status = 400, description = "Not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization", body = ErrorBody),
        (status = 409, description = "An item names a project, user or team that does not exist in the organization", body = ErrorBody),
        (status = 413, description = "More than 1,000 items", body = ErrorBody),
        (status = 422, description = "An item breaks a rule", body = ErrorBody),
    )
)]
pub(super) async fn upsert_issues(
    State(state): State<ApiState>,
    Path(org): Path<String>,
    AdminJson(batch): Body<IssueBatch>,
) -> Result<Json<UpsertResult>, ApiError> {
    let org = organization_id(org)?;
    let batch: Vec<_> = batch.items.into_iter().map(Into::into).collect();
    validate_issues(&batch).map_err(batch_refusal)?;
    Ok(Json(state.data.upsert_issues(&org, &batch).await?.into()))
}

/// The issue the path names: jirasync's ids of its organization and of the issue.
pub(super) async fn issue_ids(
    state: &ApiState,
    org: String,
    issue: String,
) -> Result<(AppId, OrganizationId, LocalIssueId), ApiError> {
    let org = organization_id(org)?;
    let issue = path_app_id("issue", issue)?;
    let (organization_id, _) = state.data.app_organization(&org).await?.ok_or_else(|| {
        ApiError::not_found(format!("not found: organization {:?}", org.as_str()))
    })?;
    let (issue_id, _) = state.data.app_issue(&org, &issue).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "not found: issue {:?} in organization {:?}",
            issue.as_str(),
            org.as_str()
        ))
    })?;
    Ok((org, organization_id, issue_id))
}

/// One issue, with the Jira issues it is linked to.
#[utoipa::path(
    get, path = "/api/v1/organizations/{org}/issues/{issue}", tag = "issues",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("issue" = String, Path, description = "The issue's application id"),
    ),
    responses(
        (status = 200, description = "The issue", body = IssueView),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or issue", body = ErrorBody),
    )
)]
pub(super) async fn read_issue(
    State(state): State<ApiState>,
    Path((org, issue)): Path<(String, String)>,
) -> Result<Json<IssueView>, ApiError> {
    let org = organization_id(org)?;
    let issue = path_app_id("issue", issue)?;
    let (issue_id, data) = state
        .data
        .app_issue(&org, &issue)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("not found: issue {:?}", issue.as_str())))?;
    let jira_links = state
        .store
        .external_issues_of(issue_id)
        .await?
        .into_iter()
        .map(|external| JiraLinkBody {
            integration: external.integration_id.get(),
            key: external.key.to_string(),
        })
        .collect();
    Ok(Json(IssueView {
        issue: data.into(),
        jira_links,
    }))
}

/// Deletes an issue and its Jira links.
#[utoipa::path(
    delete, path = "/api/v1/organizations/{org}/issues/{issue}", tag = "issues",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("issue" = String, Path, description = "The issue's application id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or issue", body = ErrorBody),
    )
)]
pub(super) async fn delete_issue(
    State(state): State<ApiState>,
    Path((org, issue)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let org = organization_id(org)?;
    let issue = path_app_id("issue", issue)?;
    state.data.delete_issue(&org, &issue).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which integration a link names.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct LinkQuery {
    /// jirasync's id of the integration; may be left out when the organization has one.
    integration: Option<u64>,
}

/// The link the path and query name: the organization, its link to the integration, the issue
/// and the key.
async fn chosen_link(
    state: &ApiState,
    (org, issue, key): (String, String, String),
    query: Result<Query<LinkQuery>, QueryRejection>,
) -> Result<(OrganizationId, Integration, LocalIssueId, String), ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
    let (org, organization_id, issue_id) = issue_ids(state, org, issue).await?;
    let wanted = query.integration.map(IntegrationId::new);
    let (integration, _) = choose_link(state.store.as_ref(), organization_id, org.as_str(), wanted)
        .await
        .map_err(link_choice_refusal)?;
    Ok((organization_id, integration, issue_id, key))
}

/// With a Jira check configured, makes sure Jira has the issue `key` before it is linked.
async fn check_jira_has(
    state: &ApiState,
    organization_id: OrganizationId,
    integration: &Integration,
    key: &str,
) -> Result<(), ApiError> {
    let Some(jira) = &state.jira else {
        return Ok(());
    };
    let key = parse_issue_key(key).map_err(link_refusal)?;
    match jira.issue_exists(integration, organization_id, &key).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Jira has no issue {key} (integration {}): check the key; nothing was linked",
                integration.id
            ),
        )),
        Err(error) if error.is_transient() => Err(ApiError::unavailable(format!(
            "cannot check that Jira has the issue {key}: {error}; nothing was linked, try again"
        ))),
        Err(error) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Jira would not show the issue {key}: {error}; nothing was linked"),
        )),
    }
}

/// Links the issue to the Jira issue `key` for the organization through an integration
/// (idempotent: linking twice answers 200 with `created: false`).
#[utoipa::path(
    put, path = "/api/v1/organizations/{org}/issues/{issue}/jira-links/{key}", tag = "issues",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("issue" = String, Path, description = "The issue's application id"),
        ("key" = String, Path, description = "The Jira issue key, e.g. SHOP-12"),
        LinkQuery,
    ),
    responses(
        (status = 201, description = "Linked", body = LinkResult),
        (status = 200, description = "Linked already", body = LinkResult),
        (status = 400, description = "A malformed query", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, issue or link to the integration", body = ErrorBody),
        (status = 409, description = "The organization has no Jira integration", body = ErrorBody),
        (status = 422, description = "Not a Jira key, several integrations and none named, or a key Jira does not have", body = ErrorBody),
        (status = 503, description = "Jira could not be reached to check the key", body = ErrorBody),
    )
)]
pub(super) async fn link_issue(
    State(state): State<ApiState>,
    Path(path): Path<(String, String, String)>,
    query: Result<Query<LinkQuery>, QueryRejection>,
) -> Result<(StatusCode, Json<LinkResult>), ApiError> {
    let (organization_id, integration, issue_id, key) = chosen_link(&state, path, query).await?;
    check_jira_has(&state, organization_id, &integration, &key).await?;
    let integration_id = integration.id;
    let link = link_jira_issue(
        state.store.as_ref(),
        state.host.as_ref(),
        organization_id,
        integration_id,
        &key,
        issue_id,
    )
    .await
    .map_err(link_refusal)?;
    let status = if link.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(LinkResult {
            link: JiraLinkBody {
                integration: integration_id.get(),
                key: link.external_issue.key.to_string(),
            },
            created: link.created,
        }),
    ))
}

/// Removes the link; the Jira issue's ordering watermarks stay, so an older event is still
/// refused if it is linked again.
#[utoipa::path(
    delete, path = "/api/v1/organizations/{org}/issues/{issue}/jira-links/{key}", tag = "issues",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("issue" = String, Path, description = "The issue's application id"),
        ("key" = String, Path, description = "The Jira issue key"),
        LinkQuery,
    ),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 400, description = "A malformed query", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, issue or link", body = ErrorBody),
        (status = 409, description = "The organization has no Jira integration", body = ErrorBody),
        (status = 422, description = "Not a Jira key, or several integrations and none named", body = ErrorBody),
    )
)]
pub(super) async fn unlink_issue(
    State(state): State<ApiState>,
    Path(path): Path<(String, String, String)>,
    query: Result<Query<LinkQuery>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let (organization_id, integration, issue_id, key) = chosen_link(&state, path, query).await?;
    let integration_id = integration.id;
    let key = parse_issue_key(&key).map_err(link_refusal)?;
    state
        .store
        .unlink_issue(organization_id, integration_id, &key, issue_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
