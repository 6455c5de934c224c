//! `createmeta`: which fields creating an issue of one type in one project takes, which of them
//! are required, and their allowed values. Two generations (decision record 0016):
//!
//! - Jira 8.4 and newer (the only one from Jira 9 on):
//!   `GET /rest/api/2/issue/createmeta/{project}/issuetypes` (paged) to find the issue type's id
//!   by name, then `GET /rest/api/2/issue/createmeta/{project}/issuetypes/{id}` (paged) for its
//!   fields, each with its `fieldId`.
//! - Older: `GET /rest/api/2/issue/createmeta?projectKeys=…&expand=projects.issuetypes.fields`,
//!   fields keyed by id inside each issue type (removed in Jira 9).
//!
//! [`JiraClient::create_meta`] chooses by the version `serverInfo` reports
//! ([`CreateMetaApi::for_version`]); [`JiraClient::create_meta_with`] takes the generation from a
//! caller that already knows it. An issue type is named by its id or its name; names are
//! compared without regard to case, as Jira keeps them unique that way.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::references::project_segment;
use super::server_info::JiraVersion;
use super::{optional_string_or_number, string_or_number};
use crate::client::JiraClient;
use crate::error::{Error, InputError};
use crate::response::{Call, check_status, parse_json_strict, reject_html, unexpected_body};

/// How many entries each page of the newer generation asks for.
const PAGE_SIZE: u32 = 50;
/// A bound on pages read, so an answer that never says it is the last cannot loop forever.
const MAX_PAGES: u32 = 200;

/// Which `createmeta` resource to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CreateMetaApi {
    /// `GET /rest/api/2/issue/createmeta?projectKeys=…&expand=projects.issuetypes.fields`
    /// (Jira before 8.4; removed in Jira 9).
    Legacy,
    /// `GET /rest/api/2/issue/createmeta/{project}/issuetypes[/{id}]` (Jira 8.4 and newer).
    PerIssueType,
}

impl CreateMetaApi {
    /// The generation for a Jira version: [`PerIssueType`](Self::PerIssueType) from 8.4 on.
    pub fn for_version(version: JiraVersion) -> Self {
        if version >= JiraVersion::new(8, 4, 0) {
            Self::PerIssueType
        } else {
            Self::Legacy
        }
    }
}

/// What creating an issue of one type in one project takes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CreateMeta {
    /// The project key (as asked for, or as the legacy answer spells it).
    pub project_key: String,
    /// The issue type id (`10004`): send `{"issuetype":{"id":…}}`.
    pub issue_type_id: String,
    /// The issue type name, as Jira spells it.
    pub issue_type_name: String,
    /// The fields of the create screen.
    pub fields: Vec<CreateField>,
    /// The generation the answer came from.
    pub api: CreateMetaApi,
}

impl CreateMeta {
    /// The fields Jira requires that have no default value: a create request without them is
    /// refused with 400.
    pub fn required_without_default(&self) -> impl Iterator<Item = &CreateField> {
        self.fields
            .iter()
            .filter(|field| field.required && !field.has_default_value)
    }

    /// The required fields without a default that `fields` (a create request's `fields`) lacks.
    /// `project` and `issuetype` count as given: they are how the create request names what
    /// this metadata is for.
    pub fn missing_required<'a>(&'a self, fields: &Map<String, Value>) -> Vec<&'a CreateField> {
        self.required_without_default()
            .filter(|field| {
                !matches!(field.key.as_str(), "project" | "issuetype")
                    && fields.get(&field.key).is_none_or(Value::is_null)
            })
            .collect()
    }

    /// The field with this id.
    pub fn field(&self, key: &str) -> Option<&CreateField> {
        self.fields.iter().find(|field| field.key == key)
    }
}

/// One field of a create screen.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CreateField {
    /// The field id, as a create request names it (`summary`, `customfield_10100`).
    pub key: String,
    /// The name shown in Jira.
    pub name: String,
    /// Whether Jira requires it.
    pub required: bool,
    /// Whether Jira fills it in when it is not sent.
    pub has_default_value: bool,
    /// `schema.type`: `string`, `array`, `option`, `user`, `priority`, …
    pub schema_type: Option<String>,
    /// `schema.system` (`summary`) or `schema.custom` (the custom field type's key).
    pub schema_kind: Option<String>,
    /// The operations the field allows (`set`, `add`, …).
    pub operations: Vec<String>,
    /// The values it may take, when Jira lists them.
    pub allowed_values: Vec<AllowedValue>,
}

/// One allowed value of a field.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AllowedValue {
    /// Its id, when it has one.
    pub id: Option<String>,
    /// Its `name` (issue types, priorities, components, versions).
    pub name: Option<String>,
    /// Its `value` (select-list options).
    pub value: Option<String>,
    /// The value as Jira sent it.
    pub raw: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(default)]
    start_at: Option<u32>,
    #[serde(default)]
    total: Option<u32>,
    #[serde(default)]
    is_last: Option<bool>,
    values: Vec<T>,
}

impl<T> Page<T> {
    /// Where the next page starts, or `None` after the last one.
    fn next_start(&self, asked_start: u32) -> Option<u32> {
        let read = u32::try_from(self.values.len()).ok()?;
        if read == 0 || self.is_last == Some(true) {
            return None;
        }
        let next = self.start_at.unwrap_or(asked_start).checked_add(read)?;
        match self.total {
            Some(total) if next >= total => None,
            _ => Some(next),
        }
    }
}

#[derive(Deserialize)]
struct IssueTypeWire {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldWire {
    /// Present in the newer generation; the legacy one keys fields by id instead.
    #[serde(default)]
    field_id: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    name: Option<String>,
    required: bool,
    #[serde(default)]
    has_default_value: bool,
    #[serde(default)]
    schema: Option<SchemaWire>,
    #[serde(default)]
    operations: Vec<String>,
    #[serde(default)]
    allowed_values: Vec<Value>,
}

#[derive(Deserialize)]
struct SchemaWire {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    custom: Option<String>,
}

#[derive(Deserialize)]
struct LegacyAnswer {
    projects: Vec<LegacyProject>,
}

#[derive(Deserialize)]
struct LegacyProject {
    key: String,
    #[serde(default)]
    issuetypes: Vec<LegacyIssueType>,
}

#[derive(Deserialize)]
struct LegacyIssueType {
    #[serde(deserialize_with = "string_or_number")]
    id: String,
    name: String,
    #[serde(default)]
    fields: Map<String, Value>,
}

/// The `id`, `name` and `value` of an allowed value, tolerating any shape.
#[derive(Deserialize, Default)]
struct AllowedWire {
    #[serde(default, deserialize_with = "optional_string_or_number")]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

fn to_field(call: Call<'_>, at: &str, key: String, wire: FieldWire) -> Result<CreateField, Error> {
    let mut allowed_values = Vec::with_capacity(wire.allowed_values.len());
    for (index, raw) in wire.allowed_values.into_iter().enumerate() {
        let parsed: AllowedWire = if raw.is_object() {
            serde_json::from_value(raw.clone()).map_err(|error| {
                unexpected_body(call, format!("at {at}.allowedValues[{index}]: {error}"))
            })?
        } else {
            AllowedWire::default()
        };
        allowed_values.push(AllowedValue {
            id: parsed.id,
            name: parsed.name,
            value: parsed.value,
            raw,
        });
    }
    let schema = wire.schema;
    Ok(CreateField {
        name: wire.name.unwrap_or_else(|| key.clone()),
        key,
        required: wire.required,
        has_default_value: wire.has_default_value,
        schema_type: schema.as_ref().and_then(|schema| schema.kind.clone()),
        schema_kind: schema.and_then(|schema| schema.system.or(schema.custom)),
        operations: wire.operations,
        allowed_values,
    })
}

fn same_name(left: &str, right: &str) -> bool {
    left.trim().to_lowercase() == right.trim().to_lowercase()
}

/// Whether the issue type of `id` and `name` is the one `wanted` names: by its id, or by its
/// name ignoring case.
fn is_issue_type(id: &str, name: &str, wanted: &str) -> bool {
    id == wanted.trim() || same_name(name, wanted)
}

impl JiraClient {
    /// The fields creating an issue of type `issue_type` (its name or its id) in `project_key` (a key or
    /// a numeric id) takes, through the generation of `createmeta` the server's version calls
    /// for (one `serverInfo` request first; an unreadable version uses the newer generation).
    ///
    /// # Errors
    ///
    /// [`InputError`] for a bad project reference or an empty issue type, before any request;
    /// [`Error::ProjectNotCreatable`] when Jira lists no such project for the user (it does not
    /// exist, or the user may not create issues in it); [`Error::IssueTypeNotInProject`] with the
    /// names the project offers; Jira's refusals as [`Error::Api`]; an answer that is not
    /// `createmeta` as [`Error::UnexpectedBody`] with the member's path.
    pub async fn create_meta(
        &self,
        project_key: &str,
        issue_type: &str,
    ) -> Result<CreateMeta, Error> {
        check_create_meta_input(project_key, issue_type)?;
        let api = self
            .server_info()
            .await?
            .parsed_version()
            .map_or(CreateMetaApi::PerIssueType, CreateMetaApi::for_version);
        self.create_meta_with(api, project_key, issue_type).await
    }

    /// Like [`create_meta`](Self::create_meta), with the generation given.
    ///
    /// # Errors
    ///
    /// As [`create_meta`](Self::create_meta).
    pub async fn create_meta_with(
        &self,
        api: CreateMetaApi,
        project_key: &str,
        issue_type: &str,
    ) -> Result<CreateMeta, Error> {
        check_create_meta_input(project_key, issue_type)?;
        match api {
            CreateMetaApi::PerIssueType => {
                self.create_meta_per_issue_type(project_key, issue_type)
                    .await
            }
            CreateMetaApi::Legacy => self.create_meta_legacy(project_key, issue_type).await,
        }
    }

    async fn create_meta_per_issue_type(
        &self,
        project_key: &str,
        issue_type: &str,
    ) -> Result<CreateMeta, Error> {
        let types_path = format!(
            "/rest/api/2/issue/createmeta/{}/issuetypes",
            project_segment(project_key)?
        );
        let mut available = Vec::new();
        let mut found = None;
        self.read_pages(&types_path, |_, page: Page<IssueTypeWire>| {
            for wire in page.values {
                if found.is_none() && is_issue_type(&wire.id, &wire.name, issue_type) {
                    found = Some(wire);
                    return false;
                }
                available.push(wire.name);
            }
            true
        })
        .await
        .map_err(|error| match error {
            Error::Api(api) if api.status == 404 => Error::ProjectNotCreatable {
                project_key: project_key.to_owned(),
            },
            other => other,
        })?;
        let Some(issue_type_wire) = found else {
            return Err(Error::IssueTypeNotInProject {
                project_key: project_key.to_owned(),
                issue_type: issue_type.to_owned(),
                available,
            });
        };
        let fields_path = format!(
            "{types_path}/{}",
            crate::oauth1::percent_encode(&issue_type_wire.id)
        );
        let mut fields = Vec::new();
        let mut failure = None;
        let mut index = 0_usize;
        self.read_pages(&fields_path, |call, page: Page<FieldWire>| {
            for wire in page.values {
                let at = format!("values[{index}]");
                index += 1;
                let Some(key) = wire.field_id.clone().or_else(|| wire.key.clone()) else {
                    failure = Some(unexpected_body(
                        call,
                        format!("at {at}.fieldId: the field has no id"),
                    ));
                    return false;
                };
                match to_field(call, &at, key, wire) {
                    Ok(field) => fields.push(field),
                    Err(error) => {
                        failure = Some(error);
                        return false;
                    }
                }
            }
            true
        })
        .await?;
        if let Some(error) = failure {
            return Err(error);
        }
        Ok(CreateMeta {
            project_key: project_key.to_owned(),
            issue_type_id: issue_type_wire.id,
            issue_type_name: issue_type_wire.name,
            fields,
            api: CreateMetaApi::PerIssueType,
        })
    }

    /// Reads the pages of `path` in order, handing each to `take` until it answers `false` or
    /// the last page is read.
    async fn read_pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        mut take: impl FnMut(Call<'_>, Page<T>) -> bool,
    ) -> Result<(), Error> {
        let mut start_at = 0_u32;
        let page_size = PAGE_SIZE.to_string();
        for _ in 0..MAX_PAGES {
            let start = start_at.to_string();
            let (call, response) = self
                .get(path, &[("startAt", &start), ("maxResults", &page_size)])
                .await?;
            if response.status == 404 {
                reject_html(call, &response, "Jira's error JSON")?;
            }
            check_status(call, &response)?;
            let page: Page<T> = parse_json_strict(call, &response, "createmeta")?;
            let next = page.next_start(start_at);
            if !take(call, page) {
                return Ok(());
            }
            match next {
                Some(next) => start_at = next,
                None => return Ok(()),
            }
        }
        Ok(())
    }

    async fn create_meta_legacy(
        &self,
        project_key: &str,
        issue_type: &str,
    ) -> Result<CreateMeta, Error> {
        const PATH: &str = "/rest/api/2/issue/createmeta";
        let by = if project_key.bytes().all(|byte| byte.is_ascii_digit()) {
            "projectIds"
        } else {
            "projectKeys"
        };
        let (call, response) = self
            .get(
                PATH,
                &[(by, project_key), ("expand", "projects.issuetypes.fields")],
            )
            .await?;
        check_status(call, &response)?;
        let answer: LegacyAnswer = parse_json_strict(call, &response, "createmeta")?;
        let Some(project) = answer.projects.into_iter().next() else {
            return Err(Error::ProjectNotCreatable {
                project_key: project_key.to_owned(),
            });
        };
        let mut available = Vec::new();
        let mut found = None;
        for (index, candidate) in project.issuetypes.into_iter().enumerate() {
            if found.is_none() && is_issue_type(&candidate.id, &candidate.name, issue_type) {
                found = Some((index, candidate));
            } else {
                available.push(candidate.name);
            }
        }
        let Some((type_index, found)) = found else {
            return Err(Error::IssueTypeNotInProject {
                project_key: project_key.to_owned(),
                issue_type: issue_type.to_owned(),
                available,
            });
        };
        let mut fields = Vec::with_capacity(found.fields.len());
        for (key, value) in found.fields {
            let at = format!("projects[0].issuetypes[{type_index}].fields.{key}");
            let wire: FieldWire = serde_json::from_value(value)
                .map_err(|error| unexpected_body(call, format!("at {at}: {error}")))?;
            fields.push(to_field(call, &at, key, wire)?);
        }
        Ok(CreateMeta {
            project_key: project.key,
            issue_type_id: found.id,
            issue_type_name: found.name,
            fields,
            api: CreateMetaApi::Legacy,
        })
    }
}

fn check_create_meta_input(project_key: &str, issue_type: &str) -> Result<(), InputError> {
    project_segment(project_key)?;
    if issue_type.trim().is_empty() {
        return Err(InputError::Empty { what: "issue type" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_the_generation_by_version() {
        assert_eq!(
            CreateMetaApi::for_version(JiraVersion::new(8, 3, 9)),
            CreateMetaApi::Legacy
        );
        assert_eq!(
            CreateMetaApi::for_version(JiraVersion::new(8, 4, 0)),
            CreateMetaApi::PerIssueType
        );
        assert_eq!(
            CreateMetaApi::for_version(JiraVersion::new(9, 12, 2)),
            CreateMetaApi::PerIssueType
        );
    }

    #[test]
    fn pages_end_on_is_last_total_or_an_empty_page() {
        let page = |start_at, total, is_last, len: usize| Page {
            start_at: Some(start_at),
            total,
            is_last,
            values: vec![(); len],
        };
        assert_eq!(page(0, Some(120), Some(false), 50).next_start(0), Some(50));
        assert_eq!(page(100, Some(120), None, 20).next_start(100), None);
        assert_eq!(page(0, None, Some(true), 50).next_start(0), None);
        assert_eq!(page(0, None, None, 0).next_start(0), None);
        assert_eq!(page(0, None, None, 50).next_start(0), Some(50));
    }
}
