//! The state file as table rows, for every SQL back-end: both schemas have the same tables and
//! column names, so turning a [`StateSnapshot`] into rows (and rows back into a snapshot) does
//! not depend on the database. A back-end only runs the statements: [`Table::select`] to read a
//! table in a fixed order, [`Table::insert`] (with its own placeholder style) to write one row,
//! binding a row tuple's fields in column order.
//!
//! Rows keep the state file's words for closed sets (`"resolved"`, `"disabled"`, …), times as
//! Unix epoch milliseconds and ids as signed 64-bit integers, as both schemas do. They hold the
//! deployment's secrets in clear, like the file: never log them.

use std::collections::BTreeMap;

use jirasync_domain::StoreError;
use jirasync_domain::state::{
    ActivityKindRecord, ActivityRecord, CredentialsRecord, EmailRecord, ExternalActorRecord,
    ExternalIssueRecord, FeaturesRecord, IdentityRecord, IntegrationRecord, IssueStatusRecord,
    LinkStatusRecord, LocalIssueRecord, OrganizationIntegrationRecord, OrganizationMemberRecord,
    OrganizationRecord, ProjectRecord, ResolutionStrategyRecord, SecretText, StateSnapshot,
    SyncConfigRecord, TeamMemberRecord, TeamProjectRecord, TeamRecord, UserOrTeam, UserRecord,
};
use jirasync_webhook::EventTime;

/// A table of the domain state: its name, its columns in the order of its row tuple, and the
/// order an export reads it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Table {
    /// The table's name.
    pub(crate) name: &'static str,
    /// The columns, in the order of the row tuple's fields.
    pub(crate) columns: &'static [&'static str],
    /// The `ORDER BY` list an export reads the rows in.
    pub(crate) order_by: &'static str,
}

impl Table {
    /// `SELECT <columns> FROM <table> ORDER BY <order>`.
    pub(crate) fn select(&self) -> String {
        format!("{} ORDER BY {}", self.select_columns(), self.order_by)
    }

    /// `SELECT <columns> FROM <table>`, to which a caller adds its `WHERE`: the columns of the
    /// table's row tuple.
    pub(crate) fn select_columns(&self) -> String {
        format!("SELECT {} FROM {}", self.columns.join(", "), self.name)
    }

    /// `INSERT INTO <table> (<columns>) VALUES (…)`, with `placeholder(n)` for the `n`th value
    /// (from 1): `?` for SQLite, `$n` for PostgreSQL.
    pub(crate) fn insert(&self, placeholder: impl Fn(usize) -> String) -> String {
        let values: Vec<String> = (1..=self.columns.len()).map(placeholder).collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.name,
            self.columns.join(", "),
            values.join(", ")
        )
    }
}

macro_rules! tables {
    ($($constant:ident = $name:literal [$($column:literal),+ $(,)?] by $order:literal;)+) => {
        $(
            #[doc = concat!("The `", $name, "` table.")]
            pub(crate) const $constant: Table = Table {
                name: $name,
                columns: &[$($column),+],
                order_by: $order,
            };
        )+
        /// Every table of the domain state, parents before children: insert in this order,
        /// delete in the reverse order.
        pub(crate) const DOMAIN_TABLES: &[Table] = &[$($constant),+];
    };
}

tables! {
    ORGANIZATIONS = "jirasync_organizations" ["id", "name", "issue_sync", "external_actors"] by "id";
    ORGANIZATION_APP_IDS = "organization_app_ids"
        ["organization_id", "app_id"] by "organization_id";
    USERS = "users" ["id", "active", "app_id"] by "id";
    USER_EMAILS = "user_emails"
        ["user_id", "position", "address", "address_lower", "verified"] by "user_id, position";
    ORGANIZATION_MEMBERS = "organization_members"
        ["organization_id", "user_id"] by "organization_id, user_id";
    TEAMS = "teams" ["id", "organization_id", "name", "app_id"] by "id";
    TEAM_MEMBERS = "team_members" ["team_id", "user_id", "active"] by "team_id, user_id";
    PROJECTS = "projects" ["id", "organization_id", "name", "app_id"] by "id";
    TEAM_PROJECTS = "team_projects" ["team_id", "project_id"] by "team_id, project_id";
    LOCAL_ISSUES = "local_issues"
        ["id", "organization_id", "project_id", "status", "app_id"] by "id";
    ISSUE_ASSIGNEES = "issue_assignees"
        ["local_issue_id", "user_id", "team_id"] by "local_issue_id";
    INTEGRATIONS = "jirasync_integrations"
        ["id", "provider", "external_id", "name", "base_url", "domain_name", "verify_ssl"]
        by "id";
    INTEGRATION_WEBHOOK_SECRETS = "jirasync_integration_webhook_secrets"
        ["integration_id", "position", "secret"] by "integration_id, position";
    IDENTITIES = "jirasync_identities"
        ["id", "organization_id", "integration_id", "installed_by", "credential_kind",
         "consumer_key", "private_key_pem", "access_token", "access_token_secret",
         "bearer_token"]
        by "id";
    ORGANIZATION_INTEGRATIONS = "jirasync_organization_integrations"
        ["organization_id", "integration_id", "status", "sync_reverse_assignment",
         "sync_status_reverse", "sync_forward_assignment", "sync_status_forward",
         "sync_comments", "resolution_strategy", "default_identity_id"]
        by "organization_id, integration_id";
    EXTERNAL_ISSUES = "jirasync_external_issues"
        ["id", "organization_id", "integration_id", "key", "assignee_updated_at",
         "status_updated_at"]
        by "id";
    EXTERNAL_ISSUE_LINKS = "jirasync_external_issue_links"
        ["external_issue_id", "local_issue_id"] by "external_issue_id, local_issue_id";
    EXTERNAL_ACTORS = "jirasync_external_actors"
        ["id", "organization_id", "integration_id", "provider", "external_name",
         "external_name_lower", "external_id", "user_id", "team_id"]
        by "id";
    ACTIVITIES = "activities"
        ["id", "local_issue_id", "kind", "provider", "provider_key", "integration_id",
         "assignee_user_id", "assignee_team_id", "sync_source", "occurred_at"]
        by "id";
}

/// The delivery de-duplication log: not part of the state file, cleared by an import.
pub(crate) const DELIVERY_LOG_TABLE: &str = "jirasync_seen_deliveries";

/// The stored kind of OAuth 1.0a credentials.
const OAUTH1: &str = "oauth1";
/// The stored kind of a personal access token.
const BEARER: &str = "bearer";

/// [`ORGANIZATIONS`]: id, name, issue sync, external actors.
pub(crate) type OrganizationRow = (i64, String, bool, bool);
/// [`ORGANIZATION_APP_IDS`]: organization, the application's id of it.
pub(crate) type OrganizationAppIdRow = (i64, String);
/// [`USERS`]: id, active, application id.
pub(crate) type UserRow = (i64, bool, Option<String>);
/// [`USER_EMAILS`]: user, position, address, lower-cased address, verified.
pub(crate) type UserEmailRow = (i64, i64, String, String, bool);
/// [`ORGANIZATION_MEMBERS`]: organization, user.
pub(crate) type OrganizationMemberRow = (i64, i64);
/// [`TEAMS`]: id, organization, name, application id.
pub(crate) type TeamRow = (i64, i64, String, Option<String>);
/// [`TEAM_MEMBERS`]: team, user, active.
pub(crate) type TeamMemberRow = (i64, i64, bool);
/// [`PROJECTS`]: id, organization, name, application id.
pub(crate) type ProjectRow = (i64, i64, String, Option<String>);
/// [`TEAM_PROJECTS`]: team, project.
pub(crate) type TeamProjectRow = (i64, i64);
/// [`LOCAL_ISSUES`]: id, organization, project, status, application id.
pub(crate) type LocalIssueRow = (i64, i64, i64, String, Option<String>);
/// [`ISSUE_ASSIGNEES`]: local issue, user, team.
pub(crate) type IssueAssigneeRow = (i64, Option<i64>, Option<i64>);
/// [`INTEGRATIONS`]: id, provider, external id, name, base URL, domain name, TLS flag.
pub(crate) type IntegrationRow = (i64, String, String, String, String, String, bool);
/// [`INTEGRATION_WEBHOOK_SECRETS`]: integration, position, secret.
pub(crate) type WebhookSecretRow = (i64, i64, String);
/// [`IDENTITIES`]: id, organization, integration, installer, credential kind, consumer key,
/// private key, access token, access token secret, bearer token.
pub(crate) type IdentityRow = (
    i64,
    i64,
    i64,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);
/// [`ORGANIZATION_INTEGRATIONS`]: organization, integration, status, the five sync flags, the
/// resolution strategy, the default identity.
pub(crate) type OrganizationIntegrationRow = (
    i64,
    i64,
    String,
    bool,
    bool,
    bool,
    bool,
    bool,
    String,
    Option<i64>,
);
/// [`EXTERNAL_ISSUES`]: id, organization, integration, key, assignee and status watermarks.
pub(crate) type ExternalIssueRow = (i64, i64, i64, String, Option<i64>, Option<i64>);
/// [`EXTERNAL_ISSUE_LINKS`]: external issue, local issue.
pub(crate) type ExternalIssueLinkRow = (i64, i64);
/// [`EXTERNAL_ACTORS`]: id, organization, integration, provider, name, lower-cased name,
/// external id, user, team.
pub(crate) type ExternalActorRow = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
);
/// [`ACTIVITIES`]: id, local issue, kind, provider, provider key, integration, assigned user,
/// assigned team, sync source, occurred at.
pub(crate) type ActivityRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The whole domain state as rows, one field per table of [`DOMAIN_TABLES`], in that order.
#[derive(Default)]
pub(crate) struct StateRows {
    pub(crate) organizations: Vec<OrganizationRow>,
    pub(crate) organization_app_ids: Vec<OrganizationAppIdRow>,
    pub(crate) users: Vec<UserRow>,
    pub(crate) user_emails: Vec<UserEmailRow>,
    pub(crate) organization_members: Vec<OrganizationMemberRow>,
    pub(crate) teams: Vec<TeamRow>,
    pub(crate) team_members: Vec<TeamMemberRow>,
    pub(crate) projects: Vec<ProjectRow>,
    pub(crate) team_projects: Vec<TeamProjectRow>,
    pub(crate) local_issues: Vec<LocalIssueRow>,
    pub(crate) issue_assignees: Vec<IssueAssigneeRow>,
    pub(crate) integrations: Vec<IntegrationRow>,
    pub(crate) webhook_secrets: Vec<WebhookSecretRow>,
    pub(crate) identities: Vec<IdentityRow>,
    pub(crate) organization_integrations: Vec<OrganizationIntegrationRow>,
    pub(crate) external_issues: Vec<ExternalIssueRow>,
    pub(crate) external_issue_links: Vec<ExternalIssueLinkRow>,
    pub(crate) external_actors: Vec<ExternalActorRow>,
    pub(crate) activities: Vec<ActivityRow>,
}

/// A file id as stored; one beyond the signed 64-bit range is refused (the file's validation
/// refuses it first, with the record's position).
fn stored_id(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| {
        StoreError::invalid(format!(
            "id {id} is larger than {}, the largest id a store keeps",
            i64::MAX
        ))
    })
}

/// A stored id as the file writes it.
fn file_id(id: i64) -> Result<u64, StoreError> {
    u64::try_from(id).map_err(|_| StoreError::other(format!("a stored id is negative: {id}")))
}

fn stored_ids<const N: usize>(ids: [u64; N]) -> Result<[i64; N], StoreError> {
    let mut stored = [0; N];
    for (slot, id) in stored.iter_mut().zip(ids) {
        *slot = stored_id(id)?;
    }
    Ok(stored)
}

fn optional_stored_id(id: Option<u64>) -> Result<Option<i64>, StoreError> {
    id.map(stored_id).transpose()
}

fn optional_file_id(id: Option<i64>) -> Result<Option<u64>, StoreError> {
    id.map(file_id).transpose()
}

/// The (user, team) columns of a user or team.
fn user_or_team_columns(
    target: Option<UserOrTeam>,
) -> Result<(Option<i64>, Option<i64>), StoreError> {
    Ok(match target {
        Some(UserOrTeam::User(user)) => (Some(stored_id(user)?), None),
        Some(UserOrTeam::Team(team)) => (None, Some(stored_id(team)?)),
        None => (None, None),
    })
}

/// The user or team of (user, team) columns; a stored row never has both (the schemas check).
fn user_or_team(user: Option<i64>, team: Option<i64>) -> Result<Option<UserOrTeam>, StoreError> {
    Ok(match (user, team) {
        (Some(user), _) => Some(UserOrTeam::User(file_id(user)?)),
        (None, Some(team)) => Some(UserOrTeam::Team(file_id(team)?)),
        (None, None) => None,
    })
}

/// A stored word no value of the file matches.
fn unknown(what: &str, stored: &str) -> StoreError {
    StoreError::other(format!("unknown {what} stored: {stored:?}"))
}

/// The children of each parent, in the order the rows came.
fn group_by_parent<R, T>(
    rows: Vec<R>,
    split: impl Fn(R) -> Result<(i64, T), StoreError>,
) -> Result<BTreeMap<i64, Vec<T>>, StoreError> {
    let mut groups: BTreeMap<i64, Vec<T>> = BTreeMap::new();
    for row in rows {
        let (parent, child) = split(row)?;
        groups.entry(parent).or_default().push(child);
    }
    Ok(groups)
}

impl StateRows {
    /// The rows holding exactly `snapshot`, ids included.
    ///
    /// # Errors
    ///
    /// [`StoreError::Invalid`] for an id beyond the signed 64-bit range (a validated snapshot
    /// has none).
    pub(crate) fn from_snapshot(snapshot: &StateSnapshot) -> Result<Self, StoreError> {
        let mut rows = Self::default();
        for record in &snapshot.organizations {
            rows.organizations.push((
                stored_id(record.id)?,
                record.name.clone(),
                record.features.issue_sync,
                record.features.external_actors,
            ));
            if let Some(app_id) = &record.app_id {
                rows.organization_app_ids
                    .push((stored_id(record.id)?, app_id.clone()));
            }
        }
        for record in &snapshot.users {
            let user = stored_id(record.id)?;
            rows.users
                .push((user, record.active, record.app_id.clone()));
            for (position, email) in (0_i64..).zip(&record.emails) {
                rows.user_emails.push((
                    user,
                    position,
                    email.address.clone(),
                    email.address.to_lowercase(),
                    email.verified,
                ));
            }
        }
        for record in &snapshot.organization_members {
            let [organization, user] = stored_ids([record.organization_id, record.user_id])?;
            rows.organization_members.push((organization, user));
        }
        for record in &snapshot.teams {
            let [id, organization] = stored_ids([record.id, record.organization_id])?;
            rows.teams
                .push((id, organization, record.name.clone(), record.app_id.clone()));
        }
        for record in &snapshot.team_members {
            let [team, user] = stored_ids([record.team_id, record.user_id])?;
            rows.team_members.push((team, user, record.active));
        }
        for record in &snapshot.projects {
            let [id, organization] = stored_ids([record.id, record.organization_id])?;
            rows.projects
                .push((id, organization, record.name.clone(), record.app_id.clone()));
        }
        for record in &snapshot.team_projects {
            let [team, project] = stored_ids([record.team_id, record.project_id])?;
            rows.team_projects.push((team, project));
        }
        for record in &snapshot.local_issues {
            let [id, organization, project] =
                stored_ids([record.id, record.organization_id, record.project_id])?;
            rows.local_issues.push((
                id,
                organization,
                project,
                record.status.as_str().to_owned(),
                record.app_id.clone(),
            ));
            if record.assignee.is_some() {
                let (user, team) = user_or_team_columns(record.assignee)?;
                rows.issue_assignees.push((id, user, team));
            }
        }
        for record in &snapshot.integrations {
            let id = stored_id(record.id)?;
            rows.integrations.push((
                id,
                record.provider.clone(),
                record.external_id.clone(),
                record.name.clone(),
                record.base_url.clone(),
                record.domain_name.clone(),
                record.verify_ssl,
            ));
            for (position, secret) in (0_i64..).zip(&record.webhook_secrets) {
                rows.webhook_secrets
                    .push((id, position, secret.expose_secret().to_owned()));
            }
        }
        for record in &snapshot.identities {
            rows.identities.push(identity_row(record)?);
        }
        for record in &snapshot.organization_integrations {
            let [organization, integration] =
                stored_ids([record.organization_id, record.integration_id])?;
            let config = &record.config;
            rows.organization_integrations.push((
                organization,
                integration,
                record.status.as_str().to_owned(),
                config.sync_reverse_assignment,
                config.sync_status_reverse,
                config.sync_forward_assignment,
                config.sync_status_forward,
                config.sync_comments,
                config.resolution_strategy.as_str().to_owned(),
                optional_stored_id(record.default_identity_id)?,
            ));
        }
        for record in &snapshot.external_issues {
            let [id, organization, integration] =
                stored_ids([record.id, record.organization_id, record.integration_id])?;
            rows.external_issues.push((
                id,
                organization,
                integration,
                record.key.clone(),
                record.assignee_updated_at.map(EventTime::unix_millis),
                record.status_updated_at.map(EventTime::unix_millis),
            ));
            for local_issue in &record.local_issues {
                rows.external_issue_links
                    .push((id, stored_id(*local_issue)?));
            }
        }
        for record in &snapshot.external_actors {
            let [id, organization, integration] =
                stored_ids([record.id, record.organization_id, record.integration_id])?;
            let (user, team) = user_or_team_columns(Some(record.target))?;
            rows.external_actors.push((
                id,
                organization,
                integration,
                record.provider.clone(),
                record.external_name.clone(),
                record.external_name.to_lowercase(),
                record.external_id.clone(),
                user,
                team,
            ));
        }
        for record in &snapshot.activities {
            let [id, local_issue, integration] =
                stored_ids([record.id, record.local_issue_id, record.integration_id])?;
            let (user, team) = user_or_team_columns(record.assignee)?;
            rows.activities.push((
                id,
                local_issue,
                record.kind.as_str().to_owned(),
                record.provider.clone(),
                record.provider_key.clone(),
                integration,
                user,
                team,
                optional_stored_id(record.sync_source)?,
                record.occurred_at.map(EventTime::unix_millis),
            ));
        }
        Ok(rows)
    }

    /// The snapshot these rows hold, sorted canonically.
    ///
    /// # Errors
    ///
    /// [`StoreError::Other`] when a row holds what no state file can (a negative id, a word
    /// the format does not know, incomplete credentials).
    pub(crate) fn into_snapshot(self) -> Result<StateSnapshot, StoreError> {
        let mut emails = group_by_parent(self.user_emails, |(user, _, address, _, verified)| {
            Ok((user, EmailRecord { address, verified }))
        })?;
        let mut secrets = group_by_parent(self.webhook_secrets, |(integration, _, secret)| {
            Ok((integration, SecretText::new(secret)))
        })?;
        let mut links = group_by_parent(self.external_issue_links, |(external, local)| {
            Ok((external, file_id(local)?))
        })?;
        let mut organization_app_ids: BTreeMap<i64, String> =
            self.organization_app_ids.into_iter().collect();
        let assignees: BTreeMap<i64, Option<UserOrTeam>> = self
            .issue_assignees
            .into_iter()
            .map(|(issue, user, team)| Ok((issue, user_or_team(user, team)?)))
            .collect::<Result<_, StoreError>>()?;

        let mut snapshot = StateSnapshot {
            organizations: collect(self.organizations, |(id, name, issue_sync, actors)| {
                Ok(OrganizationRecord {
                    id: file_id(id)?,
                    app_id: organization_app_ids.remove(&id),
                    name,
                    features: FeaturesRecord {
                        issue_sync,
                        external_actors: actors,
                    },
                })
            })?,
            users: collect(self.users, |(id, active, app_id)| {
                Ok(UserRecord {
                    id: file_id(id)?,
                    app_id,
                    active,
                    emails: emails.remove(&id).unwrap_or_default(),
                })
            })?,
            organization_members: collect(self.organization_members, |(organization, user)| {
                Ok(OrganizationMemberRecord {
                    organization_id: file_id(organization)?,
                    user_id: file_id(user)?,
                })
            })?,
            teams: collect(self.teams, |(id, organization, name, app_id)| {
                Ok(TeamRecord {
                    id: file_id(id)?,
                    organization_id: file_id(organization)?,
                    app_id,
                    name,
                })
            })?,
            team_members: collect(self.team_members, |(team, user, active)| {
                Ok(TeamMemberRecord {
                    team_id: file_id(team)?,
                    user_id: file_id(user)?,
                    active,
                })
            })?,
            projects: collect(self.projects, |(id, organization, name, app_id)| {
                Ok(ProjectRecord {
                    id: file_id(id)?,
                    organization_id: file_id(organization)?,
                    app_id,
                    name,
                })
            })?,
            team_projects: collect(self.team_projects, |(team, project)| {
                Ok(TeamProjectRecord {
                    team_id: file_id(team)?,
                    project_id: file_id(project)?,
                })
            })?,
            local_issues: collect(self.local_issues, |row| {
                let (id, organization, project, status, app_id) = row;
                Ok(LocalIssueRecord {
                    id: file_id(id)?,
                    organization_id: file_id(organization)?,
                    app_id,
                    project_id: file_id(project)?,
                    status: IssueStatusRecord::from_name(&status)
                        .ok_or_else(|| unknown("issue status", &status))?,
                    assignee: assignees.get(&id).copied().flatten(),
                })
            })?,
            integrations: collect(self.integrations, |row| {
                let (id, provider, external_id, name, base_url, domain_name, verify_ssl) = row;
                Ok(IntegrationRecord {
                    id: file_id(id)?,
                    provider,
                    external_id,
                    name,
                    base_url,
                    domain_name,
                    verify_ssl,
                    webhook_secrets: secrets.remove(&id).unwrap_or_default(),
                })
            })?,
            identities: collect(self.identities, identity_record)?,
            organization_integrations: collect(
                self.organization_integrations,
                organization_integration_record,
            )?,
            external_issues: collect(self.external_issues, |row| {
                let (id, organization, integration, key, assignee_at, status_at) = row;
                Ok(ExternalIssueRecord {
                    id: file_id(id)?,
                    organization_id: file_id(organization)?,
                    integration_id: file_id(integration)?,
                    key,
                    assignee_updated_at: assignee_at.map(EventTime::from_unix_millis),
                    status_updated_at: status_at.map(EventTime::from_unix_millis),
                    local_issues: links.remove(&id).unwrap_or_default(),
                })
            })?,
            external_actors: collect(self.external_actors, external_actor_record)?,
            activities: collect(self.activities, activity_record)?,
            ..StateSnapshot::default()
        };
        snapshot.sort_canonically();
        Ok(snapshot)
    }
}

/// Every row turned into a record.
fn collect<R, T>(
    rows: Vec<R>,
    record: impl FnMut(R) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(record).collect()
}

fn identity_row(record: &IdentityRecord) -> Result<IdentityRow, StoreError> {
    let [id, organization, integration] =
        stored_ids([record.id, record.organization_id, record.integration_id])?;
    let installed_by = optional_stored_id(record.installed_by)?;
    Ok(match &record.credentials {
        CredentialsRecord::OAuth1 {
            consumer_key,
            private_key_pem,
            access_token,
            access_token_secret,
        } => (
            id,
            organization,
            integration,
            installed_by,
            OAUTH1.to_owned(),
            Some(consumer_key.clone()),
            Some(private_key_pem.expose_secret().to_owned()),
            Some(access_token.clone()),
            Some(access_token_secret.expose_secret().to_owned()),
            None,
        ),
        CredentialsRecord::Bearer { token } => (
            id,
            organization,
            integration,
            installed_by,
            BEARER.to_owned(),
            None,
            None,
            None,
            None,
            Some(token.expose_secret().to_owned()),
        ),
    })
}

/// The record a row describes.
pub(crate) fn identity_record(row: IdentityRow) -> Result<IdentityRecord, StoreError> {
    let (
        id,
        organization,
        integration,
        installed_by,
        kind,
        consumer_key,
        private_key,
        token,
        token_secret,
        bearer,
    ) = row;
    let credentials = match (
        kind.as_str(),
        consumer_key,
        private_key,
        token,
        token_secret,
        bearer,
    ) {
        (OAUTH1, Some(consumer_key), Some(private_key), Some(token), Some(secret), None) => {
            CredentialsRecord::OAuth1 {
                consumer_key,
                private_key_pem: SecretText::new(private_key),
                access_token: token,
                access_token_secret: SecretText::new(secret),
            }
        }
        (BEARER, None, None, None, None, Some(token)) => CredentialsRecord::Bearer {
            token: SecretText::new(token),
        },
        (kind, ..) => {
            return Err(StoreError::other(format!(
                "identity {id} has incomplete {kind:?} credentials"
            )));
        }
    };
    Ok(IdentityRecord {
        id: file_id(id)?,
        organization_id: file_id(organization)?,
        integration_id: file_id(integration)?,
        installed_by: optional_file_id(installed_by)?,
        credentials,
    })
}

/// The organization link record a row describes (also the stores' reading of the row).
pub(crate) fn organization_integration_record(
    row: OrganizationIntegrationRow,
) -> Result<OrganizationIntegrationRecord, StoreError> {
    let (
        organization,
        integration,
        status,
        sync_reverse_assignment,
        sync_status_reverse,
        sync_forward_assignment,
        sync_status_forward,
        sync_comments,
        strategy,
        default_identity,
    ) = row;
    Ok(OrganizationIntegrationRecord {
        organization_id: file_id(organization)?,
        integration_id: file_id(integration)?,
        status: LinkStatusRecord::from_name(&status)
            .ok_or_else(|| unknown("link status", &status))?,
        config: SyncConfigRecord {
            sync_reverse_assignment,
            sync_status_reverse,
            sync_forward_assignment,
            sync_status_forward,
            sync_comments,
            resolution_strategy: ResolutionStrategyRecord::from_name(&strategy)
                .ok_or_else(|| unknown("resolution strategy", &strategy))?,
        },
        default_identity_id: optional_file_id(default_identity)?,
    })
}

fn external_actor_record(row: ExternalActorRow) -> Result<ExternalActorRecord, StoreError> {
    let (id, organization, integration, provider, external_name, _, external_id, user, team) = row;
    Ok(ExternalActorRecord {
        id: file_id(id)?,
        organization_id: file_id(organization)?,
        integration_id: file_id(integration)?,
        provider,
        external_name,
        external_id,
        target: user_or_team(user, team)?
            .ok_or_else(|| StoreError::other(format!("external actor {id} has no target")))?,
    })
}

fn activity_record(row: ActivityRow) -> Result<ActivityRecord, StoreError> {
    let (
        id,
        local_issue,
        kind,
        provider,
        provider_key,
        integration,
        user,
        team,
        sync_source,
        occurred_at,
    ) = row;
    Ok(ActivityRecord {
        id: file_id(id)?,
        local_issue_id: file_id(local_issue)?,
        kind: ActivityKindRecord::from_name(&kind)
            .ok_or_else(|| unknown("activity kind", &kind))?,
        provider,
        provider_key,
        integration_id: file_id(integration)?,
        assignee: user_or_team(user, team)?,
        sync_source: optional_file_id(sync_source)?,
        occurred_at: occurred_at.map(EventTime::from_unix_millis),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use super::*;

    #[test]
    fn statements_list_the_columns_in_row_order() {
        assert_eq!(
            TEAMS.select(),
            "SELECT id, organization_id, name, app_id FROM teams ORDER BY id"
        );
        assert_eq!(
            TEAMS.insert(|_| "?".to_owned()),
            "INSERT INTO teams (id, organization_id, name, app_id) VALUES (?, ?, ?, ?)"
        );
        assert_eq!(
            TEAMS.insert(|n| format!("${n}")),
            "INSERT INTO teams (id, organization_id, name, app_id) VALUES ($1, $2, $3, $4)"
        );
    }

    #[test]
    fn parents_come_before_their_children() {
        let position = |table: Table| DOMAIN_TABLES.iter().position(|t| *t == table).unwrap();
        assert!(position(USERS) < position(USER_EMAILS));
        assert!(position(IDENTITIES) < position(ORGANIZATION_INTEGRATIONS));
        assert!(position(LOCAL_ISSUES) < position(EXTERNAL_ISSUE_LINKS));
        assert!(position(ORGANIZATIONS) < position(ORGANIZATION_APP_IDS));
        assert_eq!(DOMAIN_TABLES.len(), 19);
    }

    #[test]
    fn rows_round_trip_a_snapshot() {
        let mut snapshot =
            StateSnapshot::from_json(include_bytes!("../../../tests/fixtures/state/example.json"))
                .unwrap();
        snapshot.sort_canonically();
        let rows = StateRows::from_snapshot(&snapshot).unwrap();
        assert_eq!(rows.user_emails.len(), 4);
        assert_eq!(rows.issue_assignees.len(), 2);
        assert_eq!(rows.into_snapshot().unwrap(), snapshot);
    }

    #[test]
    fn an_id_beyond_i64_is_refused() {
        let snapshot = StateSnapshot {
            users: vec![UserRecord {
                id: u64::MAX,
                app_id: None,
                active: true,
                emails: Vec::new(),
            }],
            ..StateSnapshot::default()
        };
        let error = StateRows::from_snapshot(&snapshot).err().unwrap();
        assert!(matches!(error, StoreError::Invalid { .. }), "{error}");
        assert!(
            error.to_string().contains("18446744073709551615"),
            "{error}"
        );
    }

    #[test]
    fn incomplete_credentials_are_not_exported() {
        let row: IdentityRow = (
            1,
            2,
            3,
            None,
            OAUTH1.to_owned(),
            Some("key".into()),
            None,
            None,
            None,
            None,
        );
        let error = identity_record(row).unwrap_err();
        assert_eq!(
            error.to_string(),
            "store error: identity 1 has incomplete \"oauth1\" credentials"
        );
    }
}
