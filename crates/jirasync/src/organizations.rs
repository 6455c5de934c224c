//! How the command line names organizations: by the application's id (the host API's `{org}`),
//! or, for an organization that has none (one imported from a state file written before
//! application ids), by jirasync's numeric id.

use jirasync_domain::ids::OrganizationId;
use jirasync_store::AnyStore;

use crate::error::CliError;

/// The organizations of the database, each with the name the command line uses for it.
#[derive(Debug)]
pub(crate) struct Organizations {
    /// jirasync's id and the application's id, if any, in jirasync's id order.
    entries: Vec<(OrganizationId, Option<String>)>,
}

impl Organizations {
    /// Reads every organization and its application id.
    pub(crate) async fn load(store: &dyn AnyStore) -> Result<Self, CliError> {
        let organizations = store
            .organizations()
            .await
            .map_err(CliError::store("list the organizations"))?;
        let mut entries: Vec<(OrganizationId, Option<String>)> = organizations
            .iter()
            .map(|organization| (organization.id, None))
            .collect();
        let app_ids = store
            .app_organizations()
            .await
            .map_err(CliError::store("list the organizations"))?;
        for app_id in app_ids {
            let found = store
                .app_organization(&app_id)
                .await
                .map_err(CliError::store("read an organization"))?;
            if let Some((id, _)) = found
                && let Some(entry) = entries.iter_mut().find(|(known, _)| *known == id)
            {
                entry.1 = Some(app_id.to_string());
            }
        }
        entries.sort_by_key(|(id, _)| id.get());
        Ok(Self { entries })
    }

    /// The organization `reference` names: its application id first, else (when it has none)
    /// jirasync's numeric id.
    pub(crate) fn resolve(&self, reference: &str) -> Result<OrganizationId, CliError> {
        let by_app_id = self
            .entries
            .iter()
            .find(|(_, app_id)| app_id.as_deref() == Some(reference));
        let by_number = || {
            let number: u64 = reference.parse().ok()?;
            self.entries
                .iter()
                .find(|(id, app_id)| app_id.is_none() && id.get() == number)
        };
        by_app_id
            .or_else(by_number)
            .map(|(id, _)| *id)
            .ok_or_else(|| CliError::UnknownOrganization {
                organization: reference.to_owned(),
                known: self.names(),
            })
    }

    /// The name of `id` on the command line: its application id, else its number.
    pub(crate) fn name(&self, id: OrganizationId) -> String {
        self.entries
            .iter()
            .find(|(known, _)| *known == id)
            .and_then(|(_, app_id)| app_id.clone())
            .unwrap_or_else(|| id.get().to_string())
    }

    /// The names of these organizations of the database.
    pub(crate) fn names_of(&self, ids: &[OrganizationId]) -> Vec<String> {
        ids.iter().map(|id| self.name(*id)).collect()
    }

    /// The names of every organization.
    pub(crate) fn names(&self) -> Vec<String> {
        self.entries.iter().map(|(id, _)| self.name(*id)).collect()
    }

    /// The only organization, if the database holds exactly one.
    pub(crate) fn only(&self) -> Option<OrganizationId> {
        match self.entries.as_slice() {
            [(id, _)] => Some(*id),
            _ => None,
        }
    }

    /// Whether the database holds none.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
