//! An organization's Jira integrations and each link's sync configuration
//! (reference-behaviour §4.1, §4.6). The rules of a change (which keys, which values) are `jirasync_domain::rules::sync_config`'s.

use axum::Json;
use axum::extract::{Path, State};
use jirasync_domain::ids::{IntegrationId, OrganizationId};
use jirasync_domain::integration::{Integration, LinkStatus, OrganizationIntegration};
use jirasync_domain::rules::organization_links::{choose_link, organization_links};
use jirasync_domain::rules::sync_config::apply_config_changes;
use serde::Serialize;
use serde_json::Value;

use super::ApiState;
use super::errors::{config_refusal, link_choice_refusal};
use super::organizations::{Body, organization_id};
use super::wire::{ErrorBody, IntegrationLinkBody, SyncConfigBody, SyncConfigPatch};
use crate::admin::body::AdminJson;
use crate::error::ApiError;

/// jirasync's id of the organization the path names, else 404.
async fn organization(state: &ApiState, org: String) -> Result<(String, OrganizationId), ApiError> {
    let org = organization_id(org)?;
    let (id, _) = state.data.app_organization(&org).await?.ok_or_else(|| {
        ApiError::not_found(format!("not found: organization {:?}", org.as_str()))
    })?;
    Ok((org.to_string(), id))
}

/// The organization's link to the integration the path names, else 404.
async fn link(
    state: &ApiState,
    org: String,
    integration: &str,
) -> Result<OrganizationIntegration, ApiError> {
    integration_link(state, org, integration)
        .await
        .map(|(_, link)| link)
}

/// The integration the path names and the organization's link to it, else 404.
pub(super) async fn integration_link(
    state: &ApiState,
    org: String,
    integration: &str,
) -> Result<(Integration, OrganizationIntegration), ApiError> {
    let (org, organization_id) = organization(state, org).await?;
    // A segment that is not a number names no integration.
    let integration = integration
        .parse::<u64>()
        .map_err(|_| ApiError::not_found(format!("not found: integration {integration:?}")))?;
    choose_link(
        state.store.as_ref(),
        organization_id,
        &org,
        Some(IntegrationId::new(integration)),
    )
    .await
    .map_err(link_choice_refusal)
}

/// The organization's links to Jira integrations, with their sync configuration.
#[utoipa::path(
    get, path = "/api/v1/organizations/{org}/integrations", tag = "integrations",
    params(("org" = String, Path, description = "The organization's application id")),
    responses(
        (status = 200, description = "The links, in integration id order", body = Vec<IntegrationLinkBody>),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization", body = ErrorBody),
    )
)]
pub(super) async fn list_integrations(
    State(state): State<ApiState>,
    Path(org): Path<String>,
) -> Result<Json<Vec<IntegrationLinkBody>>, ApiError> {
    let (_, organization_id) = organization(&state, org).await?;
    let links = organization_links(state.store.as_ref(), organization_id).await?;
    Ok(Json(
        links
            .iter()
            .map(|(integration, link)| IntegrationLinkBody {
                integration: integration.id.get(),
                name: integration.name.clone(),
                base_url: integration.metadata.base_url.clone(),
                status: match link.status {
                    LinkStatus::Active => "active",
                    LinkStatus::Disabled => "disabled",
                }
                .to_owned(),
                config: SyncConfigBody::from(&link.config),
            })
            .collect(),
    ))
}

/// The sync configuration of the organization's link to the integration.
#[utoipa::path(
    get, path = "/api/v1/organizations/{org}/integrations/{integration}/config", tag = "integrations",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("integration" = u64, Path, description = "jirasync's id of the integration"),
    ),
    responses(
        (status = 200, description = "The configuration", body = SyncConfigBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, or no link to the integration", body = ErrorBody),
    )
)]
pub(super) async fn read_config(
    State(state): State<ApiState>,
    Path((org, integration)): Path<(String, String)>,
) -> Result<Json<SyncConfigBody>, ApiError> {
    let link = link(&state, org, &integration).await?;
    Ok(Json(SyncConfigBody::from(&link.config)))
}

/// Lays `changes` (a body's members, as JSON) over the link's configuration through the
/// domain's rules, and stores the result.
async fn change_config(
    state: &ApiState,
    org: String,
    integration: &str,
    changes: &impl Serialize,
) -> Result<Json<SyncConfigBody>, ApiError> {
    let link = link(state, org, integration).await?;
    let Ok(Value::Object(changes)) = serde_json::to_value(changes) else {
        return Err(ApiError::bad_request("The body must be a JSON object."));
    };
    let config = apply_config_changes(
        link.config,
        changes.iter().map(|(key, value)| (key.as_str(), value)),
    )
    .map_err(config_refusal)?;
    let stored = state
        .store
        .update_sync_config(link.organization_id, link.integration_id, config)
        .await?;
    Ok(Json(SyncConfigBody::from(&stored.config)))
}

/// Replaces the whole configuration (every key given); a refused one stores nothing.
#[utoipa::path(
    put, path = "/api/v1/organizations/{org}/integrations/{integration}/config", tag = "integrations",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("integration" = u64, Path, description = "jirasync's id of the integration"),
    ),
    request_body = SyncConfigBody,
    responses(
        (status = 200, description = "The configuration as stored", body = SyncConfigBody),
        (status = 400, description = "Not JSON of this shape (a missing or unknown key, a wrong type)", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, or no link to the integration", body = ErrorBody),
        (status = 422, description = "An unknown key, or a value of the wrong kind", body = ErrorBody),
    )
)]
pub(super) async fn replace_config(
    State(state): State<ApiState>,
    Path((org, integration)): Path<(String, String)>,
    AdminJson(body): Body<SyncConfigBody>,
) -> Result<Json<SyncConfigBody>, ApiError> {
    change_config(&state, org, &integration, &body).await
}

/// Changes the keys given; the others keep their values.
#[utoipa::path(
    patch, path = "/api/v1/organizations/{org}/integrations/{integration}/config", tag = "integrations",
    params(
        ("org" = String, Path, description = "The organization's application id"),
        ("integration" = u64, Path, description = "jirasync's id of the integration"),
    ),
    request_body = SyncConfigPatch,
    responses(
        (status = 200, description = "The configuration as stored", body = SyncConfigBody),
        (status = 400, description = "Not JSON of this shape (an unknown key, a wrong type)", body = ErrorBody),
        (status = 401, description = "No or a wrong admin token", body = ErrorBody),
        (status = 404, description = "No such organization, or no link to the integration", body = ErrorBody),
        (status = 422, description = "An unknown key, or a value of the wrong kind", body = ErrorBody),
    )
)]
pub(super) async fn patch_config(
    State(state): State<ApiState>,
    Path((org, integration)): Path<(String, String)>,
    AdminJson(body): Body<SyncConfigPatch>,
) -> Result<Json<SyncConfigBody>, ApiError> {
    change_config(&state, org, &integration, &body).await
}
