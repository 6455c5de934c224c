//! Which of an organization's links to Jira integrations a request means: every link of the
//! organization, and the one a request names (or the only one, when it names none).

use crate::ids::{IntegrationId, OrganizationId};
use crate::integration::{Integration, OrganizationIntegration};
use crate::store::{IntegrationStore, StoreError};

/// Why no link could be chosen. An adapter answers `NoIntegration` with 409, `Ambiguous` with
/// 422, `NotLinked` with 404, and maps `Store` by its kind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkChoiceError {
    /// The organization has no link to any integration.
    #[error(
        "organization {organization} has no Jira integration: connect one first (jirasync \
         connect, or the setup pages)"
    )]
    NoIntegration {
        /// The organization as the request named it.
        organization: String,
    },
    /// The organization has several links and the request named none.
    #[error(
        "organization {organization} has several Jira integrations ({}): name one (integration \
         id)",
        ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    Ambiguous {
        /// The organization as the request named it.
        organization: String,
        /// The integrations it is linked to.
        ids: Vec<IntegrationId>,
    },
    /// The named integration is not linked to the organization.
    #[error("organization {organization} has no link to integration {integration}")]
    NotLinked {
        /// The organization as the request named it.
        organization: String,
        /// The integration named.
        integration: IntegrationId,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The organization's links, with their integrations, in integration id order.
///
/// # Errors
///
/// The store's.
pub async fn organization_links<S: IntegrationStore + ?Sized>(
    store: &S,
    organization_id: OrganizationId,
) -> Result<Vec<(Integration, OrganizationIntegration)>, StoreError> {
    let mut links = Vec::new();
    for integration in store.integrations().await? {
        let found = store
            .organization_links(integration.id)
            .await?
            .into_iter()
            .find(|found| found.organization.id == organization_id);
        if let Some(found) = found {
            links.push((integration, found.link));
        }
    }
    Ok(links)
}

/// The organization's link to `integration`, or its only link when `integration` is `None`.
/// `organization` names the organization in the errors, as the request did.
///
/// # Errors
///
/// [`LinkChoiceError`].
pub async fn choose_link<S: IntegrationStore + ?Sized>(
    store: &S,
    organization_id: OrganizationId,
    organization: &str,
    integration: Option<IntegrationId>,
) -> Result<(Integration, OrganizationIntegration), LinkChoiceError> {
    let mut links = organization_links(store, organization_id).await?;
    let name = || format!("{organization:?}");
    match integration {
        Some(wanted) => links
            .into_iter()
            .find(|(found, _)| found.id == wanted)
            .ok_or_else(|| LinkChoiceError::NotLinked {
                organization: name(),
                integration: wanted,
            }),
        None if links.len() > 1 => Err(LinkChoiceError::Ambiguous {
            organization: name(),
            ids: links.iter().map(|(found, _)| found.id).collect(),
        }),
        None => links.pop().ok_or_else(|| LinkChoiceError::NoIntegration {
            organization: name(),
        }),
    }
}
