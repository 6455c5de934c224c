//! The rules a state file must follow before a store may take it, checked record by record in
//! file order so the error names the first bad record.
//!
//! Every collection only refers to collections before it in the file, so one pass that remembers
//! what it has seen checks every reference.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use super::error::StateError;
use super::format::{
    ActivityRecord, ExternalActorRecord, ExternalIssueRecord, FORMAT_VERSION, IdentityRecord,
    IntegrationRecord, LocalIssueRecord, OrganizationIntegrationRecord, OrganizationMemberRecord,
    OrganizationRecord, ProjectRecord, StateSnapshot, TeamMemberRecord, TeamProjectRecord,
    TeamRecord, UserOrTeam, UserRecord,
};
use crate::app_data::{AppId, validate_app_id};
use crate::external_actor::ExternalProvider;
use crate::integration::EXTERNAL_ID_MAX_CHARS;
use crate::rules::external_actors::{
    ExternalActorError, validate_external_id, validate_external_name,
};

/// The largest id a store keeps: SQL stores hold ids in signed 64-bit columns.
pub const MAX_ID: u64 = i64::MAX.unsigned_abs();

impl StateSnapshot {
    /// Checks every record, in file order, and names the first one that breaks a rule:
    ///
    /// - ids are unique within their collection and at most [`MAX_ID`];
    /// - every reference (organization, user, team, project, integration, identity, local issue)
    ///   names a record of the file;
    /// - records agree on organizations: a team member is a member of the team's organization, a
    ///   team reaches only projects of its organization, a local issue is in its project's
    ///   organization and assigned only to teams of it, an identity used as a link's default
    ///   belongs to that organization and integration, an external issue links only local issues
    ///   of its organization, an external actor stands for a member or a team of its organization;
    /// - keys are unique: one membership per (organization, user) and (team, user), one access per
    ///   (team, project), one integration per (provider, external id), one identity and one link
    ///   per (organization, integration), one external issue per (organization, integration, key),
    ///   one external actor per (organization, provider, exact external name, user or team);
    /// - values are usable: e-mail addresses, providers, external ids (at most 64 characters),
    ///   issue keys and external names are not empty, and external actors pass the same checks
    ///   as the external-actor API.
    /// - application ids (`app_id`) pass the host API's checks
    ///   ([`validate_app_id`](crate::app_data::validate_app_id)) and are unique among
    ///   organizations, among users, and among the teams, the projects and the local issues of
    ///   one organization; an issue with one is in a project with one.
    ///
    /// # Errors
    ///
    /// [`StateError::UnsupportedVersion`] for another `format_version`; otherwise
    /// [`StateError::InvalidRecord`], e.g. `users[3] (id 7): e-mail address is empty`.
    pub fn validate(&self) -> Result<(), StateError> {
        if self.format_version != FORMAT_VERSION {
            return Err(StateError::UnsupportedVersion {
                found: self.format_version,
            });
        }
        let mut seen = Seen::default();
        for_each(&self.organizations, "organizations", |at, record| {
            seen.organization(&at.with_id(record.id), record)
        })?;
        for_each(&self.users, "users", |at, record| {
            seen.user(&at.with_id(record.id), record)
        })?;
        for_each(
            &self.organization_members,
            "organization_members",
            |at, record| seen.organization_member(at, record),
        )?;
        for_each(&self.teams, "teams", |at, record| {
            seen.team(&at.with_id(record.id), record)
        })?;
        for_each(&self.team_members, "team_members", |at, record| {
            seen.team_member(at, record)
        })?;
        for_each(&self.projects, "projects", |at, record| {
            seen.project(&at.with_id(record.id), record)
        })?;
        for_each(&self.team_projects, "team_projects", |at, record| {
            seen.team_project(at, record)
        })?;
        for_each(&self.local_issues, "local_issues", |at, record| {
            seen.local_issue(&at.with_id(record.id), record)
        })?;
        for_each(&self.integrations, "integrations", |at, record| {
            seen.integration(&at.with_id(record.id), record)
        })?;
        for_each(&self.identities, "identities", |at, record| {
            seen.identity(&at.with_id(record.id), record)
        })?;
        for_each(
            &self.organization_integrations,
            "organization_integrations",
            |at, record| seen.organization_integration(at, record),
        )?;
        for_each(&self.external_issues, "external_issues", |at, record| {
            seen.external_issue(&at.with_id(record.id), record)
        })?;
        for_each(&self.external_actors, "external_actors", |at, record| {
            seen.external_actor(&at.with_id(record.id), record)
        })?;
        for_each(&self.activities, "activities", |at, record| {
            seen.activity(&at.with_id(record.id), record)
        })
    }
}

/// Runs `check` on every record of a collection, in order.
fn for_each<T>(
    records: &[T],
    collection: &'static str,
    mut check: impl FnMut(&At, &T) -> Result<(), StateError>,
) -> Result<(), StateError> {
    records.iter().enumerate().try_for_each(|(index, record)| {
        check(
            &At {
                collection,
                index,
                id: None,
            },
            record,
        )
    })
}

/// Where a record is in the file, for error messages.
#[derive(Debug, Clone, Copy)]
struct At {
    collection: &'static str,
    index: usize,
    id: Option<u64>,
}

impl At {
    fn with_id(self, id: u64) -> Self {
        Self {
            id: Some(id),
            ..self
        }
    }

    fn invalid(&self, message: impl Into<String>) -> StateError {
        let Self {
            collection,
            index,
            id,
        } = self;
        let record = match id {
            Some(id) => format!("{collection}[{index}] (id {id})"),
            None => format!("{collection}[{index}]"),
        };
        StateError::InvalidRecord {
            record,
            message: message.into(),
        }
    }
}

/// The records of one collection seen so far, by id, with what later records need to know.
#[derive(Debug)]
struct IdTable<T> {
    rows: HashMap<u64, (usize, T)>,
}

impl<T> Default for IdTable<T> {
    fn default() -> Self {
        Self {
            rows: HashMap::new(),
        }
    }
}

impl<T> IdTable<T> {
    /// Records the id of the record `at`; refuses an id out of range or used before.
    fn claim(&mut self, at: &At, id: u64, value: T) -> Result<(), StateError> {
        if id > MAX_ID {
            return Err(at.invalid(format!(
                "id {id} is larger than {MAX_ID}, the largest id a store keeps"
            )));
        }
        if let Some((first, _)) = self.rows.get(&id) {
            return Err(at.invalid(format!(
                "id {id} is already used by {}[{first}]",
                at.collection
            )));
        }
        self.rows.insert(id, (at.index, value));
        Ok(())
    }

    /// What was recorded for `id`, or an error saying that the `kind` is not in the file.
    fn require(&self, at: &At, kind: &str, id: u64) -> Result<&T, StateError> {
        self.rows
            .get(&id)
            .map(|(_, value)| value)
            .ok_or_else(|| at.invalid(format!("{kind} {id} is not in the file")))
    }
}

/// Records a key that must be unique; `describe` says what the earlier record already holds.
fn claim_key<K: Eq + Hash>(
    keys: &mut HashMap<K, usize>,
    at: &At,
    key: K,
    describe: impl FnOnce(usize) -> String,
) -> Result<(), StateError> {
    if let Some(first) = keys.get(&key) {
        return Err(at.invalid(describe(*first)));
    }
    keys.insert(key, at.index);
    Ok(())
}

/// An organization a record belongs to.
type OrganizationOf = u64;

/// An identity's owner: (organization, integration).
type IdentityOwner = (u64, u64);

/// An application id within an organization: (organization, app id).
type ScopedAppId = (u64, String);

/// Checks a record's application id with the host API's rules (under the file's field name,
/// `app_id`) and claims it among `claimed` with the key `scope` makes of it; `describe` names
/// the earlier record holding it. A record without one claims nothing.
fn claim_app_id<K: Eq + Hash>(
    claimed: &mut HashMap<K, usize>,
    at: &At,
    app_id: Option<&str>,
    scope: impl FnOnce(String) -> K,
    describe: impl FnOnce(&str, usize) -> String,
) -> Result<(), StateError> {
    let Some(app_id) = app_id else {
        return Ok(());
    };
    validate_app_id("app_id", &AppId::new(app_id))
        .map_err(|error| at.invalid(error.to_string()))?;
    claim_key(claimed, at, scope(app_id.to_owned()), |first| {
        describe(app_id, first)
    })
}

#[derive(Debug, Default)]
struct Seen {
    organizations: IdTable<()>,
    organization_app_ids: HashMap<String, usize>,
    users: IdTable<()>,
    user_app_ids: HashMap<String, usize>,
    members: HashMap<(u64, u64), usize>,
    teams: IdTable<OrganizationOf>,
    team_app_ids: HashMap<ScopedAppId, usize>,
    team_members: HashMap<(u64, u64), usize>,
    projects: IdTable<OrganizationOf>,
    project_app_ids: HashMap<ScopedAppId, usize>,
    projects_with_app_id: HashSet<u64>,
    team_projects: HashMap<(u64, u64), usize>,
    local_issues: IdTable<OrganizationOf>,
    local_issue_app_ids: HashMap<ScopedAppId, usize>,
    integrations: IdTable<()>,
    integration_keys: HashMap<(String, String), usize>,
    identities: IdTable<IdentityOwner>,
    identity_owners: HashMap<IdentityOwner, usize>,
    links: HashMap<(u64, u64), usize>,
    external_issues: IdTable<()>,
    external_issue_keys: HashMap<(u64, u64, String), usize>,
    external_actors: IdTable<()>,
    external_actor_keys: HashMap<(u64, ExternalProvider, String, UserOrTeam), usize>,
    activities: IdTable<()>,
}

impl Seen {
    fn organization(&mut self, at: &At, record: &OrganizationRecord) -> Result<(), StateError> {
        self.organizations.claim(at, record.id, ())?;
        claim_app_id(
            &mut self.organization_app_ids,
            at,
            record.app_id.as_deref(),
            |app_id| app_id,
            |app_id, first| format!("app_id {app_id:?} is already used by organizations[{first}]"),
        )
    }

    fn user(&mut self, at: &At, record: &UserRecord) -> Result<(), StateError> {
        self.users.claim(at, record.id, ())?;
        claim_app_id(
            &mut self.user_app_ids,
            at,
            record.app_id.as_deref(),
            |app_id| app_id,
            |app_id, first| format!("app_id {app_id:?} is already used by users[{first}]"),
        )?;
        if record
            .emails
            .iter()
            .any(|email| email.address.trim().is_empty())
        {
            return Err(at.invalid("e-mail address is empty"));
        }
        // A user holds an address once (an SQL store keys the addresses by user and address).
        for (position, email) in record.emails.iter().enumerate() {
            let earlier = record.emails.iter().take(position);
            if earlier
                .into_iter()
                .any(|other| other.address == email.address)
            {
                return Err(at.invalid(format!(
                    "e-mail address {:?} is listed twice",
                    email.address
                )));
            }
        }
        Ok(())
    }

    fn organization_member(
        &mut self,
        at: &At,
        record: &OrganizationMemberRecord,
    ) -> Result<(), StateError> {
        let (organization, user) = (record.organization_id, record.user_id);
        self.organizations
            .require(at, "organization", organization)?;
        self.users.require(at, "user", user)?;
        claim_key(&mut self.members, at, (organization, user), |first| {
            format!(
                "user {user} is already a member of organization {organization} (organization_members[{first}])"
            )
        })
    }

    fn team(&mut self, at: &At, record: &TeamRecord) -> Result<(), StateError> {
        self.teams.claim(at, record.id, record.organization_id)?;
        let organization = record.organization_id;
        self.organizations
            .require(at, "organization", organization)?;
        claim_app_id(
            &mut self.team_app_ids,
            at,
            record.app_id.as_deref(),
            |app_id| (organization, app_id),
            |app_id, first| {
                format!(
                    "app_id {app_id:?} is already used by teams[{first}] of organization {organization}"
                )
            },
        )
    }

    fn team_member(&mut self, at: &At, record: &TeamMemberRecord) -> Result<(), StateError> {
        let (team, user) = (record.team_id, record.user_id);
        let organization = *self.teams.require(at, "team", team)?;
        self.users.require(at, "user", user)?;
        if !self.members.contains_key(&(organization, user)) {
            return Err(at.invalid(format!(
                "user {user} is not a member of organization {organization}, the team's organization: add it to organization_members"
            )));
        }
        claim_key(&mut self.team_members, at, (team, user), |first| {
            format!("user {user} is already in team {team} (team_members[{first}])")
        })
    }

    fn project(&mut self, at: &At, record: &ProjectRecord) -> Result<(), StateError> {
        self.projects.claim(at, record.id, record.organization_id)?;
        let organization = record.organization_id;
        self.organizations
            .require(at, "organization", organization)?;
        claim_app_id(
            &mut self.project_app_ids,
            at,
            record.app_id.as_deref(),
            |app_id| (organization, app_id),
            |app_id, first| {
                format!(
                    "app_id {app_id:?} is already used by projects[{first}] of organization {organization}"
                )
            },
        )?;
        if record.app_id.is_some() {
            self.projects_with_app_id.insert(record.id);
        }
        Ok(())
    }

    fn team_project(&mut self, at: &At, record: &TeamProjectRecord) -> Result<(), StateError> {
        let (team, project) = (record.team_id, record.project_id);
        let team_organization = *self.teams.require(at, "team", team)?;
        let project_organization = *self.projects.require(at, "project", project)?;
        if team_organization != project_organization {
            return Err(at.invalid(format!(
                "team {team} is in organization {team_organization} but project {project} is in organization {project_organization}: a team reaches only projects of its own organization"
            )));
        }
        claim_key(&mut self.team_projects, at, (team, project), |first| {
            format!("team {team} already reaches project {project} (team_projects[{first}])")
        })
    }

    fn local_issue(&mut self, at: &At, record: &LocalIssueRecord) -> Result<(), StateError> {
        let organization = record.organization_id;
        self.local_issues.claim(at, record.id, organization)?;
        self.organizations
            .require(at, "organization", organization)?;
        let project = record.project_id;
        let project_organization = *self.projects.require(at, "project", project)?;
        if project_organization != organization {
            return Err(at.invalid(format!(
                "the issue is in organization {organization} but its project {project} is in organization {project_organization}"
            )));
        }
        claim_app_id(
            &mut self.local_issue_app_ids,
            at,
            record.app_id.as_deref(),
            |app_id| (organization, app_id),
            |app_id, first| {
                format!(
                    "app_id {app_id:?} is already used by local_issues[{first}] of organization {organization}"
                )
            },
        )?;
        // The host API names an issue's project by the project's application id.
        if record.app_id.is_some() && !self.projects_with_app_id.contains(&project) {
            return Err(at.invalid(format!(
                "the issue has an app_id but its project {project} has none: give the project an app_id too"
            )));
        }
        match record.assignee {
            None => Ok(()),
            Some(UserOrTeam::User(user)) => self.users.require(at, "assignee user", user).map(drop),
            Some(UserOrTeam::Team(team)) => {
                let team_organization = *self.teams.require(at, "assignee team", team)?;
                if team_organization != organization {
                    return Err(at.invalid(format!(
                        "assignee team {team} is in organization {team_organization}, not in the issue's organization {organization}"
                    )));
                }
                Ok(())
            }
        }
    }

    fn integration(&mut self, at: &At, record: &IntegrationRecord) -> Result<(), StateError> {
        self.integrations.claim(at, record.id, ())?;
        if record.provider.trim().is_empty() {
            return Err(at.invalid("provider is empty"));
        }
        let external_id = &record.external_id;
        if external_id.trim().is_empty() {
            return Err(at.invalid("external id is empty"));
        }
        let length = external_id.chars().count();
        if length > EXTERNAL_ID_MAX_CHARS {
            return Err(at.invalid(format!(
                "external id is {length} characters long; at most {EXTERNAL_ID_MAX_CHARS} are allowed"
            )));
        }
        let key = (record.provider.clone(), external_id.clone());
        claim_key(&mut self.integration_keys, at, key, |first| {
            format!(
                "provider {} and external id {external_id:?} are already used by integrations[{first}]",
                record.provider
            )
        })
    }

    fn identity(&mut self, at: &At, record: &IdentityRecord) -> Result<(), StateError> {
        let owner = (record.organization_id, record.integration_id);
        self.identities.claim(at, record.id, owner)?;
        let (organization, integration) = owner;
        self.organizations
            .require(at, "organization", organization)?;
        self.integrations.require(at, "integration", integration)?;
        if let Some(user) = record.installed_by {
            self.users.require(at, "user", user)?;
        }
        claim_key(&mut self.identity_owners, at, owner, |first| {
            format!(
                "organization {organization} already has an identity for integration {integration} (identities[{first}])"
            )
        })
    }

    fn organization_integration(
        &mut self,
        at: &At,
        record: &OrganizationIntegrationRecord,
    ) -> Result<(), StateError> {
        let (organization, integration) = (record.organization_id, record.integration_id);
        self.organizations
            .require(at, "organization", organization)?;
        self.integrations.require(at, "integration", integration)?;
        claim_key(&mut self.links, at, (organization, integration), |first| {
            format!(
                "organization {organization} is already linked to integration {integration} (organization_integrations[{first}])"
            )
        })?;
        let Some(identity) = record.default_identity_id else {
            return Ok(());
        };
        let (owner_organization, owner_integration) =
            *self.identities.require(at, "identity", identity)?;
        if (owner_organization, owner_integration) != (organization, integration) {
            return Err(at.invalid(format!(
                "default identity {identity} is for organization {owner_organization} and integration {owner_integration}, not for this link's organization {organization} and integration {integration}"
            )));
        }
        Ok(())
    }

    fn external_issue(&mut self, at: &At, record: &ExternalIssueRecord) -> Result<(), StateError> {
        self.external_issues.claim(at, record.id, ())?;
        let (organization, integration) = (record.organization_id, record.integration_id);
        if record.key.trim().is_empty() {
            return Err(at.invalid("issue key is empty"));
        }
        self.organizations
            .require(at, "organization", organization)?;
        self.integrations.require(at, "integration", integration)?;
        let key = &record.key;
        claim_key(
            &mut self.external_issue_keys,
            at,
            (organization, integration, key.clone()),
            |first| {
                format!(
                    "organization {organization} already links {key} through integration {integration} (external_issues[{first}])"
                )
            },
        )?;
        let mut listed = HashSet::new();
        for &local_issue in &record.local_issues {
            let issue_organization = *self.local_issues.require(at, "local issue", local_issue)?;
            if issue_organization != organization {
                return Err(at.invalid(format!(
                    "local issue {local_issue} is in organization {issue_organization}, not in organization {organization} that links {key}"
                )));
            }
            if !listed.insert(local_issue) {
                return Err(at.invalid(format!("local issue {local_issue} is listed twice")));
            }
        }
        Ok(())
    }

    fn external_actor(&mut self, at: &At, record: &ExternalActorRecord) -> Result<(), StateError> {
        self.external_actors.claim(at, record.id, ())?;
        let (organization, integration) = (record.organization_id, record.integration_id);
        self.organizations
            .require(at, "organization", organization)?;
        self.integrations.require(at, "integration", integration)?;
        let provider = ExternalProvider::from_name(&record.provider).ok_or_else(|| {
            let known: Vec<&str> = ExternalProvider::ALL
                .iter()
                .map(|provider| provider.as_str())
                .collect();
            at.invalid(format!(
                "unknown provider {:?}; the providers are {}",
                record.provider,
                known.join(", ")
            ))
        })?;
        validate_external_name(provider, &record.external_name)
            .map_err(|error| at.invalid(field_message("external_name", error)))?;
        validate_external_id(record.external_id.as_deref())
            .map_err(|error| at.invalid(field_message("external_id", error)))?;
        match record.target {
            UserOrTeam::User(user) => {
                self.users.require(at, "user", user)?;
                if !self.members.contains_key(&(organization, user)) {
                    return Err(at.invalid(format!(
                        "user {user} is not a member of organization {organization}"
                    )));
                }
            }
            UserOrTeam::Team(team) => {
                let team_organization = *self.teams.require(at, "team", team)?;
                if team_organization != organization {
                    return Err(at.invalid(format!(
                        "team {team} is in organization {team_organization}, not in organization {organization}"
                    )));
                }
            }
        }
        let name = &record.external_name;
        let key = (organization, provider, name.clone(), record.target);
        claim_key(&mut self.external_actor_keys, at, key, |first| {
            format!(
                "external_actors[{first}] already maps the {provider} name {name:?} to the same user or team in organization {organization}"
            )
        })
    }

    fn activity(&mut self, at: &At, record: &ActivityRecord) -> Result<(), StateError> {
        self.activities.claim(at, record.id, ())?;
        self.local_issues
            .require(at, "local issue", record.local_issue_id)?;
        self.integrations
            .require(at, "integration", record.integration_id)?;
        if let Some(source) = record.sync_source {
            self.integrations
                .require(at, "sync source integration", source)?;
        }
        match record.assignee {
            None => Ok(()),
            Some(UserOrTeam::User(user)) => self.users.require(at, "assignee user", user).map(drop),
            Some(UserOrTeam::Team(team)) => self.teams.require(at, "assignee team", team).map(drop),
        }
    }
}

/// The message of an external-actor check, under the file's field name.
fn field_message(field: &str, error: ExternalActorError) -> String {
    match error {
        ExternalActorError::Validation { message, .. } => format!("{field}: {message}"),
        other => format!("{field}: {other}"),
    }
}
