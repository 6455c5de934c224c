//! The server-rendered setup pages (reference-behaviour §1.3): the form, Jira's callback, the
//! success page and the "Setup Error" page. Every value written into a page is escaped.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use jirasync_domain::SecretString;
use jirasync_service::{Field, FieldErrors, InstallationInput, validate_installation};

use super::access::AccessRefusal;
use super::flow::{
    InstallSummary, SetupError, WebhookSummary, finish_authorization, start_authorization,
};
use super::pipeline::{Pipeline, PipelineFlow, PipelineId, PipelineStage};
use super::session::{session_id, set_session_cookie};
use super::{SETUP_PATH, SETUP_TOKEN_PARAMETER, SetupGrant, SetupState};

/// The form's hidden CSRF field.
const CSRF_FIELD: &str = "csrf_token";

/// Escapes text for HTML element content and double-quoted attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The pages' look: readable on any screen, fields under their labels. Inline, so a page needs
/// nothing else from the server.
const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;\
max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#172b4d}\
h1{font-size:1.6rem;margin-bottom:1.5rem}\
label{display:block;font-weight:600;margin-bottom:.25rem}\
label.check{font-weight:normal}\
input[type=url],input:not([type]),textarea{display:block;width:100%;box-sizing:border-box;\
padding:.45rem;font:inherit;border:1px solid #8993a4;border-radius:3px}\
textarea{font-family:ui-monospace,monospace;font-size:.8rem}\
form p{margin:0 0 1rem}\
button{padding:.5rem 1.4rem;font:inherit;font-weight:600;color:#fff;background:#0052cc;\
border:0;border-radius:3px;cursor:pointer}\
.error{color:#bf2600;font-weight:600}\
dt{font-weight:600}dd{margin:0 0 .75rem}\
pre{white-space:pre-wrap;word-break:break-all;background:#f4f5f7;padding:.75rem}";

/// A whole page. `body` is HTML built from escaped parts.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · jirasync</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title),
    );
    let mut response = (status, Html(html)).into_response();
    // Pages carry a CSRF token or install details: never cache them, and never tell another
    // site which page (and query) a link came from.
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The "Setup Error" page with the message.
pub(super) fn error_page(error: &SetupError) -> Response {
    // Without a credential, the form would only refuse again: the message says what to do.
    let start_again = match error {
        SetupError::Access(_) | SetupError::SessionExpired => String::new(),
        _ => format!("<p><a href=\"{SETUP_PATH}\">Start again</a></p>\n"),
    };
    let body = format!(
        "<p class=\"error\">{}</p>\n{start_again}",
        escape(&error.to_string())
    );
    let mut response = page(error.page_status(), "Setup Error", &body);
    error.decorate(&mut response);
    response
}

/// What the form shows again after a refused submission.
#[derive(Debug, Default)]
struct FormValues {
    url: String,
    consumer_key: String,
    verify_ssl: bool,
    manual_webhook: bool,
    organization: String,
}

fn field_errors_html(errors: &FieldErrors, field: Field) -> String {
    errors
        .messages(field)
        .map(|message| format!("<p class=\"error\">{}</p>\n", escape(message)))
        .collect()
}

/// The installation form. The private key is never written back into a page.
fn form_page(
    pipeline: &Pipeline,
    ask_organization: bool,
    values: &FormValues,
    errors: &FieldErrors,
) -> Response {
    let checked = |on: bool| if on { " checked" } else { "" };
    let mut body = format!(
        "<form method=\"post\" action=\"{SETUP_PATH}\">\n\
         <input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{csrf}\">\n",
        csrf = escape(pipeline.csrf_token.expose_secret()),
    );
    if ask_organization {
        let _ = write!(
            body,
            "<p><label for=\"organization\">Organization id</label>\n\
             <input id=\"organization\" name=\"organization\" value=\"{}\" required></p>\n{}",
            escape(&values.organization),
            field_errors_html(errors, Field::Organization),
        );
    }
    let _ = write!(
        body,
        "<p><label for=\"url\">Jira URL</label>\n\
         <input id=\"url\" name=\"url\" type=\"url\" value=\"{url}\" placeholder=\"https://jira.example.com\" required></p>\n{url_errors}\
         <p><label for=\"consumer_key\">Consumer key</label>\n\
         <input id=\"consumer_key\" name=\"consumer_key\" value=\"{key}\" maxlength=\"200\" required></p>\n{key_errors}\
         <p><label for=\"private_key\">Private key</label>\n\
         <textarea id=\"private_key\" name=\"private_key\" rows=\"10\" cols=\"70\" \
         placeholder=\"-----BEGIN PRIVATE KEY-----\" required></textarea></p>\n{pem_errors}\
         <p><label class=\"check\"><input type=\"checkbox\" name=\"verify_ssl\" value=\"on\"{verify}> Verify SSL</label></p>\n\
         <p><label class=\"check\"><input type=\"checkbox\" name=\"manual_webhook\" value=\"on\"{manual}> \
         A Jira administrator will create the webhook (show me its URL)</label></p>\n\
         <p><button type=\"submit\">Submit</button></p>\n</form>\n",
        url = escape(&values.url),
        url_errors = field_errors_html(errors, Field::Url),
        key = escape(&values.consumer_key),
        key_errors = field_errors_html(errors, Field::ConsumerKey),
        pem_errors = field_errors_html(errors, Field::PrivateKey),
        verify = checked(values.verify_ssl),
        manual = checked(values.manual_webhook),
    );
    page(StatusCode::OK, "Connect Jira Server", &body)
}

/// The success page: what was installed and the webhook.
fn success_page(summary: &InstallSummary) -> Response {
    let integration = &summary.integration;
    let mut body = format!(
        "<p>jirasync is connected to Jira.</p>\n<dl>\n\
         <dt>Jira URL</dt><dd>{base_url}</dd>\n\
         <dt>Integration</dt><dd>{name} ({external_id}), id {id}{new}</dd>\n\
         <dt>Organization</dt><dd>{organization}</dd>\n</dl>\n",
        base_url = escape(&integration.base_url),
        name = escape(&integration.name),
        external_id = escape(&integration.external_id),
        id = integration.id,
        new = if summary.integration_created {
            ", new"
        } else {
            ", already known: credentials updated"
        },
        organization = summary.organization_id,
    );
    match &summary.webhook {
        WebhookSummary::Ensured { action, id, .. } => {
            let _ = writeln!(
                body,
                "<p>Issue webhook: {action} in Jira{id}.</p>",
                action = escape(action),
                id = id
                    .as_deref()
                    .map(|id| format!(" (id {})", escape(id)))
                    .unwrap_or_default(),
            );
        }
        WebhookSummary::Manual { url } => {
            let _ = write!(
                body,
                "<p>No webhook was registered. Ask a Jira administrator to create one \
                 (Administration → System → WebHooks) for the events <em>issue created</em> and \
                 <em>issue updated</em> with this URL. Keep it private: it identifies this \
                 installation.</p>\n<pre><code>{}</code></pre>\n",
                escape(url)
            );
        }
    }
    body.push_str(
        "<p>Next: nothing syncs until your application's issues are linked to Jira issues and \
         sync is turned on for the organization. The operator of jirasync does that with \
         <code>jirasync config set</code> and <code>jirasync link ISSUE JIRA-KEY</code>, or \
         the application through jirasync's HTTP API (see docs/api.md).</p>\n",
    );
    page(StatusCode::OK, "Jira Server connected", &body)
}

/// The page a JSON-driven pipeline's popup lands on: the application that opened it continues.
fn returned_to_application_page() -> Response {
    page(
        StatusCode::OK,
        "Authorization received",
        "<p>Jira approved access. Close this window and continue in the application that \
         started the setup.</p>\n",
    )
}

fn query_pairs(query: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn redirect(location: &str) -> Response {
    redirect_with(StatusCode::FOUND, location)
}

/// 303 to a page of this service, fetched with GET.
fn see_other(location: &str) -> Response {
    let mut response = redirect_with(StatusCode::SEE_OTHER, location);
    response
        .headers_mut()
        .insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn redirect_with(status: StatusCode, location: &str) -> Response {
    let mut response = status.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// `GET /extensions/jira-server/setup/`: Jira's callback when the query has `oauth_token` or
/// `oauth_verifier`, else the form. A credential (the admin token as bearer, or a set-up link's
/// `setup_token`) starts a session; a link's token is then taken out of the address bar by a
/// redirect. Without a credential the browser's live session shows the form again; without
/// either the answer is 401.
pub(super) async fn show_form_or_callback(
    State(state): State<SetupState>,
    grant: Option<Extension<SetupGrant>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query_pairs(query.as_deref());
    if query.contains_key("oauth_token") || query.contains_key("oauth_verifier") {
        return callback(&state, &headers, &query).await;
    }
    let setup_token = query.get(SETUP_TOKEN_PARAMETER).map(String::as_str);
    let grant = grant.map(|Extension(grant)| grant);
    let existing = match session_id(&headers) {
        Some(id) => match state.pipelines.get(&id).await {
            Ok(pipeline) => pipeline
                .filter(|pipeline| pipeline.flow == PipelineFlow::Html)
                .map(|pipeline| (id, pipeline)),
            Err(error) => return error_page(&SetupError::Pipelines(error)),
        },
        None => None,
    };
    // Opening the form again starts over, keeping this browser's session and CSRF token; a new
    // credential starts a new session.
    let (id, pipeline) = match (existing, grant) {
        (Some((id, mut pipeline)), grant)
            if grant.as_ref().is_none_or(|grant| *grant == pipeline.grant) =>
        {
            if let Err(refusal) = state.access.recheck(&pipeline.grant).await {
                return error_page(&refusal.into());
            }
            pipeline.stage = PipelineStage::Config;
            (id, pipeline)
        }
        (_, Some(grant)) => (
            PipelineId::generate(),
            Pipeline::new(PipelineFlow::Html, grant),
        ),
        (None | Some(_), None) => {
            return error_page(&SetupError::Access(AccessRefusal::Missing));
        }
    };
    if let Err(error) = state.pipelines.insert(&id, pipeline.clone()).await {
        return error_page(&SetupError::Pipelines(error));
    }
    let mut response = if setup_token.is_some() {
        // Keep the link's token out of the address bar, the history and any Referer.
        see_other(SETUP_PATH)
    } else {
        let values = FormValues {
            verify_ssl: true,
            organization: query.get("organization").cloned().unwrap_or_default(),
            ..FormValues::default()
        };
        form_page(
            &pipeline,
            state.organization_for(&pipeline.grant).is_none(),
            &values,
            &FieldErrors::default(),
        )
    };
    set_session_cookie(response.headers_mut(), &id, state.secure_cookie());
    response
}

async fn callback(
    state: &SetupState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Response {
    let Some(id) = session_id(headers) else {
        return error_page(&SetupError::SessionExpired);
    };
    match state.pipelines.get(&id).await {
        Ok(Some(pipeline)) if pipeline.flow == PipelineFlow::Json => {
            return returned_to_application_page();
        }
        Ok(Some(_)) => {}
        Ok(None) => return error_page(&SetupError::SessionExpired),
        Err(error) => return error_page(&SetupError::Pipelines(error)),
    }
    let pipeline = match state.pipelines.take(&id).await {
        Ok(Some(pipeline)) => pipeline,
        Ok(None) => return error_page(&SetupError::SessionExpired),
        Err(error) => return error_page(&SetupError::Pipelines(error)),
    };
    let grant = pipeline.grant.clone();
    let outcome = finish_authorization(
        state,
        pipeline,
        query.get("oauth_token").map(String::as_str),
        query.get("oauth_verifier").map(String::as_str),
    )
    .await;
    match outcome {
        Ok(installed) => success_page(&InstallSummary::from(&installed)),
        Err(error) => {
            // The request token is spent, but the session may start over from the form ("Start
            // again") with what opened it, as long as that still holds.
            let _ = state
                .pipelines
                .insert(&id, Pipeline::new(PipelineFlow::Html, grant))
                .await;
            error_page(&error)
        }
    }
}

/// `POST /extensions/jira-server/setup/`: checks the CSRF token and the form; re-renders it with
/// the errors, or gets a request token and sends the browser to Jira's approval page.
pub(super) async fn submit_form(
    State(state): State<SetupState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(id) = session_id(&headers) else {
        return error_page(&SetupError::SessionExpired);
    };
    let pipeline = match state.pipelines.get(&id).await {
        Ok(Some(pipeline)) if pipeline.flow == PipelineFlow::Html => pipeline,
        Ok(_) => return error_page(&SetupError::SessionExpired),
        Err(error) => return error_page(&SetupError::Pipelines(error)),
    };
    if let Err(refusal) = state.access.recheck(&pipeline.grant).await {
        return error_page(&refusal.into());
    }
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let csrf_ok = fields
        .get(CSRF_FIELD)
        .is_some_and(|token| pipeline.csrf_token.matches(token));
    if !csrf_ok {
        return error_page(&SetupError::CsrfMismatch);
    }
    let checkbox = |name: &str| fields.get(name).is_some_and(|value| !value.is_empty());
    let mut input = InstallationInput::default();
    input.url = fields.get(Field::Url.form_name()).cloned();
    input.consumer_key = fields.get(Field::ConsumerKey.form_name()).cloned();
    input.private_key = fields
        .get(Field::PrivateKey.form_name())
        .map(SecretString::new);
    // An unticked box is not sent: unticked means off (reference §1.2).
    input.verify_ssl = checkbox("verify_ssl");
    input.manual_webhook = checkbox("manual_webhook");
    input.organization = fields.get(Field::Organization.form_name()).cloned();
    let organization = state.organization_for(&pipeline.grant);
    let validated = validate_installation(
        &input,
        organization,
        &state.jira_hosts,
        state.store.as_ref(),
    )
    .await;
    let installation = match validated {
        Ok(Ok(installation)) => installation,
        Ok(Err(errors)) => {
            let values = FormValues {
                url: input.url.unwrap_or_default(),
                consumer_key: input.consumer_key.unwrap_or_default(),
                verify_ssl: input.verify_ssl,
                manual_webhook: input.manual_webhook,
                organization: input.organization.unwrap_or_default(),
            };
            return form_page(&pipeline, organization.is_none(), &values, &errors);
        }
        Err(error) => return error_page(&SetupError::Store(error)),
    };
    match start_authorization(&state, &id, pipeline, installation).await {
        Ok(authorize_url) => redirect(authorize_url.as_str()),
        Err(error) => error_page(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }
}
