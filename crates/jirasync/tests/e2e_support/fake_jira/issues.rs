//! The fake's issues and the endpoints outbound sync calls: read an issue, assign it, list and
//! perform transitions, comment, create (with `createmeta` of both generations), search users.
//!
//! Issues follow one workflow, with Jira's classic statuses and transition ids as a Jira 9
//! instance numbers them:
//!
//! | id | transition     | from                         | to               |
//! |----|----------------|------------------------------|------------------|
//! | 11 | Start Progress | Open 1, Reopened 4           | In Progress 3    |
//! | 21 | Stop Progress  | In Progress 3                | Open 1           |
//! | 31 | Resolve Issue  | Open 1, In Progress 3, Reopened 4 | Resolved 5  |
//! | 41 | Close Issue    | Open 1, In Progress 3, Reopened 4, Resolved 5 | Closed 6 |
//! | 51 | Reopen Issue   | Resolved 5, Closed 6, Done 10102 | Reopened 4   |
//! | 61 | Done           | Open 1, In Progress 3, Reopened 4 | Done 10102  |
//!
//! Open and Reopened are `new`, In Progress `indeterminate`, Resolved, Closed and Done `done`.
//! Answers and refusals are Jira Server 9's: 204 for assign and transition, 201 for comment and
//! create, 400 with `errors.assignee` for a user who does not exist or cannot be assigned, 400
//! "It seems that you have tried to perform a workflow operation …" for a transition not
//! available now, 400 with the field map for a create without a required field, 404
//! `Issue Does Not Exist`. Every change is recorded in the issue's history, from which
//! [`FakeJira::issue_updated_webhook`](super::FakeJira::issue_updated_webhook) builds the
//! delivery Jira would send.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{FakeUser, Incoming, Inner, Shared, TokenKind, signed_with_body};

/// The user every access token acts as (what `myself` answers).
pub(super) const ACTING_USER: &str = "admin";

/// A transition of the fake's workflow: id, name, the statuses it leaves from, the status it
/// reaches, and the `issue_event_type_name` of the webhook it causes.
pub(super) struct WorkflowStep {
    pub(super) id: &'static str,
    pub(super) name: &'static str,
    pub(super) from: &'static [&'static str],
    pub(super) to: &'static str,
    pub(super) event_type: &'static str,
}

/// The fake's one workflow.
pub(super) const WORKFLOW: &[WorkflowStep] = &[
    WorkflowStep {
        id: "11",
        name: "Start Progress",
        from: &["1", "4"],
        to: "3",
        event_type: "issue_work_started",
    },
    WorkflowStep {
        id: "21",
        name: "Stop Progress",
        from: &["3"],
        to: "1",
        event_type: "issue_work_stopped",
    },
    WorkflowStep {
        id: "31",
        name: "Resolve Issue",
        from: &["1", "3", "4"],
        to: "5",
        event_type: "issue_resolved",
    },
    WorkflowStep {
        id: "41",
        name: "Close Issue",
        from: &["1", "3", "4", "5"],
        to: "6",
        event_type: "issue_closed",
    },
    WorkflowStep {
        id: "51",
        name: "Reopen Issue",
        from: &["5", "6", "10102"],
        to: "4",
        event_type: "issue_reopened",
    },
    WorkflowStep {
        id: "61",
        name: "Done",
        from: &["1", "3", "4"],
        to: "10102",
        event_type: "issue_generic",
    },
];

/// The statuses of the workflow: id, name, category key.
pub(super) const STATUSES: &[(&str, &str, &str)] = &[
    ("1", "Open", "new"),
    ("3", "In Progress", "indeterminate"),
    ("4", "Reopened", "new"),
    ("5", "Resolved", "done"),
    ("6", "Closed", "done"),
    ("10102", "Done", "done"),
];

/// The issue types every project has: id, name.
pub(super) const ISSUE_TYPES: &[(&str, &str)] = &[("10002", "Task"), ("10004", "Bug")];

/// A project the fake knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeProject {
    /// Its key (`SHOP`).
    pub key: String,
    /// Its id (`10000`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Fields (id, name) creating an issue in it requires besides project, issue type and
    /// summary, such as `("customfield_10200", "Severity")`.
    pub required_fields: Vec<(String, String)>,
}

/// A comment on an issue in the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeComment {
    /// Its id.
    pub id: u64,
    /// Its text.
    pub body: String,
    /// The user name of its author.
    pub author: String,
    /// When it was written, as Jira writes it.
    pub created: String,
    /// When it was written, in milliseconds since 1970.
    pub timestamp: i64,
}

/// One entry of an issue's history (a changelog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeChange {
    /// The changelog id.
    pub id: u64,
    /// The user name of who made it.
    pub author: String,
    /// When, as Jira writes it.
    pub at: String,
    /// When, in milliseconds since 1970 (the webhook's `timestamp`).
    pub timestamp: i64,
    /// The webhook's `issue_event_type_name` (`issue_assigned`, `issue_resolved`, …).
    pub event_type: String,
    /// What changed.
    pub items: Vec<FakeChangeItem>,
}

/// One changed field, as a changelog item carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeChangeItem {
    /// `assignee`, `status`, `resolution`.
    pub field: String,
    /// The old value's id (a user key, a status id), `None` when empty.
    pub from: Option<String>,
    /// The old value's text.
    pub from_string: Option<String>,
    /// The new value's id.
    pub to: Option<String>,
    /// The new value's text.
    pub to_string: Option<String>,
}

/// An issue in the fake, whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeIssueState {
    /// Its key.
    pub key: String,
    /// Its id.
    pub id: String,
    /// Its project's key.
    pub project_key: String,
    /// Its issue type id.
    pub issue_type_id: String,
    /// Its summary.
    pub summary: String,
    /// Its description.
    pub description: Option<String>,
    /// The assignee.
    pub assignee: Option<FakeUser>,
    /// The status id.
    pub status: String,
    /// `fields.created`.
    pub created: String,
    /// `fields.updated`.
    pub updated: String,
    /// The comments, oldest first.
    pub comments: Vec<FakeComment>,
    /// The history, oldest first.
    pub history: Vec<FakeChange>,
}

impl FakeIssueState {
    /// The assignee's user name.
    pub fn assignee_name(&self) -> Option<&str> {
        self.assignee.as_ref().map(|user| user.name.as_str())
    }
}

/// A Jira error answer.
pub(super) fn jira_error(status: StatusCode, messages: &[&str], errors: Value) -> Response {
    let mut body = Map::new();
    body.insert("errorMessages".to_owned(), json!(messages));
    body.insert("errors".to_owned(), errors);
    (status, axum::Json(Value::Object(body))).into_response()
}

pub(super) fn issue_does_not_exist() -> Response {
    jira_error(StatusCode::NOT_FOUND, &["Issue Does Not Exist"], json!({}))
}

/// Jira's answer to a body that is not JSON.
fn unreadable_body() -> Response {
    jira_error(
        StatusCode::BAD_REQUEST,
        &["No content to map to Object due to end of input"],
        json!({}),
    )
}

pub(super) fn status_of(id: &str) -> (&'static str, &'static str) {
    STATUSES
        .iter()
        .find(|(status, _, _)| *status == id)
        .map_or(("Unknown", "undefined"), |(_, name, category)| {
            (name, category)
        })
}

pub(super) fn status_json(base_url: &str, id: &str) -> Value {
    let (name, category) = status_of(id);
    let (category_id, category_name) = match category {
        "new" => (2, "To Do"),
        "indeterminate" => (4, "In Progress"),
        "done" => (3, "Done"),
        _ => (1, "No Category"),
    };
    json!({
        "self": format!("{base_url}/rest/api/2/status/{id}"),
        "description": "",
        "iconUrl": format!("{base_url}/images/icons/statuses/generic.png"),
        "name": name,
        "id": id,
        "statusCategory": {
            "self": format!("{base_url}/rest/api/2/statuscategory/{category_id}"),
            "id": category_id,
            "key": category,
            "colorName": match category { "new" => "blue-gray", "done" => "green", _ => "yellow" },
            "name": category_name,
        },
    })
}

fn issue_type_json(base_url: &str, id: &str) -> Value {
    let name = ISSUE_TYPES
        .iter()
        .find(|(type_id, _)| *type_id == id)
        .map_or("Unknown", |(_, name)| name);
    json!({
        "self": format!("{base_url}/rest/api/2/issuetype/{id}"),
        "id": id,
        "description": "",
        "iconUrl": format!("{base_url}/secure/viewavatar?size=xsmall&avatarId=10303&avatarType=issuetype"),
        "name": name,
        "subtask": false,
    })
}

pub(super) fn project_json(base_url: &str, project: &FakeProject) -> Value {
    json!({
        "self": format!("{base_url}/rest/api/2/project/{}", project.id),
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "projectTypeKey": "software",
    })
}

pub(super) fn comment_json(
    base_url: &str,
    issue_id: &str,
    comment: &FakeComment,
    users: &[FakeUser],
) -> Value {
    let author = user_json_by_name(base_url, &comment.author, users);
    json!({
        "self": format!("{base_url}/rest/api/2/issue/{issue_id}/comment/{}", comment.id),
        "id": comment.id.to_string(),
        "author": author,
        "body": comment.body,
        "updateAuthor": author,
        "created": comment.created,
        "updated": comment.created,
    })
}

/// The JSON of a user the fake knows by name, or of the acting administrator.
pub(super) fn user_json_by_name(base_url: &str, name: &str, users: &[FakeUser]) -> Value {
    users
        .iter()
        .find(|user| user.name == name)
        .cloned()
        .unwrap_or_else(|| FakeUser::new(name, name, Some(&format!("{name}@example.com"))))
        .json(base_url)
}

/// Every field of an issue as `GET /rest/api/2/issue` and webhooks show them.
pub(super) fn issue_fields(inner: &Inner, issue: &FakeIssueState) -> Map<String, Value> {
    let base_url = &inner.base_url;
    let project = inner.project(&issue.project_key);
    let comments: Vec<Value> = issue
        .comments
        .iter()
        .map(|comment| comment_json(base_url, &issue.id, comment, &inner.users))
        .collect();
    let resolution = (status_of(&issue.status).1 == "done").then(|| {
        json!({"self": format!("{base_url}/rest/api/2/resolution/1"), "id": "1", "name": "Fixed", "description": "A fix for this issue is checked in."})
    });
    let fields = json!({
        "summary": issue.summary,
        "description": issue.description,
        "issuetype": issue_type_json(base_url, &issue.issue_type_id),
        "project": project.map(|project| project_json(base_url, project)),
        "assignee": issue.assignee.as_ref().map(|user| user.json(base_url)),
        "reporter": user_json_by_name(base_url, ACTING_USER, &inner.users),
        "status": status_json(base_url, &issue.status),
        "resolution": resolution,
        "created": issue.created,
        "updated": issue.updated,
        "comment": {"comments": comments, "maxResults": issue.comments.len(), "total": issue.comments.len(), "startAt": 0},
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// An issue as `GET /rest/api/2/issue/{key}` answers it, with only `wanted` fields when given.
pub(super) fn issue_json(
    inner: &Inner,
    issue: &FakeIssueState,
    wanted: Option<&[String]>,
) -> Value {
    let mut fields = issue_fields(inner, issue);
    if let Some(wanted) = wanted.filter(|wanted| !wanted.iter().any(|field| field == "*all")) {
        fields.retain(|name, _| wanted.contains(name));
    }
    json!({
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": issue.id,
        "self": format!("{}/rest/api/2/issue/{}", inner.base_url, issue.id),
        "key": issue.key,
        "fields": fields,
    })
}

fn query_pairs(request: &Incoming) -> Vec<(String, String)> {
    form_urlencoded::parse(request.uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn query_value(request: &Incoming, name: &str) -> Option<String> {
    query_pairs(request)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// `GET /rest/api/2/issue/{key}?fields=…`.
pub(super) async fn get_issue(
    State(shared): Shared,
    Path(key): Path<String>,
    request: Incoming,
) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &[], |inner, _| {
        let Some(issue) = inner.find_issue(&key) else {
            return issue_does_not_exist();
        };
        let wanted: Option<Vec<String>> = query_value(&request, "fields").map(|fields| {
            fields
                .split(',')
                .map(|field| field.trim().to_owned())
                .collect()
        });
        axum::Json(issue_json(inner, issue, wanted.as_deref())).into_response()
    })
}

/// `PUT /rest/api/2/issue/{key}/assignee` with `{"name": …}`.
pub(super) async fn assign(
    State(shared): Shared,
    Path(key): Path<String>,
    request: Incoming,
    body: Bytes,
) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &body, |inner, _| {
        if inner.find_issue(&key).is_none() {
            return issue_does_not_exist();
        }
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            return unreadable_body();
        };
        let Some(name) = body.get("name") else {
            return jira_error(
                StatusCode::BAD_REQUEST,
                &[],
                json!({"assignee": "Invalid assignee"}),
            );
        };
        let assignee = match name {
            Value::Null => None,
            // "-1": the project's default assignee, which is "unassigned" in the fake.
            Value::String(name) if name == "-1" => None,
            Value::String(name) => {
                let Some(user) = inner.users.iter().find(|user| user.name == *name) else {
                    return jira_error(
                        StatusCode::BAD_REQUEST,
                        &[],
                        json!({"assignee": format!("User '{name}' does not exist.")}),
                    );
                };
                if !user.active || !user.assignable {
                    return jira_error(
                        StatusCode::BAD_REQUEST,
                        &[],
                        json!({"assignee": format!("User '{name}' cannot be assigned issues.")}),
                    );
                }
                Some(user.clone())
            }
            _ => {
                return jira_error(
                    StatusCode::BAD_REQUEST,
                    &[],
                    json!({"assignee": "Invalid assignee"}),
                );
            }
        };
        inner.change_assignee(&key, assignee, ACTING_USER);
        StatusCode::NO_CONTENT.into_response()
    })
}

fn transition_json(base_url: &str, step: &WorkflowStep) -> Value {
    json!({
        "id": step.id,
        "name": step.name,
        "to": status_json(base_url, step.to),
        "hasScreen": false,
        "isGlobal": false,
        "isInitial": false,
        "isConditional": false,
    })
}

/// `GET` and `POST /rest/api/2/issue/{key}/transitions`.
pub(super) async fn transitions(
    State(shared): Shared,
    Path(key): Path<String>,
    request: Incoming,
    body: Bytes,
) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &body, |inner, _| {
        let Some(issue) = inner.find_issue(&key) else {
            return issue_does_not_exist();
        };
        let (issue_key, status) = (issue.key.clone(), issue.status.clone());
        if request.method == Method::GET {
            let available: Vec<Value> = WORKFLOW
                .iter()
                .filter(|step| step.from.contains(&status.as_str()))
                .map(|step| transition_json(&inner.base_url, step))
                .collect();
            return axum::Json(json!({"expand": "transitions", "transitions": available}))
                .into_response();
        }
        if request.method != Method::POST {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            return unreadable_body();
        };
        let Some(id) = body.pointer("/transition/id").and_then(|id| match id {
            Value::String(id) => Some(id.clone()),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        }) else {
            return jira_error(
                StatusCode::BAD_REQUEST,
                &["Missing 'transition' identifier"],
                json!({}),
            );
        };
        let Some(step) = WORKFLOW.iter().find(|step| step.id == id) else {
            return jira_error(
                StatusCode::BAD_REQUEST,
                &[&format!(
                    "Transition id '{id}' is not valid for this issue."
                )],
                json!({}),
            );
        };
        if !step.from.contains(&status.as_str()) {
            return jira_error(
                StatusCode::BAD_REQUEST,
                &[&format!(
                    "It seems that you have tried to perform a workflow operation ({}) that is not \
                     valid for the current state of this issue ({issue_key}). The likely cause is \
                     that somebody has changed the issue recently, please look at the issue \
                     history for details.",
                    step.name
                )],
                json!({}),
            );
        }
        inner.change_status(&issue_key, step, ACTING_USER);
        StatusCode::NO_CONTENT.into_response()
    })
}

/// `POST /rest/api/2/issue/{key}/comment` with `{"body": …}` (and `GET`, the comment list).
pub(super) async fn comment(
    State(shared): Shared,
    Path(key): Path<String>,
    request: Incoming,
    body: Bytes,
) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &body, |inner, _| {
        let Some(issue) = inner.find_issue(&key) else {
            return issue_does_not_exist();
        };
        let (issue_key, issue_id) = (issue.key.clone(), issue.id.clone());
        if request.method == Method::GET {
            let comments: Vec<Value> = issue
                .comments
                .iter()
                .map(|comment| comment_json(&inner.base_url, &issue_id, comment, &inner.users))
                .collect();
            let total = comments.len();
            return axum::Json(
                json!({"startAt": 0, "maxResults": total, "total": total, "comments": comments}),
            )
            .into_response();
        }
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            return unreadable_body();
        };
        let text = body.get("body").and_then(Value::as_str).unwrap_or_default();
        if text.trim().is_empty() {
            return jira_error(
                StatusCode::BAD_REQUEST,
                &[],
                json!({"comment": "Comment body can not be empty!"}),
            );
        }
        let comment = inner.add_comment(&issue_key, text, ACTING_USER);
        let answer = comment_json(&inner.base_url, &issue_id, &comment, &inner.users);
        (StatusCode::CREATED, axum::Json(answer)).into_response()
    })
}

/// `POST /rest/api/2/issue` with `{"fields": {…}}`.
pub(super) async fn create_issue(
    State(shared): Shared,
    request: Incoming,
    body: Bytes,
) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &body, |inner, _| {
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            return unreadable_body();
        };
        let fields = body
            .get("fields")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut errors = Map::new();
        let project = fields.get("project").and_then(|project| {
            let key = project.get("key").and_then(Value::as_str);
            let id = project.get("id").and_then(Value::as_str);
            inner
                .projects
                .iter()
                .find(|known| Some(known.key.as_str()) == key || Some(known.id.as_str()) == id)
                .cloned()
        });
        if project.is_none() {
            errors.insert("project".into(), json!("project is required"));
        }
        let issue_type = fields.get("issuetype").and_then(|issue_type| {
            let id = issue_type.get("id").and_then(Value::as_str);
            let name = issue_type.get("name").and_then(Value::as_str);
            ISSUE_TYPES
                .iter()
                .find(|(type_id, type_name)| Some(*type_id) == id || Some(*type_name) == name)
                .map(|(type_id, _)| (*type_id).to_owned())
        });
        if issue_type.is_none() {
            errors.insert("issuetype".into(), json!("valid issue type is required"));
        }
        let summary = fields
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if summary.trim().is_empty() {
            errors.insert(
                "summary".into(),
                json!("You must specify a summary of the issue."),
            );
        }
        for (field, name) in project.iter().flat_map(|project| &project.required_fields) {
            if fields.get(field).is_none_or(Value::is_null) {
                errors.insert(field.clone(), json!(format!("{name} is required.")));
            }
        }
        let assignee = match fields
            .get("assignee")
            .and_then(|assignee| assignee.get("name"))
            .and_then(Value::as_str)
        {
            None => None,
            Some(name) => match inner
                .users
                .iter()
                .find(|user| user.name == name && user.active && user.assignable)
            {
                Some(user) => Some(user.clone()),
                None => {
                    errors.insert(
                        "assignee".into(),
                        json!(format!("User '{name}' cannot be assigned issues.")),
                    );
                    None
                }
            },
        };
        let (Some(project), Some(issue_type), true) = (project, issue_type, errors.is_empty())
        else {
            return jira_error(StatusCode::BAD_REQUEST, &[], Value::Object(errors));
        };
        let description = fields
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let issue = inner.create_issue(&project.key, &issue_type, summary, description, assignee);
        (
            StatusCode::CREATED,
            axum::Json(json!({
                "id": issue.id,
                "key": issue.key,
                "self": format!("{}/rest/api/2/issue/{}", inner.base_url, issue.id),
            })),
        )
            .into_response()
    })
}

/// The fields of the create screen of `project`, as the per-issue-type `createmeta` lists them.
fn create_fields(base_url: &str, project: &FakeProject, issue_type: &str) -> Vec<Value> {
    let mut fields = vec![
        json!({"required": true, "schema": {"type": "issuetype", "system": "issuetype"}, "name": "Issue Type", "fieldId": "issuetype", "hasDefaultValue": false, "operations": [], "allowedValues": [issue_type_json(base_url, issue_type)]}),
        json!({"required": true, "schema": {"type": "project", "system": "project"}, "name": "Project", "fieldId": "project", "hasDefaultValue": false, "operations": ["set"], "allowedValues": [project_json(base_url, project)]}),
        json!({"required": true, "schema": {"type": "string", "system": "summary"}, "name": "Summary", "fieldId": "summary", "hasDefaultValue": false, "operations": ["set"]}),
        json!({"required": false, "schema": {"type": "string", "system": "description"}, "name": "Description", "fieldId": "description", "hasDefaultValue": false, "operations": ["set"]}),
        json!({"required": true, "schema": {"type": "user", "system": "reporter"}, "name": "Reporter", "fieldId": "reporter", "hasDefaultValue": true, "operations": ["set"]}),
        json!({"required": false, "schema": {"type": "user", "system": "assignee"}, "name": "Assignee", "fieldId": "assignee", "hasDefaultValue": false, "operations": ["set"]}),
    ];
    fields.extend(project.required_fields.iter().map(|(id, name)| {
        json!({"required": true, "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"}, "name": name, "fieldId": id, "hasDefaultValue": false, "operations": ["set"]})
    }));
    fields
}

/// A page of the per-issue-type `createmeta`, from `startAt`/`maxResults` of the query.
fn createmeta_page(request: &Incoming, values: Vec<Value>) -> Response {
    let number = |name: &str, default: usize| {
        query_value(request, name)
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let (start_at, max_results) = (number("startAt", 0), number("maxResults", 50).max(1));
    let total = values.len();
    let page: Vec<Value> = values
        .into_iter()
        .skip(start_at)
        .take(max_results)
        .collect();
    axum::Json(json!({
        "maxResults": max_results,
        "startAt": start_at,
        "total": total,
        "isLast": start_at + page.len() >= total,
        "values": page,
    }))
    .into_response()
}

/// Whether this Jira serves the per-issue-type `createmeta` (8.4 and newer) and the legacy one
/// (before 9).
fn createmeta_generations(inner: &Inner) -> (bool, bool) {
    let numbers: Vec<u64> = inner
        .version
        .split('.')
        .filter_map(|part| part.parse().ok())
        .collect();
    let (major, minor) = (
        numbers.first().copied().unwrap_or_default(),
        numbers.get(1).copied().unwrap_or_default(),
    );
    ((major, minor) >= (8, 4), major < 9)
}

pub(super) fn project_not_found(project: &str) -> Response {
    jira_error(
        StatusCode::NOT_FOUND,
        &[&format!("No project could be found with key '{project}'.")],
        json!({}),
    )
}

/// `GET /rest/api/2/issue/createmeta/{project}/issuetypes` (Jira 8.4 and newer).
pub(super) async fn createmeta_issue_types(
    State(shared): Shared,
    Path(project): Path<String>,
    request: Incoming,
) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &[], |inner, _| {
        if !createmeta_generations(inner).0 {
            return super::not_found();
        }
        if inner.project(&project).is_none() {
            return project_not_found(&project);
        }
        let values = ISSUE_TYPES
            .iter()
            .map(|(id, _)| issue_type_json(&inner.base_url, id))
            .collect();
        createmeta_page(&request, values)
    })
}

/// `GET /rest/api/2/issue/createmeta/{project}/issuetypes/{id}` (Jira 8.4 and newer).
pub(super) async fn createmeta_fields(
    State(shared): Shared,
    Path((project, issue_type)): Path<(String, String)>,
    request: Incoming,
) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &[], |inner, _| {
        if !createmeta_generations(inner).0 {
            return super::not_found();
        }
        let Some(project) = inner.project(&project).cloned() else {
            return project_not_found(&project);
        };
        if !ISSUE_TYPES.iter().any(|(id, _)| *id == issue_type) {
            return jira_error(
                StatusCode::NOT_FOUND,
                &[&format!(
                    "Issue type with id '{issue_type}' does not exist."
                )],
                json!({}),
            );
        }
        createmeta_page(
            &request,
            create_fields(&inner.base_url, &project, &issue_type),
        )
    })
}

/// `GET /rest/api/2/issue/createmeta?projectKeys=…&expand=projects.issuetypes.fields` (before
/// Jira 9).
pub(super) async fn createmeta_legacy(State(shared): Shared, request: Incoming) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &[], |inner, _| {
        if !createmeta_generations(inner).1 {
            return super::not_found();
        }
        let pairs = query_pairs(&request);
        let wanted: Vec<String> = pairs
            .iter()
            .filter(|(key, _)| key == "projectKeys" || key == "projectIds")
            .flat_map(|(_, value)| value.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let with_fields = pairs
            .iter()
            .any(|(key, value)| key == "expand" && value.contains("projects.issuetypes.fields"));
        let projects: Vec<Value> = inner
            .projects
            .iter()
            .filter(|project| {
                wanted.is_empty() || wanted.contains(&project.key) || wanted.contains(&project.id)
            })
            .map(|project| {
                let issue_types: Vec<Value> = ISSUE_TYPES
                    .iter()
                    .map(|(id, _)| {
                        let mut issue_type = issue_type_json(&inner.base_url, id);
                        if with_fields {
                            let fields: Map<String, Value> =
                                create_fields(&inner.base_url, project, id)
                                    .into_iter()
                                    .filter_map(|mut field| {
                                        let id = field.get("fieldId")?.as_str()?.to_owned();
                                        field.as_object_mut()?.remove("fieldId");
                                        Some((id, field))
                                    })
                                    .collect();
                            issue_type["fields"] = Value::Object(fields);
                        }
                        issue_type
                    })
                    .collect();
                let mut json = project_json(&inner.base_url, project);
                json["issuetypes"] = Value::Array(issue_types);
                json
            })
            .collect();
        axum::Json(json!({"expand": "projects", "projects": projects})).into_response()
    })
}

/// Whether Jira Server's user search matches `user` for `query`: a prefix of the user name, of a
/// word of the display name, or of the e-mail address when it is visible, ignoring case.
fn user_matches(user: &FakeUser, query: &str) -> bool {
    let query = query.to_lowercase();
    let display = user.name.to_lowercase();
    user.name.to_lowercase().starts_with(&query)
        || display
            .split_whitespace()
            .any(|word| word.starts_with(&query))
        || user
            .email
            .as_deref()
            .is_some_and(|email| email.to_lowercase().starts_with(&query))
}

fn search_answer(inner: &Inner, request: &Incoming, keep: impl Fn(&FakeUser) -> bool) -> Response {
    let Some(query) = query_value(request, "username").filter(|query| !query.is_empty()) else {
        return jira_error(
            StatusCode::BAD_REQUEST,
            &["The username query parameter was not provided"],
            json!({}),
        );
    };
    let max_results = query_value(request, "maxResults")
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(50);
    let found: Vec<Value> = inner
        .users
        .iter()
        .filter(|user| user.active && keep(user) && user_matches(user, &query))
        .take(max_results)
        .map(|user| user.json(&inner.base_url))
        .collect();
    axum::Json(found).into_response()
}

/// `GET /rest/api/2/user/search?username=…&maxResults=…`: active users only, as by default.
pub(super) async fn user_search(State(shared): Shared, request: Incoming) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &[], |inner, _| {
        search_answer(inner, &request, |_| true)
    })
}

/// `GET /rest/api/2/user/assignable/search?issueKey=…&username=…`.
pub(super) async fn assignable_search(State(shared): Shared, request: Incoming) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &[], |inner, _| {
        let issue = query_value(&request, "issueKey").unwrap_or_default();
        if inner.find_issue(&issue).is_none() {
            return issue_does_not_exist();
        }
        search_answer(inner, &request, |user| user.assignable)
    })
}

/// The routes of this module, added to the fake's router.
pub(super) fn routes(
    router: axum::Router<Arc<std::sync::Mutex<Inner>>>,
) -> axum::Router<Arc<std::sync::Mutex<Inner>>> {
    use axum::routing::{get, post, put};
    router
        .route("/rest/api/2/issue", post(create_issue))
        .route("/rest/api/2/issue/createmeta", get(createmeta_legacy))
        .route(
            "/rest/api/2/issue/createmeta/{project}/issuetypes",
            get(createmeta_issue_types),
        )
        .route(
            "/rest/api/2/issue/createmeta/{project}/issuetypes/{id}",
            get(createmeta_fields),
        )
        .route("/rest/api/2/issue/{key}", get(get_issue))
        .route("/rest/api/2/issue/{key}/assignee", put(assign))
        .route(
            "/rest/api/2/issue/{key}/transitions",
            get(transitions).post(transitions),
        )
        .route(
            "/rest/api/2/issue/{key}/comment",
            get(comment).post(comment),
        )
        .route("/rest/api/2/user/search", get(user_search))
        .route("/rest/api/2/user/assignable/search", get(assignable_search))
}

impl Inner {
    /// The project with this key or id.
    pub(super) fn project(&self, key_or_id: &str) -> Option<&FakeProject> {
        self.projects
            .iter()
            .find(|project| project.key == key_or_id || project.id == key_or_id)
    }

    /// Adds the project of `key` (the part before the dash) unless the fake knows it.
    pub(super) fn ensure_project(&mut self, project_key: &str) {
        if self.project(project_key).is_none() {
            let id = 10_000 + self.projects.len();
            self.projects.push(FakeProject {
                key: project_key.to_owned(),
                id: id.to_string(),
                name: format!("Project {project_key}"),
                required_fields: Vec::new(),
            });
        }
    }

    /// The issue with this key or id.
    pub(super) fn find_issue(&self, key_or_id: &str) -> Option<&FakeIssueState> {
        self.issues
            .get(key_or_id)
            .or_else(|| self.issues.values().find(|issue| issue.id == key_or_id))
    }

    /// Jira's clock as it writes dates, strictly later than any date it gave before (so two
    /// changes in one millisecond still order).
    pub(super) fn now_jira(&mut self) -> (String, i64) {
        let now = time::OffsetDateTime::now_utc();
        let millis = now.unix_timestamp_nanos() / 1_000_000;
        let millis = millis.max(self.last_time_ms + 1);
        self.last_time_ms = millis;
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).unwrap_or(now);
        let text = at
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
            ))
            .unwrap_or_default();
        (text, i64::try_from(millis).unwrap_or(i64::MAX))
    }

    fn record_change(
        &mut self,
        key: &str,
        author: &str,
        event_type: &str,
        items: Vec<FakeChangeItem>,
    ) {
        let (at, timestamp) = self.now_jira();
        let id = self.next_change_id;
        self.next_change_id += 1;
        if let Some(issue) = self.issues.get_mut(key) {
            issue.updated.clone_from(&at);
            issue.history.push(FakeChange {
                id,
                author: author.to_owned(),
                at,
                timestamp,
                event_type: event_type.to_owned(),
                items,
            });
        }
    }

    /// Sets the assignee of `key` and records the change (nothing when it is the same).
    pub(super) fn change_assignee(&mut self, key: &str, assignee: Option<FakeUser>, author: &str) {
        let Some(issue) = self.issues.get_mut(key) else {
            return;
        };
        let before = issue.assignee.clone();
        if before.as_ref().map(|user| &user.key) == assignee.as_ref().map(|user| &user.key) {
            return;
        }
        issue.assignee.clone_from(&assignee);
        let item = FakeChangeItem {
            field: "assignee".into(),
            from: before.as_ref().map(|user| user.key.clone()),
            from_string: before.map(|user| user.name),
            to: assignee.as_ref().map(|user| user.key.clone()),
            to_string: assignee.map(|user| user.name),
        };
        self.record_change(key, author, "issue_assigned", vec![item]);
    }

    /// Moves `key` through `step` and records the change, with the resolution as Jira sets it.
    pub(super) fn change_status(&mut self, key: &str, step: &WorkflowStep, author: &str) {
        let Some(issue) = self.issues.get_mut(key) else {
            return;
        };
        let before = std::mem::replace(&mut issue.status, step.to.to_owned());
        let was_done = status_of(&before).1 == "done";
        let is_done = status_of(step.to).1 == "done";
        let mut items = vec![FakeChangeItem {
            field: "status".into(),
            from: Some(before.clone()),
            from_string: Some(status_of(&before).0.to_owned()),
            to: Some(step.to.to_owned()),
            to_string: Some(status_of(step.to).0.to_owned()),
        }];
        if was_done != is_done {
            let fixed = (Some("1".to_owned()), Some("Fixed".to_owned()));
            let (from, from_string) = if was_done {
                fixed.clone()
            } else {
                (None, None)
            };
            let (to, to_string) = if is_done { fixed } else { (None, None) };
            items.insert(
                0,
                FakeChangeItem {
                    field: "resolution".into(),
                    from,
                    from_string,
                    to,
                    to_string,
                },
            );
        }
        self.record_change(key, author, step.event_type, items);
    }

    /// Adds a comment to `key`.
    pub(super) fn add_comment(&mut self, key: &str, body: &str, author: &str) -> FakeComment {
        let (created, timestamp) = self.now_jira();
        let comment = FakeComment {
            id: self.next_comment_id,
            body: body.to_owned(),
            author: author.to_owned(),
            created: created.clone(),
            timestamp,
        };
        self.next_comment_id += 1;
        if let Some(issue) = self.issues.get_mut(key) {
            issue.comments.push(comment.clone());
            issue.updated = created;
        }
        comment
    }

    /// Creates an issue in `project_key`, Open, with the next key of the project.
    pub(super) fn create_issue(
        &mut self,
        project_key: &str,
        issue_type: &str,
        summary: String,
        description: Option<String>,
        assignee: Option<FakeUser>,
    ) -> FakeIssueState {
        let prefix = format!("{project_key}-");
        let number = self
            .issues
            .keys()
            .filter_map(|key| key.strip_prefix(&prefix)?.parse::<u64>().ok())
            .max()
            .unwrap_or_default()
            + 1;
        let key = format!("{prefix}{number}");
        let (now, _) = self.now_jira();
        let issue = FakeIssueState {
            key: key.clone(),
            id: (30_000 + self.issues.len()).to_string(),
            project_key: project_key.to_owned(),
            issue_type_id: issue_type.to_owned(),
            summary,
            description,
            assignee,
            status: "1".to_owned(),
            created: now.clone(),
            updated: now,
            comments: Vec::new(),
            history: Vec::new(),
        };
        self.issues.insert(key, issue.clone());
        issue
    }
}
