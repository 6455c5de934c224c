//! The inbox's `integration_id` and `token` columns, alike on both back-ends: a delivery names
//! the integration whose URL token the receiver verified, or (a row stored by version 1) keeps
//! its token, verified again when processed. The schema checks that exactly one is set.

use jirasync_domain::StoreError;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::inbox::DeliverySource;
use jirasync_webhook::WebhookToken;

use super::values::{domain_id, sql_id};

/// The (integration, token) columns a delivery's source is stored in.
pub(crate) fn source_columns(source: &DeliverySource) -> (Option<i64>, Option<&str>) {
    match source {
        DeliverySource::Integration(integration) => (Some(sql_id(integration.get())), None),
        DeliverySource::LegacyToken(token) => (None, Some(token.expose_secret())),
    }
}

/// The source stored as (integration, token) columns.
pub(crate) fn source_from_columns(
    integration_id: Option<i64>,
    token: Option<String>,
) -> Result<DeliverySource, StoreError> {
    match (integration_id, token) {
        (Some(integration_id), None) => Ok(DeliverySource::Integration(IntegrationId::new(
            domain_id(integration_id)?,
        ))),
        (None, Some(token)) => Ok(DeliverySource::LegacyToken(WebhookToken::new(token))),
        _ => Err(StoreError::other(
            "an inbox delivery names neither one integration nor one token",
        )),
    }
}
