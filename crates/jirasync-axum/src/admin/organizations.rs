//! Organizations, their links to integrations, and each link's sync configuration
//! (reference-behaviour §4.1, §4.6: the config keys and their meaning).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jirasync_core::decode_json;
use jirasync_domain::ids::{IntegrationId, OrganizationId};
use jirasync_domain::integration::{Integration, OrganizationIntegration};
use jirasync_domain::organization::Organization;
use jirasync_domain::rules::organization_links::organization_links;
use jirasync_domain::state::{OrganizationIntegrationRecord, SyncConfigRecord};
use serde::Serialize;
use serde_json::{Map, Value};

use super::AdminState;
use super::body::AdminJson;
use super::ids::{DOES_NOT_EXIST, organization, path_id};
use crate::error::ApiError;

/// An organization on the wire.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrganizationBody {
    id: String,
    name: String,
    features: FeaturesBody,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FeaturesBody {
    issue_sync: bool,
    external_actors: bool,
}

impl From<&Organization> for OrganizationBody {
    fn from(organization: &Organization) -> Self {
        Self {
            id: organization.id.to_string(),
            name: organization.name.clone(),
            features: FeaturesBody {
                issue_sync: organization.features.issue_sync,
                external_actors: organization.features.external_actors,
            },
        }
    }
}

/// An organization's link to an integration on the wire (no secret of the integration).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IntegrationLinkBody {
    integration_id: String,
    provider: String,
    name: String,
    external_id: String,
    base_url: String,
    status: &'static str,
    config: SyncConfigRecord,
}

impl IntegrationLinkBody {
    fn new(integration: &Integration, link: &OrganizationIntegration) -> Self {
        let record = OrganizationIntegrationRecord::from(link);
        Self {
            integration_id: integration.id.to_string(),
            provider: integration.provider.clone(),
            name: integration.name.clone(),
            external_id: integration.external_id.to_string(),
            base_url: integration.metadata.base_url.clone(),
            status: record.status.as_str(),
            config: record.config,
        }
    }
}

/// `GET /api/0/organizations/`.
pub(super) async fn list_organizations(
    State(state): State<AdminState>,
) -> Result<Json<Vec<OrganizationBody>>, ApiError> {
    let organizations = state.store.organizations().await?;
    Ok(Json(
        organizations.iter().map(OrganizationBody::from).collect(),
    ))
}

/// `GET /api/0/organizations/{org}/integrations/`: the organization's links, in integration id
/// order.
pub(super) async fn list_integrations(
    State(state): State<AdminState>,
    Path(org): Path<String>,
) -> Result<Json<Vec<IntegrationLinkBody>>, ApiError> {
    let organization = organization(&state, &org).await?;
    let links = organization_links(state.store.as_ref(), organization.id).await?;
    Ok(Json(
        links
            .iter()
            .map(|(integration, link)| IntegrationLinkBody::new(integration, link))
            .collect(),
    ))
}

/// The organization's link to the integration the path names, else 404.
async fn organization_link(
    state: &AdminState,
    org: &str,
    integration: &str,
) -> Result<OrganizationIntegration, ApiError> {
    let organization_id: OrganizationId = path_id(org)?;
    let integration_id: IntegrationId = path_id(integration)?;
    state
        .store
        .organization_links(integration_id)
        .await?
        .into_iter()
        .find(|found| found.organization.id == organization_id)
        .map(|found| found.link)
        .ok_or_else(|| ApiError::not_found(DOES_NOT_EXIST))
}

/// `GET /api/0/organizations/{org}/integrations/{integration_id}/config/`.
pub(super) async fn get_config(
    State(state): State<AdminState>,
    Path((org, integration)): Path<(String, String)>,
) -> Result<Json<SyncConfigRecord>, ApiError> {
    let link = organization_link(&state, &org, &integration).await?;
    Ok(Json(OrganizationIntegrationRecord::from(&link).config))
}

/// `PUT /api/0/organizations/{org}/integrations/{integration_id}/config/`: the keys given
/// replace the stored values, the others keep theirs. An unknown key or a value of the wrong
/// type is refused (400 naming the key) and nothing is written.
pub(super) async fn update_config(
    State(state): State<AdminState>,
    Path((org, integration)): Path<(String, String)>,
    AdminJson(changes): AdminJson<Map<String, Value>>,
) -> Result<Json<SyncConfigRecord>, ApiError> {
    let link = organization_link(&state, &org, &integration).await?;
    let mut record = OrganizationIntegrationRecord::from(&link);
    record.config = merged_config(record.config, changes)?;
    let config = record.to_organization_integration().config;
    let stored = state
        .store
        .update_sync_config(link.organization_id, link.integration_id, config)
        .await?;
    Ok(Json(OrganizationIntegrationRecord::from(&stored).config))
}

/// `current` with the members of `changes` laid over it, decoded by the record's own serde
/// (so the error names the key of a value of the wrong type).
fn merged_config(
    current: SyncConfigRecord,
    changes: Map<String, Value>,
) -> Result<SyncConfigRecord, ApiError> {
    let not_writable = || {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error: the sync configuration could not be written as JSON",
        )
    };
    let Ok(Value::Object(mut merged)) = serde_json::to_value(current) else {
        return Err(not_writable());
    };
    for (key, value) in changes {
        if !merged.contains_key(&key) {
            let known: Vec<&str> = merged.keys().map(String::as_str).collect();
            return Err(ApiError::bad_request(format!(
                "Unknown config key {key:?}: the keys are {}.",
                known.join(", ")
            )));
        }
        merged.insert(key, value);
    }
    let merged = serde_json::to_vec(&Value::Object(merged)).map_err(|_| not_writable())?;
    decode_json(&merged)
        .map_err(|error| ApiError::bad_request(format!("{}: {}.", error.path(), error.message())))
}
