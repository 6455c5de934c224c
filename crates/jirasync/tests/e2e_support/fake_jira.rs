//! A fake Jira Server on 127.0.0.1: a real HTTP server with state, for the end-to-end tests.
//!
//! It implements the three OAuth 1.0a endpoints, `serverInfo`, the webhook resource of both
//! generations (9.x `/rest/webhooks/1.0/webhook`, 10.x `/rest/jira-webhook/1.0/webhooks`), user
//! look-ups, statuses, `myself`, and the issue search (`/rest/api/2/search`) over issues a test
//! changes without sending any webhook, as Jira does when it drops them. Every signed request is checked the way Jira checks it: the
//! RSA-SHA1 signature against the consumer's public key (rebuilt from the request as received),
//! the nonce against every nonce seen, the token against the tokens it issued. Refusals are 401
//! with `oauth_problem=signature_invalid`, `nonce_used` or `token_rejected` in the body and in
//! `WWW-Authenticate`, as Jira sends them. Every request is recorded for assertions, with its body.
//!
//! For outbound sync it keeps issues whole ([`FakeIssueState`]: project, summary, assignee, status
//! in a workflow, comments, history) and serves reading, assigning, transitioning, commenting and
//! creating them, `createmeta` and the user searches ([`issues`]); it builds the webhook deliveries
//! Jira would send for those changes ([`deliveries`]); [`FakeJira::set_down`] makes it answer 503
//! to everything, as a Jira that is down behind its proxy.

mod deliveries;
mod issues;
mod projects;

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use jirasync_client::PublicKey;
use jirasync_client::testing::verify_rsa_sha1_request;
use serde_json::{Value, json};
use tokio::net::TcpListener;

#[allow(unused_imports, reason = "each test binary uses part of the fake")]
pub use issues::{FakeChange, FakeChangeItem, FakeComment, FakeIssueState, FakeProject};

/// A Jira user the fake knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    /// The user name (`?username=`).
    pub name: String,
    /// The user key (`?key=`).
    pub key: String,
    /// The e-mail address, `None` when hidden.
    pub email: Option<String>,
    /// Whether the account is active (inactive users are not found by searches nor assignable).
    pub active: bool,
    /// Whether the user may be assigned issues (the Assignable User permission).
    pub assignable: bool,
}

impl FakeUser {
    /// A user with a visible e-mail address.
    pub fn new(name: &str, key: &str, email: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            key: key.to_owned(),
            email: email.map(str::to_owned),
            active: true,
            assignable: true,
        }
    }

    /// The same user, deactivated.
    #[must_use]
    pub fn inactive(mut self) -> Self {
        self.active = false;
        self
    }

    /// The same user, without the Assignable User permission.
    #[must_use]
    pub fn not_assignable(mut self) -> Self {
        self.assignable = false;
        self
    }

    fn json(&self, base_url: &str) -> Value {
        let mut user = json!({
            "self": format!("{base_url}/rest/api/2/user?username={}", self.name),
            "name": self.name,
            "key": self.key,
            "displayName": self.name,
            "active": self.active,
            "timeZone": "UTC",
        });
        if let (Some(email), Some(object)) = (&self.email, user.as_object_mut()) {
            object.insert("emailAddress".to_owned(), json!(email));
        }
        user
    }
}

/// An issue in the fake, as its search shows it (see [`FakeIssueState`] for the whole issue).
#[derive(Debug, Clone)]
pub struct FakeIssue {
    /// The assignee, `None` when unassigned.
    pub assignee: Option<FakeUser>,
    /// The status id (`1`, `3` or `10102`).
    pub status: String,
    /// `fields.updated`, as Jira writes it (`2026-06-01T10:05:00.000+0000`).
    pub updated: String,
}

/// A webhook registered in the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeWebhook {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// The URL Jira would post to.
    pub url: String,
    /// Its events.
    pub events: Vec<String>,
}

/// One request the fake received, and how it answered.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The `oauth_problem` answered, if refused.
    pub oauth_problem: Option<String>,
    /// The body received (empty for none), as text.
    pub body: String,
}

impl RecordedRequest {
    /// The body received, as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// Whether the fake answered it with a 2xx status.
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Debug)]
struct RequestTokenEntry {
    callback: Option<String>,
    verifier: Option<String>,
    exchanged: bool,
}

#[derive(Debug)]
struct Inner {
    base_url: String,
    consumer_key: String,
    public_key: PublicKey,
    version: String,
    users: Vec<FakeUser>,
    /// Status id → (name, category key).
    statuses: BTreeMap<String, (String, String)>,
    projects: Vec<FakeProject>,
    seen_nonces: HashSet<String>,
    request_tokens: BTreeMap<String, RequestTokenEntry>,
    access_tokens: BTreeMap<String, String>,
    webhooks: Vec<FakeWebhook>,
    next_id: u64,
    requests: Vec<RecordedRequest>,
    issues: BTreeMap<String, FakeIssueState>,
    /// Answer 503 to everything.
    down: bool,
    /// The last time given out, in milliseconds (dates only move forward).
    last_time_ms: i128,
    next_change_id: u64,
    next_comment_id: u64,
}

/// A running fake Jira. Dropping it leaves the server task running until the test's runtime ends.
#[derive(Debug, Clone)]
pub struct FakeJira {
    inner: Arc<Mutex<Inner>>,
    base_url: String,
}

/// The webhook collection of Jira 9 and older.
pub const LEGACY_WEBHOOKS: &str = "/rest/webhooks/1.0/webhook";
/// The webhook collection of Jira 10 and newer.
pub const JIRA10_WEBHOOKS: &str = "/rest/jira-webhook/1.0/webhooks";

impl FakeJira {
    /// Starts a fake Jira of `version` (such as `9.12.2` or `10.3.0`) that trusts `consumer_key`
    /// signing with the private key of `public_key`. It knows the statuses of its workflow
    /// (`1` Open, `4` Reopened: new; `3` In Progress: indeterminate; `5` Resolved, `6` Closed,
    /// `10102` Done: done; see [`issues`]), no users, and no projects but those of the issues a
    /// test sets.
    pub async fn start(version: &str, consumer_key: &str, public_key: PublicKey) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Jira");
        let address = listener.local_addr().expect("fake Jira address");
        let base_url = format!("http://{address}");
        let statuses = issues::STATUSES
            .iter()
            .map(|(id, name, category)| {
                (
                    (*id).to_owned(),
                    ((*name).to_owned(), (*category).to_owned()),
                )
            })
            .collect();
        let inner = Arc::new(Mutex::new(Inner {
            base_url: base_url.clone(),
            consumer_key: consumer_key.to_owned(),
            public_key,
            version: version.to_owned(),
            users: Vec::new(),
            statuses,
            projects: Vec::new(),
            seen_nonces: HashSet::new(),
            request_tokens: BTreeMap::new(),
            access_tokens: BTreeMap::new(),
            webhooks: Vec::new(),
            next_id: 1,
            requests: Vec::new(),
            issues: BTreeMap::new(),
            down: false,
            last_time_ms: 0,
            next_change_id: 10_500,
            next_comment_id: 10_100,
        }));
        let app = projects::routes(issues::routes(Router::new()))
            .route("/plugins/servlet/oauth/request-token", post(request_token))
            .route("/plugins/servlet/oauth/authorize", get(authorize))
            .route("/plugins/servlet/oauth/access-token", post(access_token))
            .route("/rest/api/2/serverInfo", get(server_info))
            .route("/rest/api/2/myself", get(myself))
            .route("/rest/api/2/user", get(user))
            .route("/rest/api/2/status", get(statuses_list))
            .route("/rest/api/2/search", get(search))
            .route(LEGACY_WEBHOOKS, any(webhook_collection))
            .route(JIRA10_WEBHOOKS, any(webhook_collection))
            .route(&format!("{LEGACY_WEBHOOKS}/{{id}}"), any(webhook_item))
            .route(&format!("{JIRA10_WEBHOOKS}/{{id}}"), any(webhook_item))
            .with_state(Arc::clone(&inner));
        tokio::spawn(async move {
            // The server ends with the test's runtime.
            let _ = axum::serve(listener, app).await;
        });
        Self { inner, base_url }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Adds a user the user API finds by name and by key.
    pub fn add_user(&self, user: FakeUser) {
        self.lock().users.push(user);
    }

    /// What the user does in the browser: approves the request token and reads the verifier
    /// Jira shows for an `oob` callback. `None` for a token the fake never issued.
    pub fn approve(&self, request_token: &str) -> Option<String> {
        approve_token(&mut self.lock(), request_token)
    }

    /// The webhooks registered now.
    pub fn webhooks(&self) -> Vec<FakeWebhook> {
        self.lock().webhooks.clone()
    }

    /// Sets an issue as Jira has it now, sending no webhook and recording no history: its
    /// assignee, status and `updated` (summary, comments and history of an existing issue are
    /// kept). A new issue gets the id its search shows (`2` and the key's number on four digits),
    /// the summary `Issue KEY`, type Bug, and its project (the key before the dash) if new.
    pub fn set_issue(&self, key: &str, issue: FakeIssue) {
        let mut inner = self.lock();
        let project_key = key
            .rsplit_once('-')
            .map_or(key, |(project, _)| project)
            .to_owned();
        inner.ensure_project(&project_key);
        if let Some(existing) = inner.issues.get_mut(key) {
            existing.assignee = issue.assignee;
            existing.status = issue.status;
            existing.updated = issue.updated;
            return;
        }
        let number = key.rsplit('-').next().unwrap_or("0");
        inner.issues.insert(
            key.to_owned(),
            FakeIssueState {
                key: key.to_owned(),
                id: format!("2{number:0>4}"),
                project_key,
                issue_type_id: "10004".to_owned(),
                summary: format!("Issue {key}"),
                description: None,
                assignee: issue.assignee,
                status: issue.status,
                created: issue.updated.clone(),
                updated: issue.updated,
                comments: Vec::new(),
                history: Vec::new(),
            },
        );
    }

    /// The whole issue with this key or id, as the fake has it now.
    pub fn issue(&self, key: &str) -> Option<FakeIssueState> {
        self.lock().find_issue(key).cloned()
    }

    /// Adds a project (for creating issues in it); replaces one with the same key.
    pub fn add_project(&self, project: FakeProject) {
        let mut inner = self.lock();
        inner.projects.retain(|known| known.key != project.key);
        inner.projects.push(project);
    }

    /// Makes creating an issue in `project_key` (added if new) require the field `field_id`
    /// (named `name` in `createmeta` and in the refusal).
    pub fn require_create_field(&self, project_key: &str, field_id: &str, name: &str) {
        let mut inner = self.lock();
        inner.ensure_project(project_key);
        if let Some(project) = inner
            .projects
            .iter_mut()
            .find(|project| project.key == project_key)
        {
            project
                .required_fields
                .push((field_id.to_owned(), name.to_owned()));
        }
    }

    /// Adds a comment to `key` as `author` would in Jira's UI, sending no webhook; `None` for an
    /// unknown issue.
    pub fn comment_as(&self, key: &str, author: &str, body: &str) -> Option<FakeComment> {
        let mut inner = self.lock();
        let key = inner.find_issue(key)?.key.clone();
        Some(inner.add_comment(&key, body, author))
    }

    /// Jira down (`true`): every request is answered 503, as a proxy in front of a stopped Jira
    /// does, and recorded; nothing changes. `false` brings it back.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// The requests received with `method` at `path`, answered or not.
    pub fn calls(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        self.lock()
            .requests
            .iter()
            .filter(|request| request.method == method && request.path == path)
            .cloned()
            .collect()
    }

    /// The requests with `method` at `path` that the fake answered with a 2xx status: what Jira
    /// applied ("delivered once" is one of these).
    pub fn applied_calls(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        let mut calls = self.calls(method, path);
        calls.retain(RecordedRequest::succeeded);
        calls
    }

    /// Trusts an access token issued elsewhere (an imported state's credentials).
    pub fn trust_access_token(&self, token: &str, secret: &str) {
        self.lock()
            .access_tokens
            .insert(token.to_owned(), secret.to_owned());
    }

    /// How many search requests were answered 200 so far.
    pub fn searches(&self) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|request| request.path == "/rest/api/2/search" && request.status == 200)
            .count()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// The `oauth_callback` each request token was asked with, in issue order.
    pub fn request_token_callbacks(&self) -> Vec<Option<String>> {
        self.lock()
            .request_tokens
            .values()
            .map(|entry| entry.callback.clone())
            .collect()
    }
}

fn approve_token(inner: &mut Inner, request_token: &str) -> Option<String> {
    let entry = inner.request_tokens.get_mut(request_token)?;
    let verifier = entry
        .verifier
        .get_or_insert_with(|| format!("verifier-{request_token}"))
        .clone();
    Some(verifier)
}

type Shared = State<Arc<Mutex<Inner>>>;

fn lock(shared: &Arc<Mutex<Inner>>) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An OAuth refusal as Jira sends it.
fn oauth_problem(problem: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            format!("OAuth realm=\"jira\", oauth_problem=\"{problem}\""),
        )],
        format!("oauth_problem={problem}"),
    )
        .into_response()
}

/// The parts of a received request its signature covers.
struct Incoming {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl<S: Send + Sync> FromRequestParts<S> for Incoming {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
        })
    }
}

/// Which token a signed request must carry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    None,
    Request,
    Access,
}

/// The verified OAuth parameters of a request.
struct Signed {
    token: Option<String>,
    verifier: Option<String>,
    callback: Option<String>,
}

fn check_signature(
    inner: &mut Inner,
    request: &Incoming,
    token_kind: TokenKind,
) -> Result<Signed, &'static str> {
    let authorization = request
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or("parameter_absent")?;
    let url = url::Url::parse(&format!("{}{}", inner.base_url, request.uri))
        .map_err(|_| "parameter_rejected")?;
    let verified = verify_rsa_sha1_request(
        request.method.as_str(),
        &url,
        authorization,
        None,
        &inner.public_key,
    )
    .map_err(|_| "signature_invalid")?;
    if verified.consumer_key != inner.consumer_key {
        return Err("consumer_key_unknown");
    }
    if !inner.seen_nonces.insert(verified.nonce.clone()) {
        return Err("nonce_used");
    }
    let known = match (token_kind, verified.token.as_deref()) {
        (TokenKind::None, _) => true,
        (TokenKind::Request, Some(token)) => inner.request_tokens.contains_key(token),
        (TokenKind::Access, Some(token)) => inner.access_tokens.contains_key(token),
        (_, None) => false,
    };
    if !known {
        return Err("token_rejected");
    }
    Ok(Signed {
        token: verified.token,
        verifier: verified.verifier,
        callback: verified.callback,
    })
}

fn record(
    inner: &mut Inner,
    method: &Method,
    uri: &Uri,
    response: &Response,
    problem: Option<&str>,
    body: &[u8],
) {
    inner.requests.push(RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        status: response.status().as_u16(),
        oauth_problem: problem.map(str::to_owned),
        body: String::from_utf8_lossy(body).into_owned(),
    });
}

/// Verifies the request's signature for `token_kind`, runs `answer` when it checks out, and
/// records the request with its outcome.
fn signed(
    shared: &Arc<Mutex<Inner>>,
    request: &Incoming,
    token_kind: TokenKind,
    answer: impl FnOnce(&mut Inner, Signed) -> Response,
) -> Response {
    signed_with_body(shared, request, token_kind, &[], answer)
}

/// [`signed`], recording the request's `body`. While the fake is down, answers 503 without
/// looking at the request.
fn signed_with_body(
    shared: &Arc<Mutex<Inner>>,
    request: &Incoming,
    token_kind: TokenKind,
    body: &[u8],
    answer: impl FnOnce(&mut Inner, Signed) -> Response,
) -> Response {
    let mut inner = lock(shared);
    let response = if inner.down {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>503 Service Unavailable</h1></body></html>",
        )
            .into_response()
    } else {
        match check_signature(&mut inner, request, token_kind) {
            Ok(signed) => answer(&mut inner, signed),
            Err(problem) => oauth_problem(problem),
        }
    };
    let problem = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split("oauth_problem=\"").nth(1))
        .map(|rest| rest.trim_end_matches('"').to_owned());
    record(
        &mut inner,
        &request.method,
        &request.uri,
        &response,
        problem.as_deref(),
        body,
    );
    response
}

fn form(pairs: &[(&str, &str)]) -> Response {
    let body = form_urlencode(pairs);
    (
        [(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
        body,
    )
        .into_response()
}

fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    serializer.finish()
}

async fn request_token(State(shared): Shared, request: Incoming) -> Response {
    signed(&shared, &request, TokenKind::None, |inner, signed| {
        let token = format!("request-token-{}", inner.next_id);
        let secret = format!("request-secret-{}", inner.next_id);
        inner.next_id += 1;
        inner.request_tokens.insert(
            token.clone(),
            RequestTokenEntry {
                callback: signed.callback,
                verifier: None,
                exchanged: false,
            },
        );
        form(&[
            ("oauth_token", &token),
            ("oauth_token_secret", &secret),
            ("oauth_callback_confirmed", "true"),
        ])
    })
}

async fn authorize(State(shared): Shared, uri: Uri) -> Response {
    let token = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "oauth_token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let mut inner = lock(&shared);
    let callback = inner
        .request_tokens
        .get(&token)
        .and_then(|entry| entry.callback.clone())
        .filter(|callback| callback != "oob");
    let response = match (approve_token(&mut inner, &token), callback) {
        // A callback URL: Jira's approval page, whose Allow button sends the browser back.
        (Some(verifier), Some(callback)) => allow_page(&callback, &token, &verifier),
        (Some(verifier), None) => {
            format!("<html><body>Your verification code is '{verifier}'.</body></html>")
                .into_response()
        }
        (None, _) => oauth_problem("token_rejected"),
    };
    record(&mut inner, &Method::GET, &uri, &response, None, &[]);
    response
}

/// The approval page a browser sees: a form whose Allow button goes to the callback with the
/// token and its verifier, as Jira's does.
fn allow_page(callback: &str, token: &str, verifier: &str) -> Response {
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    axum::response::Html(format!(
        "<!DOCTYPE html><html><head><title>Welcome to Jira</title></head><body>\
         <h1>An application would like to connect to your Jira account</h1>\
         <form method=\"get\" action=\"{}\">\
         <input type=\"hidden\" name=\"oauth_token\" value=\"{}\">\
         <input type=\"hidden\" name=\"oauth_verifier\" value=\"{}\">\
         <button type=\"submit\" id=\"approve\">Allow</button></form></body></html>",
        escape(callback),
        escape(token),
        escape(verifier)
    ))
    .into_response()
}

async fn access_token(State(shared): Shared, request: Incoming) -> Response {
    signed(&shared, &request, TokenKind::Request, |inner, signed| {
        let token = signed.token.unwrap_or_default();
        let Some(entry) = inner.request_tokens.get_mut(&token) else {
            return oauth_problem("token_rejected");
        };
        if entry.exchanged {
            return oauth_problem("token_used");
        }
        match (&entry.verifier, &signed.verifier) {
            (None, _) => return oauth_problem("permission_unknown"),
            (Some(issued), Some(sent)) if issued == sent => {}
            _ => return oauth_problem("token_rejected"),
        }
        entry.exchanged = true;
        let access = format!("access-token-{}", inner.next_id);
        let secret = format!("access-secret-{}", inner.next_id);
        inner.next_id += 1;
        inner.access_tokens.insert(access.clone(), secret.clone());
        form(&[("oauth_token", &access), ("oauth_token_secret", &secret)])
    })
}

async fn server_info(State(shared): Shared, request: Incoming) -> Response {
    signed(&shared, &request, TokenKind::Access, |inner, _| {
        let numbers: Vec<u64> = inner
            .version
            .split('.')
            .filter_map(|part| part.parse().ok())
            .collect();
        axum::Json(json!({
            "baseUrl": inner.base_url,
            "version": inner.version,
            "versionNumbers": numbers,
            "deploymentType": "Server",
            "serverTitle": "Fake Jira",
        }))
        .into_response()
    })
}

async fn myself(State(shared): Shared, request: Incoming) -> Response {
    signed(&shared, &request, TokenKind::Access, |inner, _| {
        axum::Json(FakeUser::new("admin", "admin", Some("admin@example.com")).json(&inner.base_url))
            .into_response()
    })
}

async fn user(State(shared): Shared, request: Incoming) -> Response {
    signed(&shared, &request, TokenKind::Access, |inner, _| {
        let query: Vec<(String, String)> =
            form_urlencoded::parse(request.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let found = inner.users.iter().find(|user| {
            query.iter().any(|(key, value)| {
                (key == "username" && *value == user.name) || (key == "key" && *value == user.key)
            })
        });
        match found {
            Some(user) => axum::Json(user.json(&inner.base_url)).into_response(),
            None => (
                StatusCode::NOT_FOUND,
                axum::Json(
                    json!({"errorMessages": ["The user named does not exist"], "errors": {}}),
                ),
            )
                .into_response(),
        }
    })
}

async fn statuses_list(State(shared): Shared, request: Incoming) -> Response {
    signed(&shared, &request, TokenKind::Access, |inner, _| {
        let list: Vec<Value> = inner
            .statuses
            .iter()
            .map(|(id, (name, category))| {
                json!({"id": id, "name": name, "statusCategory": {"key": category, "name": category}})
            })
            .collect();
        axum::Json(list).into_response()
    })
}

/// The collection path this Jira version serves; the other generation answers 404.
fn serves(inner: &Inner, path: &str) -> bool {
    let major: u64 = inner
        .version
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .unwrap_or_default();
    path.starts_with(if major >= 10 {
        JIRA10_WEBHOOKS
    } else {
        LEGACY_WEBHOOKS
    })
}

fn webhook_json(inner: &Inner, collection: &str, webhook: &FakeWebhook) -> Value {
    json!({
        "self": format!("{}{collection}/{}", inner.base_url, webhook.id),
        "name": webhook.name,
        "url": webhook.url,
        "events": webhook.events,
        "enabled": true,
    })
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"errorMessages": ["Not found"], "errors": {}})),
    )
        .into_response()
}

async fn webhook_collection(State(shared): Shared, request: Incoming, body: Bytes) -> Response {
    signed_with_body(&shared, &request, TokenKind::Access, &body, |inner, _| {
        let collection = request.uri.path().trim_end_matches('/').to_owned();
        if !serves(inner, &collection) {
            return not_found();
        }
        if request.method == Method::GET {
            let inner = &*inner;
            let list: Vec<Value> = inner
                .webhooks
                .iter()
                .map(|webhook| webhook_json(inner, &collection, webhook))
                .collect();
            return axum::Json(list).into_response();
        }
        if request.method != Method::POST {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        let Ok(request) = serde_json::from_slice::<Value>(&body) else {
            return (StatusCode::BAD_REQUEST, "not JSON").into_response();
        };
        let text = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
        let (Some(name), Some(url)) = (text("name"), text("url")) else {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"errorMessages": ["name and url are required"]})),
            )
                .into_response();
        };
        let events = request
            .get("events")
            .and_then(Value::as_array)
            .map(|events| {
                events
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let webhook = FakeWebhook {
            id: inner.next_id,
            name,
            url,
            events,
        };
        inner.next_id += 1;
        let answer = webhook_json(inner, &collection, &webhook);
        inner.webhooks.push(webhook);
        (StatusCode::CREATED, axum::Json(answer)).into_response()
    })
}

async fn webhook_item(
    State(shared): Shared,
    Path(id): Path<String>,
    request: Incoming,
) -> Response {
    signed(&shared, &request, TokenKind::Access, |inner, _| {
        if !serves(inner, request.uri.path()) || request.method != Method::DELETE {
            return not_found();
        }
        let before = inner.webhooks.len();
        inner
            .webhooks
            .retain(|webhook| webhook.id.to_string() != id);
        if inner.webhooks.len() == before {
            return not_found();
        }
        StatusCode::NO_CONTENT.into_response()
    })
}

/// `GET /rest/api/2/search` as Jira Server answers it, for the JQL a reconcile sends:
/// `key in ("A-1", …)`, optionally `AND updated >= "-Nm"` (relative to now), `ORDER BY key ASC`.
async fn search(State(shared): Shared, request: Incoming) -> Response {
    signed(&shared, &request, TokenKind::Access, |inner, _| {
        let query: BTreeMap<String, String> =
            form_urlencoded::parse(request.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let jql = query.get("jql").cloned().unwrap_or_default();
        let number = |name: &str| {
            query
                .get(name)
                .and_then(|value| value.parse::<usize>().ok())
        };
        let (Some(start_at), Some(max_results)) = (number("startAt"), number("maxResults")) else {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(
                    json!({"errorMessages": ["startAt and maxResults are required"], "errors": {}}),
                ),
            )
                .into_response();
        };
        let Some(keys) = jql
            .split_once("key in (")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(keys, _)| {
                keys.split(',')
                    .map(|key| key.trim().trim_matches('"').to_owned())
                    .collect::<Vec<_>>()
            })
        else {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"errorMessages": [format!("Error in the JQL Query: {jql}")], "errors": {}})),
            )
                .into_response();
        };
        let since = jql.split_once("updated >= \"-").and_then(|(_, rest)| {
            let minutes: i64 = rest.split_once("m\"")?.0.parse().ok()?;
            Some(jirasync_webhook::EventTime::from_datetime(
                time::OffsetDateTime::now_utc() - time::Duration::minutes(minutes),
            ))
        });
        let base_url = inner.base_url.clone();
        let found: Vec<Value> = inner
            .issues
            .iter()
            .filter(|(key, issue)| {
                keys.contains(key)
                    && since.is_none_or(|since| {
                        jirasync_webhook::EventTime::parse_jira(&issue.updated)
                            .is_some_and(|updated| updated >= since)
                    })
            })
            .map(|(key, issue)| {
                let (name, category) = inner
                    .statuses
                    .get(&issue.status)
                    .cloned()
                    .unwrap_or_else(|| ("Unknown".to_owned(), "undefined".to_owned()));
                json!({
                    "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
                    "id": issue.id,
                    "self": format!("{base_url}/rest/api/2/issue/{key}"),
                    "key": key,
                    "fields": {
                        "assignee": issue.assignee.as_ref().map(|user| user.json(&base_url)),
                        "updated": issue.updated,
                        "status": {
                            "self": format!("{base_url}/rest/api/2/status/{}", issue.status),
                            "name": name,
                            "id": issue.status,
                            "statusCategory": {"key": category, "name": category},
                        },
                    },
                })
            })
            .collect();
        let total = found.len();
        let page: Vec<Value> = found.into_iter().skip(start_at).take(max_results).collect();
        axum::Json(json!({
            "expand": "schema,names",
            "startAt": start_at,
            "maxResults": max_results,
            "total": total,
            "issues": page,
        }))
        .into_response()
    })
}
