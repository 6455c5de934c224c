//! The operator's two operations: import a state file into a store, export a store to one.

use std::fmt;

use super::error::StateError;
use super::format::StateSnapshot;
use super::store::StateStore;

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
    let snapshot = StateSnapshot::from_json(bytes)?;
    snapshot.validate()?;
    store.replace_state(&snapshot).await?;
    Ok(ImportSummary::of(&snapshot))
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
