//! What outbound sync asks of Jira: the [`JiraWriter`] trait, which `jirasync-service`
//! implements over the REST client (each call a new, freshly signed request), and an in-memory
//! [`FakeJiraWriter`] for tests (`testing` feature).

use async_trait::async_trait;
use jirasync_webhook::IssueKey;

use crate::ids::{IntegrationId, OrganizationId};
use crate::integration::Integration;

/// A Jira user as a user search answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraAccount {
    /// The username (`name`), what `PUT …/assignee` takes.
    pub name: String,
    /// The e-mail address, when Jira shows it.
    pub email_address: Option<String>,
    /// Whether the account is active.
    pub active: bool,
}

/// Where a Jira issue stands, as outbound status sync reads it (`GET /rest/api/2/issue/{key}`
/// with the `project` and `status` fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraIssueState {
    /// The project id (`10000`).
    pub project_id: String,
    /// The project key (`SHOP`).
    pub project_key: String,
    /// The current status id (`1`).
    pub status_id: String,
    /// The current status name (`Open`).
    pub status_name: String,
}

/// A workflow transition available on an issue now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraTransition {
    /// The transition id (`31`).
    pub id: String,
    /// Its name (`Resolve Issue`).
    pub name: String,
    /// The status id it reaches (`5`).
    pub to_id: String,
    /// The status name it reaches (`Resolved`).
    pub to_name: String,
}

/// A Jira status: id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraStatusName {
    /// The id (`5`).
    pub id: String,
    /// The name (`Resolved`).
    pub name: String,
}

/// A project with the statuses its workflows use, to check a status mapping against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraProjectStatuses {
    /// The project id (`10000`).
    pub project_id: String,
    /// The project key (`SHOP`).
    pub project_key: String,
    /// Every status an issue of the project can be in, once each.
    pub statuses: Vec<JiraStatusName>,
}

/// What creating an issue of one type in one Jira project takes (Jira's `createmeta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraCreateMeta {
    /// The issue type's id (`10004`), what the create request names.
    pub issue_type_id: String,
    /// The issue type's name, as Jira spells it.
    pub issue_type_name: String,
    /// The fields of the create screen.
    pub fields: Vec<JiraCreateField>,
}

/// One field of a create screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraCreateField {
    /// The field id, as a create request names it (`summary`, `customfield_10200`).
    pub key: String,
    /// The name Jira shows.
    pub name: String,
    /// Whether Jira requires it.
    pub required: bool,
    /// Whether Jira fills it in when it is not sent.
    pub has_default_value: bool,
}

/// An issue Jira created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedJiraIssue {
    /// Its key (`SHOP-7`).
    pub key: IssueKey,
    /// Its id (`10007`).
    pub id: String,
}

/// Why a Jira call of outbound sync failed: retry later, or stop with Jira's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JiraWriteError {
    /// Jira could not be reached, timed out, or answered 5xx or 429: the same call may succeed
    /// later.
    #[error("Jira could not be reached: {message}")]
    Transient {
        /// What went wrong.
        message: String,
    },
    /// Jira refused the call for a reason retrying will not fix (401 or 403 permission, 404 the
    /// issue is gone, 400 an unknown user or an invalid transition).
    #[error("Jira refused the request{}: {message}", status.map(|status| format!(" (HTTP {status})")).unwrap_or_default())]
    Permanent {
        /// The HTTP status, if Jira answered.
        status: Option<u16>,
        /// Jira's `errorMessages` and `errors`, or what was wrong with its answer.
        message: String,
    },
    /// The integration has no credentials to call Jira with.
    #[error("no credentials for integration {integration_id}: reinstall it")]
    NoCredentials {
        /// The integration.
        integration_id: IntegrationId,
    },
}

impl JiraWriteError {
    /// A [`JiraWriteError::Transient`].
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient {
            message: message.into(),
        }
    }

    /// A [`JiraWriteError::Permanent`].
    pub fn permanent(status: Option<u16>, message: impl Into<String>) -> Self {
        Self::Permanent {
            status,
            message: message.into(),
        }
    }

    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }
}

/// The Jira calls outbound sync makes, on behalf of one organization (an implementation calls
/// with that organization's credentials, so Jira records its user as the author). Each call is
/// one request, signed anew: an implementation never retries by itself (the outbox does, with
/// back-off).
#[async_trait]
pub trait JiraWriter: Send + Sync {
    /// The users a search for `email` finds (`GET /rest/api/2/user/search?username=`), as Jira
    /// answers; the rule keeps only an exact, active match.
    async fn search_users(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        email: &str,
    ) -> Result<Vec<JiraAccount>, JiraWriteError>;

    /// Makes `assignee` (a username) the issue's assignee, or clears it for `None`
    /// (`PUT /rest/api/2/issue/{key}/assignee`).
    async fn assign(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
        assignee: Option<&str>,
    ) -> Result<(), JiraWriteError>;

    /// Whether Jira has the issue `key` (`GET /rest/api/2/issue/{key}`): checked before an
    /// application issue is linked to it.
    async fn issue_exists(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
    ) -> Result<bool, JiraWriteError>;

    /// The issue's project and status (`GET /rest/api/2/issue/{key}?fields=project,status`);
    /// `None` when Jira has no such issue (or hides it from the organization's user).
    async fn issue_state(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
    ) -> Result<Option<JiraIssueState>, JiraWriteError>;

    /// The transitions the organization's user can perform on the issue now
    /// (`GET /rest/api/2/issue/{key}/transitions`).
    async fn transitions(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
    ) -> Result<Vec<JiraTransition>, JiraWriteError>;

    /// Performs a transition (`POST /rest/api/2/issue/{key}/transitions`).
    async fn transition(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
        transition_id: &str,
    ) -> Result<(), JiraWriteError>;

    /// The project (by key or id) and the statuses its workflows use
    /// (`GET /rest/api/2/project/{key}` and `…/statuses`); `None` when Jira has no such project.
    async fn project_statuses(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        project: &str,
    ) -> Result<Option<JiraProjectStatuses>, JiraWriteError>;

    /// Adds a comment with this text to the issue (`POST /rest/api/2/issue/{key}/comment`) and
    /// returns the new comment's id. Not idempotent: a call that timed out may have added it.
    async fn add_comment(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
        body: &str,
    ) -> Result<String, JiraWriteError>;

    /// What creating an issue of `issue_type` (its name or its id) in `project` (a key or a
    /// numeric id) takes (`createmeta`, of the generation the server's version serves). An
    /// unknown project or issue type is a permanent error naming it.
    async fn create_meta(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        project: &str,
        issue_type: &str,
    ) -> Result<JiraCreateMeta, JiraWriteError>;

    /// Creates an issue with these `fields` (`POST /rest/api/2/issue` with `{"fields": …}`).
    /// Not idempotent: a transient error may hide an issue Jira did create.
    async fn create_issue(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<CreatedJiraIssue, JiraWriteError>;
}

#[cfg(feature = "testing")]
pub use fake::{FAKE_STATUSES, FAKE_WORKFLOW, FakeJiraWriter, WriterCall};

#[cfg(feature = "testing")]
mod fake {
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::{Mutex, PoisonError};

    use async_trait::async_trait;
    use jirasync_webhook::IssueKey;

    use serde_json::{Map, Value};

    use super::{
        CreatedJiraIssue, JiraAccount, JiraCreateField, JiraCreateMeta, JiraIssueState,
        JiraProjectStatuses, JiraStatusName, JiraTransition, JiraWriteError, JiraWriter,
    };
    use crate::ids::OrganizationId;
    use crate::integration::Integration;

    /// A call the fake received, in order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum WriterCall {
        /// A user search.
        SearchUsers(String),
        /// An assignment (`None`: unassign).
        Assign(IssueKey, Option<String>),
        /// A look-up of an issue.
        IssueExists(IssueKey),
        /// A read of an issue's project and status.
        IssueState(IssueKey),
        /// A read of an issue's transitions.
        Transitions(IssueKey),
        /// A transition performed (issue, transition id).
        Transition(IssueKey, String),
        /// A read of a project's statuses.
        ProjectStatuses(String),
        /// A comment added, with its text.
        AddComment(IssueKey, String),
        /// A `createmeta` read: project, issue type.
        CreateMeta(String, String),
        /// A create request, with its fields.
        CreateIssue(Map<String, Value>),
    }

    /// The issue types every project of the fake has: id, name (Jira's defaults).
    const ISSUE_TYPES: &[(&str, &str)] = &[("10002", "Task"), ("10004", "Bug")];

    /// A project of the fake: its id and the fields (id, name) creating an issue in it requires
    /// besides project, issue type and summary.
    #[derive(Debug, Default)]
    struct FakeProject {
        id: String,
        required: Vec<(String, String)>,
    }

    /// The fake's statuses: id, name.
    pub const FAKE_STATUSES: &[(&str, &str)] = &[
        ("1", "Open"),
        ("3", "In Progress"),
        ("4", "Reopened"),
        ("5", "Resolved"),
        ("6", "Closed"),
    ];

    /// The fake's workflow: transition id, name, the statuses it leaves from, the status it
    /// reaches (Jira's classic workflow, without "Done").
    pub const FAKE_WORKFLOW: &[(&str, &str, &[&str], &str)] = &[
        ("11", "Start Progress", &["1", "4"], "3"),
        ("31", "Resolve Issue", &["1", "3", "4"], "5"),
        ("41", "Close Issue", &["1", "3", "4", "5"], "6"),
        ("51", "Reopen Issue", &["5", "6"], "4"),
    ];

    fn status_name(id: &str) -> String {
        FAKE_STATUSES
            .iter()
            .find(|(status, _)| *status == id)
            .map_or_else(|| id.to_owned(), |(_, name)| (*name).to_owned())
    }

    fn project_key(key: &IssueKey) -> String {
        key.as_str().rsplit_once('-').map_or_else(
            || key.as_str().to_owned(),
            |(project, _)| project.to_owned(),
        )
    }

    #[derive(Debug, Default)]
    struct FakeState {
        users: Vec<JiraAccount>,
        issues: BTreeSet<IssueKey>,
        assignees: BTreeMap<IssueKey, Option<String>>,
        statuses: BTreeMap<IssueKey, String>,
        /// By key.
        projects: BTreeMap<String, FakeProject>,
        comments: BTreeMap<IssueKey, Vec<String>>,
        next_comment: u64,
        calls: Vec<WriterCall>,
        down: bool,
        refuse: Option<(u16, String)>,
    }

    /// A Jira in memory: users, issues and their assignees, a call log, and switches to make
    /// it unreachable or refuse everything.
    #[derive(Debug, Default)]
    pub struct FakeJiraWriter {
        state: Mutex<FakeState>,
    }

    impl FakeJiraWriter {
        /// A Jira with no users and no issues.
        pub fn new() -> Self {
            Self::default()
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
            self.state.lock().unwrap_or_else(PoisonError::into_inner)
        }

        /// Adds a user.
        #[must_use]
        pub fn with_user(self, name: &str, email: Option<&str>, active: bool) -> Self {
            self.lock().users.push(JiraAccount {
                name: name.to_owned(),
                email_address: email.map(str::to_owned),
                active,
            });
            self
        }

        /// Adds an issue, unassigned.
        #[must_use]
        pub fn with_issue(self, key: &str) -> Self {
            self.lock().issues.insert(IssueKey::new(key));
            self
        }

        /// Adds a project (issue types Task `10002` and Bug `10004`, ids from `10000` in the order
        /// added; its issues use the fake's workflow, [`FAKE_WORKFLOW`]) whose create screen
        /// requires `required` (field id, name) besides project, issue type and summary.
        #[must_use]
        pub fn with_project(self, key: &str, required: &[(&str, &str)]) -> Self {
            {
                let mut state = self.lock();
                let id = (10_000 + state.projects.len()).to_string();
                let required = required
                    .iter()
                    .map(|(field, name)| ((*field).to_owned(), (*name).to_owned()))
                    .collect();
                state
                    .projects
                    .insert(key.to_owned(), FakeProject { id, required });
            }
            self
        }

        /// The fields of each create request Jira accepted or refused, in order.
        pub fn create_requests(&self) -> Vec<Map<String, Value>> {
            self.calls()
                .into_iter()
                .filter_map(|call| match call {
                    WriterCall::CreateIssue(fields) => Some(fields),
                    _ => None,
                })
                .collect()
        }

        /// Puts an issue in a status (it must exist).
        pub fn set_status(&self, key: &str, status: &str) {
            self.lock()
                .statuses
                .insert(IssueKey::new(key), status.to_owned());
        }

        /// The issue's status id (`1`, Open, for a new issue).
        pub fn status(&self, key: &str) -> String {
            self.lock()
                .statuses
                .get(&IssueKey::new(key))
                .cloned()
                .unwrap_or_else(|| "1".to_owned())
        }

        /// How many transitions Jira performed or refused.
        pub fn transition_calls(&self) -> usize {
            self.calls()
                .iter()
                .filter(|call| matches!(call, WriterCall::Transition(..)))
                .count()
        }

        /// Makes every call fail as unreachable (`true`) or work again (`false`).
        pub fn set_down(&self, down: bool) {
            self.lock().down = down;
        }

        /// Makes every call be refused with this status and message (`None`: accept again).
        pub fn set_refusal(&self, refusal: Option<(u16, &str)>) {
            self.lock().refuse = refusal.map(|(status, message)| (status, message.to_owned()));
        }

        /// The issue's assignee: `None` when never assigned, `Some(None)` when cleared.
        pub fn assignee(&self, key: &str) -> Option<Option<String>> {
            self.lock().assignees.get(&IssueKey::new(key)).cloned()
        }

        /// The texts of the comments added to the issue, oldest first.
        pub fn comments(&self, key: &str) -> Vec<String> {
            self.lock()
                .comments
                .get(&IssueKey::new(key))
                .cloned()
                .unwrap_or_default()
        }

        /// Every call so far, in order.
        pub fn calls(&self) -> Vec<WriterCall> {
            self.lock().calls.clone()
        }

        /// How many assignments (assign and unassign) Jira accepted or refused.
        pub fn assign_calls(&self) -> usize {
            self.calls()
                .iter()
                .filter(|call| matches!(call, WriterCall::Assign(..)))
                .count()
        }

        fn check(state: &FakeState) -> Result<(), JiraWriteError> {
            if state.down {
                return Err(JiraWriteError::transient("connection refused"));
            }
            if let Some((status, message)) = &state.refuse {
                return Err(JiraWriteError::permanent(Some(*status), message.clone()));
            }
            Ok(())
        }
    }

    #[async_trait]
    impl JiraWriter for FakeJiraWriter {
        async fn search_users(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            email: &str,
        ) -> Result<Vec<JiraAccount>, JiraWriteError> {
            let mut state = self.lock();
            state.calls.push(WriterCall::SearchUsers(email.to_owned()));
            Self::check(&state)?;
            // Like Jira: a substring match on username, name or e-mail.
            let needle = email.to_lowercase();
            Ok(state
                .users
                .iter()
                .filter(|user| {
                    user.name.to_lowercase().contains(&needle)
                        || user
                            .email_address
                            .as_deref()
                            .is_some_and(|address| address.to_lowercase().contains(&needle))
                })
                .cloned()
                .collect())
        }

        async fn assign(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            key: &IssueKey,
            assignee: Option<&str>,
        ) -> Result<(), JiraWriteError> {
            let mut state = self.lock();
            state
                .calls
                .push(WriterCall::Assign(key.clone(), assignee.map(str::to_owned)));
            Self::check(&state)?;
            if !state.issues.contains(key) {
                return Err(JiraWriteError::permanent(
                    Some(404),
                    format!("Issue Does Not Exist: {key}"),
                ));
            }
            if let Some(name) = assignee
                && !state
                    .users
                    .iter()
                    .any(|user| user.name == name && user.active)
            {
                return Err(JiraWriteError::permanent(
                    Some(400),
                    format!("User '{name}' cannot be assigned issues."),
                ));
            }
            state
                .assignees
                .insert(key.clone(), assignee.map(str::to_owned));
            Ok(())
        }

        async fn issue_exists(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            key: &IssueKey,
        ) -> Result<bool, JiraWriteError> {
            let mut state = self.lock();
            state.calls.push(WriterCall::IssueExists(key.clone()));
            Self::check(&state)?;
            Ok(state.issues.contains(key))
        }

        async fn issue_state(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            key: &IssueKey,
        ) -> Result<Option<JiraIssueState>, JiraWriteError> {
            let mut state = self.lock();
            state.calls.push(WriterCall::IssueState(key.clone()));
            Self::check(&state)?;
            if !state.issues.contains(key) {
                return Ok(None);
            }
            let project_key = project_key(key);
            let status_id = state
                .statuses
                .get(key)
                .cloned()
                .unwrap_or_else(|| "1".to_owned());
            Ok(Some(JiraIssueState {
                project_id: state
                    .projects
                    .get(&project_key)
                    .map_or_else(|| project_key.clone(), |project| project.id.clone()),
                project_key,
                status_name: status_name(&status_id),
                status_id,
            }))
        }

        async fn transitions(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            key: &IssueKey,
        ) -> Result<Vec<JiraTransition>, JiraWriteError> {
            let mut state = self.lock();
            state.calls.push(WriterCall::Transitions(key.clone()));
            Self::check(&state)?;
            if !state.issues.contains(key) {
                return Err(JiraWriteError::permanent(
                    Some(404),
                    format!("Issue Does Not Exist: {key}"),
                ));
            }
            let current = state.statuses.get(key).map_or("1", String::as_str);
            Ok(FAKE_WORKFLOW
                .iter()
                .filter(|(_, _, from, _)| from.contains(&current))
                .map(|(id, name, _, to)| JiraTransition {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                    to_id: (*to).to_owned(),
                    to_name: status_name(to),
                })
                .collect())
        }

        async fn transition(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            key: &IssueKey,
            transition_id: &str,
        ) -> Result<(), JiraWriteError> {
            let mut state = self.lock();
            state.calls.push(WriterCall::Transition(
                key.clone(),
                transition_id.to_owned(),
            ));
            Self::check(&state)?;
            if !state.issues.contains(key) {
                return Err(JiraWriteError::permanent(
                    Some(404),
                    format!("Issue Does Not Exist: {key}"),
                ));
            }
            let current = state
                .statuses
                .get(key)
                .cloned()
                .unwrap_or_else(|| "1".to_owned());
            let Some((_, _, _, to)) = FAKE_WORKFLOW
                .iter()
                .find(|(id, _, from, _)| *id == transition_id && from.contains(&current.as_str()))
            else {
                return Err(JiraWriteError::permanent(
                    Some(400),
                    format!(
                        "It seems that you have tried to perform a workflow operation \
                         ({transition_id}) that is not valid for the current state of this \
                         issue ({key})."
                    ),
                ));
            };
            state.statuses.insert(key.clone(), (*to).to_owned());
            Ok(())
        }

        async fn project_statuses(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            project: &str,
        ) -> Result<Option<JiraProjectStatuses>, JiraWriteError> {
            let mut state = self.lock();
            state
                .calls
                .push(WriterCall::ProjectStatuses(project.to_owned()));
            Self::check(&state)?;
            Ok(state
                .project(project)
                .map(|(key, found)| JiraProjectStatuses {
                    project_id: found.id.clone(),
                    project_key: key,
                    statuses: FAKE_STATUSES
                        .iter()
                        .map(|(id, name)| JiraStatusName {
                            id: (*id).to_owned(),
                            name: (*name).to_owned(),
                        })
                        .collect(),
                }))
        }

        async fn add_comment(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            key: &IssueKey,
            body: &str,
        ) -> Result<String, JiraWriteError> {
            let mut state = self.lock();
            state
                .calls
                .push(WriterCall::AddComment(key.clone(), body.to_owned()));
            Self::check(&state)?;
            if !state.issues.contains(key) {
                return Err(JiraWriteError::permanent(
                    Some(404),
                    format!("Issue Does Not Exist: {key}"),
                ));
            }
            state.next_comment += 1;
            let id = (10_000 + state.next_comment).to_string();
            state
                .comments
                .entry(key.clone())
                .or_default()
                .push(body.to_owned());
            Ok(id)
        }

        async fn create_meta(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            project: &str,
            issue_type: &str,
        ) -> Result<JiraCreateMeta, JiraWriteError> {
            let mut state = self.lock();
            state.calls.push(WriterCall::CreateMeta(
                project.to_owned(),
                issue_type.to_owned(),
            ));
            Self::check(&state)?;
            let Some((_, found)) = state.project(project) else {
                return Err(JiraWriteError::permanent(
                    None,
                    format!(
                        "Jira's createmeta lists no project {project:?}: it does not exist, or \
                         the Jira user lacks the Create Issues permission in it"
                    ),
                ));
            };
            let Some((type_id, type_name)) = issue_type_named(issue_type) else {
                return Err(JiraWriteError::permanent(
                    None,
                    format!(
                        "Project {project} has no issue type named {issue_type:?} that the Jira \
                         user can create (it has: Task, Bug)"
                    ),
                ));
            };
            let field =
                |key: &str, name: &str, required: bool, has_default_value: bool| JiraCreateField {
                    key: key.to_owned(),
                    name: name.to_owned(),
                    required,
                    has_default_value,
                };
            let mut fields = vec![
                field("issuetype", "Issue Type", true, false),
                field("project", "Project", true, false),
                field("summary", "Summary", true, false),
                field("description", "Description", false, false),
                field("reporter", "Reporter", true, true),
                field("assignee", "Assignee", false, false),
            ];
            fields.extend(
                found
                    .required
                    .iter()
                    .map(|(key, name)| field(key, name, true, false)),
            );
            Ok(JiraCreateMeta {
                issue_type_id: type_id.to_owned(),
                issue_type_name: type_name.to_owned(),
                fields,
            })
        }

        async fn create_issue(
            &self,
            _integration: &Integration,
            _organization: OrganizationId,
            fields: &Map<String, Value>,
        ) -> Result<CreatedJiraIssue, JiraWriteError> {
            let mut state = self.lock();
            state.calls.push(WriterCall::CreateIssue(fields.clone()));
            Self::check(&state)?;
            // Like Jira: 400 with a message per field at fault.
            let mut errors = Vec::new();
            let member = |name: &str, inner: &str| {
                fields
                    .get(name)
                    .and_then(|value| value.get(inner))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let project = member("project", "key")
                .or_else(|| member("project", "id"))
                .and_then(|wanted| {
                    state
                        .project(&wanted)
                        .map(|(key, found)| (key, found.required.clone()))
                });
            if project.is_none() {
                errors.push("project: project is required".to_owned());
            }
            let issue_type = member("issuetype", "id").or_else(|| member("issuetype", "name"));
            if issue_type.as_deref().and_then(issue_type_named).is_none() {
                errors.push("issuetype: valid issue type is required".to_owned());
            }
            if fields
                .get("summary")
                .and_then(Value::as_str)
                .is_none_or(|summary| summary.trim().is_empty())
            {
                errors.push("summary: You must specify a summary of the issue.".to_owned());
            }
            for (field, name) in project.iter().flat_map(|(_, required)| required) {
                if fields.get(field).is_none_or(Value::is_null) {
                    errors.push(format!("{field}: {name} is required."));
                }
            }
            if let Some(name) = member("assignee", "name")
                && !state
                    .users
                    .iter()
                    .any(|user| user.name == name && user.active)
            {
                errors.push(format!(
                    "assignee: User '{name}' cannot be assigned issues."
                ));
            }
            let Some((project_key, _)) = project.filter(|_| errors.is_empty()) else {
                return Err(JiraWriteError::permanent(Some(400), errors.join("; ")));
            };
            let prefix = format!("{project_key}-");
            let number = state
                .issues
                .iter()
                .filter(|key| key.as_str().starts_with(&prefix))
                .count()
                + 1;
            let key = IssueKey::new(format!("{prefix}{number}"));
            state.issues.insert(key.clone());
            Ok(CreatedJiraIssue {
                id: (30_000 + state.issues.len()).to_string(),
                key,
            })
        }
    }

    impl FakeState {
        /// The project with this key or id, with its key.
        fn project(&self, key_or_id: &str) -> Option<(String, &FakeProject)> {
            self.projects
                .iter()
                .find(|(key, project)| *key == key_or_id || project.id == key_or_id)
                .map(|(key, project)| (key.clone(), project))
        }
    }

    /// The issue type (id, name) named by its id or its name (ignoring case), as Jira matches.
    fn issue_type_named(wanted: &str) -> Option<(&'static str, &'static str)> {
        ISSUE_TYPES
            .iter()
            .find(|(id, name)| *id == wanted || name.eq_ignore_ascii_case(wanted.trim()))
            .copied()
    }
}
