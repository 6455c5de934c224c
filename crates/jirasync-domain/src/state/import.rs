//! The operator's two operations: import a state file into a store, export a store to one.

use std::fmt;

use jirasync_webhook::WebhookSecret;

use super::error::StateError;
use super::format::{CredentialsRecord, StateSnapshot};
use super::store::StateStore;
use super::wire::SecretText;

/// How many records of each collection an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// Organizations.
    pub organizations: usize,
    /// Users.
    pub users: usize,
    /// Organization memberships.
    pub organization_members: usize,
    /// Teams.
    pub teams: usize,
    /// Team memberships.
    pub team_members: usize,
    /// Projects.
    pub projects: usize,
    /// Teams' project access.
    pub team_projects: usize,
    /// Local issues.
    pub local_issues: usize,
    /// Integrations.
    pub integrations: usize,
    /// Identities.
    pub identities: usize,
    /// Organization links to integrations.
    pub organization_integrations: usize,
    /// External issues.
    pub external_issues: usize,
    /// External actors.
    pub external_actors: usize,
    /// Activities.
    pub activities: usize,
}

impl ImportSummary {
    /// The record counts of a snapshot.
    pub fn of(snapshot: &StateSnapshot) -> Self {
        Self {
            organizations: snapshot.organizations.len(),
            users: snapshot.users.len(),
            organization_members: snapshot.organization_members.len(),
            teams: snapshot.teams.len(),
            team_members: snapshot.team_members.len(),
            projects: snapshot.projects.len(),
            team_projects: snapshot.team_projects.len(),
            local_issues: snapshot.local_issues.len(),
            integrations: snapshot.integrations.len(),
            identities: snapshot.identities.len(),
            organization_integrations: snapshot.organization_integrations.len(),
            external_issues: snapshot.external_issues.len(),
            external_actors: snapshot.external_actors.len(),
            activities: snapshot.activities.len(),
        }
    }
}

impl fmt::Display for ImportSummary {
    /// `organizations: 1, users: 3, …` in file order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = [
            ("organizations", self.organizations),
            ("users", self.users),
            ("organization_members", self.organization_members),
            ("teams", self.teams),
            ("team_members", self.team_members),
            ("projects", self.projects),
            ("team_projects", self.team_projects),
            ("local_issues", self.local_issues),
            ("integrations", self.integrations),
            ("identities", self.identities),
            ("organization_integrations", self.organization_integrations),
            ("external_issues", self.external_issues),
            ("external_actors", self.external_actors),
            ("activities", self.activities),
        ];
        for (position, (collection, count)) in counts.into_iter().enumerate() {
            if position > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{collection}: {count}")?;
        }
        Ok(())
    }
}

impl StateSnapshot {
    /// Makes each integration also accept the webhook URL tokens of a Jira wired to the reference
    /// (Sentry): adds the secrets [`WebhookSecret::reference_candidates`] derives from the
    /// private key of each of its OAuth 1.0a identities, after its own and only those it lacks.
    /// Returns how many were added.
    pub fn accept_reference_tokens(&mut self) -> usize {
        let mut added = 0;
        for identity in &self.identities {
            let CredentialsRecord::OAuth1 {
                private_key_pem, ..
            } = &identity.credentials
            else {
                continue;
            };
            let candidates = WebhookSecret::reference_candidates(private_key_pem.expose_secret());
            let integration = self
                .integrations
                .iter_mut()
                .find(|integration| integration.id == identity.integration_id);
            let Some(integration) = integration else {
                continue;
            };
            for candidate in candidates {
                let text = candidate.expose_secret();
                if !integration
                    .webhook_secrets
                    .iter()
                    .any(|stored| stored.expose_secret() == text)
                {
                    integration.webhook_secrets.push(SecretText::new(text));
                    added += 1;
                }
            }
        }
        added
    }

    /// The state file's bytes: pretty JSON (two-space indents) with a final newline.
    ///
    /// # Errors
    ///
    /// [`StateError::Unwritable`] when a value cannot be written (a time outside the years
    /// 0000-9999).
    pub fn to_json(&self) -> Result<Vec<u8>, StateError> {
        let mut bytes =
            serde_json::to_vec_pretty(self).map_err(|error| StateError::Unwritable {
                message: error.to_string(),
            })?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// Imports a state file: reads it, checks it, and replaces the store's whole state with it.
///
/// Nothing is written unless every step succeeds: a malformed or invalid file leaves the store as
/// it was, and the store replaces its state atomically. See [`StateStore`] for what replacing
/// means (ids kept, watermarks from the file, delivery log cleared).
///
/// # Errors
///
/// [`StateError::Malformed`] or [`StateError::UnsupportedVersion`] from
/// [`StateSnapshot::from_json`], [`StateError::InvalidRecord`] from [`StateSnapshot::validate`]
/// (naming the first bad record), [`StateError::Store`] when the store fails.
pub async fn import_state<S: StateStore + ?Sized>(
    store: &S,
    bytes: &[u8],
) -> Result<ImportSummary, StateError> {
    import_snapshot(store, &StateSnapshot::from_json(bytes)?).await
}

/// Imports a state already read (see [`import_state`]): checks it, and replaces the store's
/// whole state with it.
///
/// # Errors
///
/// [`StateError::InvalidRecord`] naming the first bad record, [`StateError::Store`] when the
/// store fails; either way the store is unchanged.
pub async fn import_snapshot<S: StateStore + ?Sized>(
    store: &S,
    snapshot: &StateSnapshot,
) -> Result<ImportSummary, StateError> {
    snapshot.validate()?;
    store.replace_state(snapshot).await?;
    Ok(ImportSummary::of(snapshot))
}

/// Exports the store's whole state as a state file (see [`StateSnapshot::to_json`]). The file
/// holds secrets: store it like one.
///
/// # Errors
///
/// [`StateError::Store`] when the store fails, [`StateError::Unwritable`] when a value cannot be
/// written.
pub async fn export_state_json<S: StateStore + ?Sized>(store: &S) -> Result<Vec<u8>, StateError> {
    store.export_state().await?.to_json()
}
