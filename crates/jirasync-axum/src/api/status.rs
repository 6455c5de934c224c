//! Outbound status sync in the host API (`docs/outbound.md#status`): the application resolves or
//! unresolves an issue (`POST …/issues/{issue}/status`), and each organization keeps, per Jira
//! project, which Jira status that reaches (`…/integrations/{integration}/status-mappings`),
//! checked against the project's workflow statuses in Jira before it is stored.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::outbound::StatusMapping;
use jirasync_domain::rules::outbound::set_app_issue_status;
use jirasync_domain::rules::status_mappings::{StatusMappingError, check_status_mapping};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiState;
use super::config::integration_link;
use super::errors::path_app_id;
use super::organizations::{Body, organization_id};
use super::outbound::ChangeResult;
use super::wire::{ErrorBody, StatusBody};
use crate::admin::body::AdminJson;
use crate::error::ApiError;

/// The new status of an issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusChangeBody {
    /// `resolved` or `unresolved`.
    status: StatusBody,
}

/// Resolves or unresolves an issue, and sends the change to every linked Jira issue whose
/// organization syncs statuses outbound (`sync_status_forward`): each Jira issue is moved to the
/// status its project's mapping names, through the transition that reaches it.
#[utoipa::path(
    post, path = "/api/v1/organizations/{org}/issues/{issue}/status", tag = "outbound",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("issue" = String, Path, description = "The issue's application id"),
    ),
    request_body = StatusChangeBody,
    responses(
        (status = 200, description = "Set (or already so): whether it changed, how many Jira issues it is sent to", body = ChangeResult),
        (status = 400, description = "Not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization or issue", body = ErrorBody),
        (status = 409, description = "The issue changed meanwhile", body = ErrorBody),
        (status = 422, description = "An id breaks a rule", body = ErrorBody),
    )
)]
pub(super) async fn set_issue_status(
    State(state): State<ApiState>,
    Path((org, issue)): Path<(String, String)>,
    AdminJson(body): Body<StatusChangeBody>,
) -> Result<Json<ChangeResult>, ApiError> {
    let org = organization_id(org)?;
    let issue = path_app_id("issue", issue)?;
    let status = match body.status {
        StatusBody::Resolved => ResolutionStatus::Resolved,
        StatusBody::Unresolved => ResolutionStatus::Unresolved,
    };
    let outcome = set_app_issue_status(
        state.data.as_ref(),
        state.store.as_ref(),
        &org,
        &issue,
        status,
        state.now(),
    )
    .await?;
    state.woken_after(outcome.outbound);
    Ok(Json(ChangeResult::from(outcome)))
}

/// Which Jira status a project's issues reach when the application resolves or unresolves the
/// issues linked to them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatusMappingBody {
    /// The Jira project's key.
    project_key: String,
    /// The Jira project's id (what the mapping is kept by: a renamed project keeps it).
    project_id: String,
    /// The status reached on resolve.
    on_resolve: StatusRef,
    /// The status reached on unresolve.
    on_unresolve: StatusRef,
}

/// A Jira status: its id, and its name when jirasync just read it from Jira.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatusRef {
    /// The status id (`5`).
    id: String,
    /// The status name (`Resolved`); left out when listing (only the id is kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

impl StatusMappingBody {
    fn new(mapping: &StatusMapping, names: Option<(&str, &str)>) -> Self {
        Self {
            project_key: mapping.project_key.clone(),
            project_id: mapping.project_id.clone(),
            on_resolve: StatusRef {
                id: mapping.on_resolve.clone(),
                name: names.map(|(resolve, _)| resolve.to_owned()),
            },
            on_unresolve: StatusRef {
                id: mapping.on_unresolve.clone(),
                name: names.map(|(_, unresolve)| unresolve.to_owned()),
            },
        }
    }
}

/// The statuses a project's mapping names: each a Jira status id, or a status name (ignoring
/// case) of the project's workflows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusMappingChange {
    /// The status to reach on resolve: its id (`5`) or name (`Resolved`). Required.
    #[serde(default)]
    on_resolve: Option<String>,
    /// The status to reach on unresolve: its id (`4`) or name (`Reopened`). Required.
    #[serde(default)]
    on_unresolve: Option<String>,
}

/// The organization's status mappings for the integration, by project key.
#[utoipa::path(
    get, path = "/api/v1/organizations/{org}/integrations/{integration}/status-mappings", tag = "integrations",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("integration" = u64, Path, description = "jirasync's id of the integration"),
    ),
    responses(
        (status = 200, description = "The mappings, by project key", body = Vec<StatusMappingBody>),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, or no link to the integration", body = ErrorBody),
    )
)]
pub(super) async fn list_status_mappings(
    State(state): State<ApiState>,
    Path((org, integration)): Path<(String, String)>,
) -> Result<Json<Vec<StatusMappingBody>>, ApiError> {
    let (integration, link) = integration_link(&state, org, &integration).await?;
    let mappings = state
        .store
        .status_mappings(link.organization_id, integration.id)
        .await?;
    Ok(Json(
        mappings
            .iter()
            .map(|mapping| StatusMappingBody::new(mapping, None))
            .collect(),
    ))
}

/// Sets which Jira status a project's issues reach on resolve and on unresolve, after checking
/// with Jira (the organization's credentials) that the project exists and its workflows have
/// both statuses. Replaces the project's mapping.
#[utoipa::path(
    put, path = "/api/v1/organizations/{org}/integrations/{integration}/status-mappings/{project}", tag = "integrations",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("integration" = u64, Path, description = "jirasync's id of the integration"),
        ("project" = String, Path, description = "The Jira project's key (`SHOP`) or id"),
    ),
    request_body = StatusMappingChange,
    responses(
        (status = 200, description = "Stored, with the statuses' names as Jira gave them", body = StatusMappingBody),
        (status = 400, description = "Not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, or no link to the integration", body = ErrorBody),
        (status = 422, description = "A status missing, not a project key, a project or status Jira does not have, or Jira refusing the organization's user", body = ErrorBody),
        (status = 503, description = "Jira could not be reached (nothing stored)", body = ErrorBody),
    )
)]
pub(super) async fn put_status_mapping(
    State(state): State<ApiState>,
    Path((org, integration, project)): Path<(String, String, String)>,
    AdminJson(body): Body<StatusMappingChange>,
) -> Result<Json<StatusMappingBody>, ApiError> {
    let (integration, link) = integration_link(&state, org, &integration).await?;
    let Some(jira) = &state.jira else {
        return Err(ApiError::unavailable(
            "status mappings are checked against Jira, and this API has no Jira connection \
             (ApiState::with_jira_check); nothing was stored",
        ));
    };
    let checked = check_status_mapping(
        jira.as_ref(),
        &integration,
        link.organization_id,
        &project,
        body.on_resolve.as_deref(),
        body.on_unresolve.as_deref(),
    )
    .await
    .map_err(|error| mapping_refusal(&error))?;
    state.store.put_status_mapping(&checked.mapping).await?;
    Ok(Json(StatusMappingBody::new(
        &checked.mapping,
        Some((&checked.on_resolve_name, &checked.on_unresolve_name)),
    )))
}

/// 503 when Jira could not be reached (try again), 422 for every other refusal.
fn mapping_refusal(error: &StatusMappingError) -> ApiError {
    let status = match error {
        StatusMappingError::JiraUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, error.to_string())
}

/// Deletes a project's mapping (by key or id): resolving its issues then fails with "no status
/// mapping" until one is set again.
#[utoipa::path(
    delete, path = "/api/v1/organizations/{org}/integrations/{integration}/status-mappings/{project}", tag = "integrations",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("integration" = u64, Path, description = "jirasync's id of the integration"),
        ("project" = String, Path, description = "The Jira project's key or id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, link or mapping", body = ErrorBody),
    )
)]
pub(super) async fn delete_status_mapping(
    State(state): State<ApiState>,
    Path((org, integration, project)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (integration, link) = integration_link(&state, org, &integration).await?;
    let removed = state
        .store
        .remove_status_mapping(link.organization_id, integration.id, &project)
        .await?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "not found: status mapping for project {project:?} (integration {})",
            integration.id
        )))
    }
}
