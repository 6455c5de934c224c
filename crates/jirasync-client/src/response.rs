//! Turning Jira's answers into data or into the right error: OAuth refusals, Jira's error JSON,
//! HTML pages where data was expected.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error};
use crate::oauth1::OAuthProblem;
use crate::transport::RawResponse;

/// What was asked, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
}

/// `Ok` for a 2xx answer; otherwise Jira's OAuth refusal or its error answer.
pub(crate) fn check_status(call: Call<'_>, response: &RawResponse) -> Result<(), Error> {
    if response.is_success() {
        return Ok(());
    }
    if let Some(problem) = OAuthProblem::from_response(
        response.status,
        &response.body,
        response.www_authenticate.as_deref(),
    ) {
        return Err(problem.into());
    }
    Err(api_error(call, response).into())
}

/// An HTML page where `expected` data should be (a login page, a proxy's error page) is an error.
pub(crate) fn reject_html(
    call: Call<'_>,
    response: &RawResponse,
    expected: &'static str,
) -> Result<(), Error> {
    if response.looks_like_html() {
        return Err(Error::HtmlPage {
            method: call.method.to_owned(),
            path: call.path.to_owned(),
            status: response.status,
            expected,
        });
    }
    Ok(())
}

/// The body of a 2xx answer read as JSON. An HTML page is its own error.
pub(crate) fn parse_json<T: DeserializeOwned>(
    call: Call<'_>,
    response: &RawResponse,
) -> Result<T, Error> {
    reject_html(call, response, "JSON")?;
    serde_json::from_str(&response.body).map_err(|error| Error::UnexpectedBody {
        method: call.method.to_owned(),
        path: call.path.to_owned(),
        reason: error.to_string(),
    })
}

/// The body of a 2xx answer read strictly as `T`: an HTML page is its own error, and JSON that
/// does not fit is refused with the path of the member at fault (`at transitions[0].to.id: …`).
pub(crate) fn parse_json_strict<T: DeserializeOwned>(
    call: Call<'_>,
    response: &RawResponse,
    expected: &'static str,
) -> Result<T, Error> {
    reject_html(call, response, expected)?;
    jirasync_core::decode_json(response.body.as_bytes())
        .map_err(|error| unexpected_body(call, format!("at {}: {}", error.path(), error.message())))
}

/// [`Error::UnexpectedBody`] for `call`.
pub(crate) fn unexpected_body(call: Call<'_>, reason: String) -> Error {
    Error::UnexpectedBody {
        method: call.method.to_owned(),
        path: call.path.to_owned(),
        reason,
    }
}

/// Jira's error JSON in any of its shapes: `{"errorMessages": [...], "errors": {...}}` from the REST
/// API, `{"messages": [{"key": "..."}]}` from the webhook resources.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JiraErrorBody {
    #[serde(default)]
    error_messages: Vec<String>,
    #[serde(default)]
    errors: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    messages: Vec<FirstValue>,
    #[serde(default)]
    message: Option<String>,
}

/// The first value of a JSON object, in document order (reference-behaviour §2.3 reads
/// `messages[0]` this way).
#[derive(Debug, Default)]
struct FirstValue(Option<String>);

impl<'de> Deserialize<'de> for FirstValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = FirstValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object or a string")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<FirstValue, E> {
                Ok(FirstValue(Some(value.to_owned())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FirstValue, A::Error> {
                let first = map.next_entry::<String, serde_json::Value>()?;
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(FirstValue(first.map(|(_, value)| value_text(&value))))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn api_error(call: Call<'_>, response: &RawResponse) -> ApiError {
    let body: JiraErrorBody = serde_json::from_str(&response.body).unwrap_or_default();
    let mut error_messages = body.error_messages;
    error_messages.extend(body.message);
    ApiError {
        method: call.method.to_owned(),
        path: call.path.to_owned(),
        status: response.status,
        error_messages,
        field_errors: body
            .errors
            .iter()
            .map(|(field, value)| (field.clone(), value_text(value)))
            .collect(),
        first_message: body.messages.into_iter().next().and_then(|first| first.0),
        location: response.location.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            content_type: Some("application/json".to_owned()),
            www_authenticate: None,
            retry_after: None,
            location: None,
            date: None,
            body: body.to_owned(),
        }
    }

    const CALL: Call<'static> = Call {
        method: "POST",
        path: "/rest/webhooks/1.0/webhook",
    };

    #[test]
    fn first_message_is_first_value_in_document_order() {
        let error = api_error(
            CALL,
            &response(403, r#"{"messages":[{"z":"first","a":"second"}]}"#),
        );
        assert_eq!(error.first_message.as_deref(), Some("first"));
    }

    #[test]
    fn reads_error_messages_and_field_errors() {
        let error = api_error(
            CALL,
            &response(
                400,
                r#"{"errorMessages":["Bad"],"errors":{"url":"URL is invalid"}}"#,
            ),
        );
        assert_eq!(error.error_messages, vec!["Bad".to_owned()]);
        assert_eq!(
            error.field_errors.get("url").map(String::as_str),
            Some("URL is invalid")
        );
        assert!(error.to_string().contains("url: URL is invalid"));
    }

    #[test]
    fn tolerates_non_json_error_bodies() {
        let error = api_error(CALL, &response(502, "Bad things"));
        assert!(error.error_messages.is_empty());
        assert_eq!(error.status, 502);
    }
}
