//! Creating a Jira issue from an application issue, and linking the two
//! ([`create_and_link_jira_issue`], `docs/outbound.md`): the request is checked here, the
//! project's create screen (`createmeta`) is read to name every required field the request
//! lacks, and only then is the issue created and linked (the same store call as linking an
//! existing key, which writes the `issue.linked` event).
//!
//! Creation is not idempotent, so it is synchronous, not an outbox action: the caller needs the
//! new key, and a retry decided by a person who saw the failure cannot create a second issue
//! behind their back.

use serde_json::{Map, Value, json};

use crate::host::Host;
use crate::ids::{LocalIssueId, OrganizationId};
use crate::integration::Integration;
use crate::issue::IssueLink;
use crate::outbound::{
    CreatedJiraIssue, JiraCreateField, JiraCreateMeta, JiraWriteError, JiraWriter,
};
use crate::rules::issue_links::{IssueLinkError, ensure_issue_of_organization, link_jira_issue};
use crate::store::IssueLinkStore;

/// The longest summary Jira takes, in characters.
pub const MAX_SUMMARY_CHARS: usize = 255;

/// The longest description sent, in characters (Jira's default limit of a text field).
pub const MAX_DESCRIPTION_CHARS: usize = 32_767;

/// The create request's members the draft names itself; `fields` may not give them again.
const DRAFT_MEMBERS: &[&str] = &["project", "issuetype", "summary", "description"];

/// Required fields Jira fills in by itself when a create request leaves them out: the
/// reporter is the calling user.
const FILLED_BY_JIRA: &[&str] = &["project", "issuetype", "summary", "reporter"];

/// The Jira issue to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraIssueDraft {
    /// The project key (`SHOP`) or numeric id.
    pub project: String,
    /// The issue type's name (`Bug`, compared ignoring case) or id (`10004`).
    pub issue_type: String,
    /// The summary: one line, at most [`MAX_SUMMARY_CHARS`] characters.
    pub summary: String,
    /// The description, if any.
    pub description: Option<String>,
    /// Other Jira fields by id (`customfield_10200`, `priority`, …), sent as given.
    pub fields: Map<String, Value>,
}

/// What [`create_and_link_jira_issue`] did: the issue Jira created, and the link to it.
#[derive(Debug)]
pub struct JiraIssueCreation {
    /// The issue Jira created.
    pub issue: CreatedJiraIssue,
    /// The link, or why it could not be made: the issue exists in Jira either way, so the
    /// caller must learn its key ([`CreatedJiraIssue::key`]) to link it later.
    pub link: Result<IssueLink, IssueLinkError>,
}

/// Why no Jira issue was created (nothing was linked either).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JiraCreationError {
    /// A member of the request breaks a rule; nothing was sent to Jira.
    #[error("{member}: {reason}; nothing was created")]
    Invalid {
        /// The member at fault (`summary`, `fields.project`).
        member: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The application issue is not the organization's, or the application could not say;
    /// nothing was sent to Jira.
    #[error(transparent)]
    Issue(IssueLinkError),
    /// Jira's create screen could not be read: the project or the issue type is unknown to
    /// the organization's Jira user, or Jira refused or could not be reached. Nothing was
    /// created.
    #[error(
        "cannot read what creating a {issue_type} in {project} takes: {source}; nothing was created"
    )]
    CreateMeta {
        /// The project asked for.
        project: String,
        /// The issue type asked for.
        issue_type: String,
        /// Jira's failure.
        source: JiraWriteError,
    },
    /// Jira requires fields the request lacks; nothing was sent to create.
    #[error(
        "creating a {issue_type} in {project} requires {}: give them in \"fields\" by id; nothing was created",
        describe_fields(missing)
    )]
    MissingFields {
        /// The project asked for.
        project: String,
        /// The issue type, as Jira names it.
        issue_type: String,
        /// The required fields without a default that the request lacks.
        missing: Vec<JiraCreateField>,
    },
    /// The create request failed. A permanent failure created nothing (Jira's `errors` and
    /// `errorMessages` say why); a transient one may hide an issue Jira did create.
    #[error("{}", describe_create_failure(source))]
    Create {
        /// Jira's failure.
        source: JiraWriteError,
    },
}

fn describe_fields(fields: &[JiraCreateField]) -> String {
    fields
        .iter()
        .map(|field| format!("{} ({})", field.key, field.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_create_failure(error: &JiraWriteError) -> String {
    if error.is_transient() {
        format!(
            "{error}; Jira may have created the issue all the same: search Jira for the summary \
             before trying again; nothing was linked"
        )
    } else {
        format!("Jira did not create the issue: {error}")
    }
}

fn invalid(member: impl Into<String>, reason: impl Into<String>) -> JiraCreationError {
    JiraCreationError::Invalid {
        member: member.into(),
        reason: reason.into(),
    }
}

/// Checks a draft before anything is sent: a project and an issue type are named, the summary
/// is one non-blank line of at most [`MAX_SUMMARY_CHARS`] characters, the description at most
/// [`MAX_DESCRIPTION_CHARS`], and `fields` does not give again what the draft names itself.
///
/// # Errors
///
/// [`JiraCreationError::Invalid`] naming the first member at fault.
pub fn validate_draft(draft: &JiraIssueDraft) -> Result<(), JiraCreationError> {
    for (member, value) in [
        ("project", &draft.project),
        ("issue_type", &draft.issue_type),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(
                member,
                "empty; name one (a key or id, a name or id)",
            ));
        }
        if value.trim() != value || value.chars().any(char::is_control) {
            return Err(invalid(
                member,
                format!("{value:?} has blanks around it or control characters"),
            ));
        }
    }
    if draft.summary.trim().is_empty() {
        return Err(invalid("summary", "empty; Jira requires a summary"));
    }
    if draft.summary.contains(['\n', '\r']) {
        return Err(invalid(
            "summary",
            "has a line break; a summary is one line (put the rest in the description)",
        ));
    }
    let length = draft.summary.chars().count();
    if length > MAX_SUMMARY_CHARS {
        return Err(invalid(
            "summary",
            format!("{length} characters; Jira takes at most {MAX_SUMMARY_CHARS}"),
        ));
    }
    if let Some(description) = &draft.description {
        let length = description.chars().count();
        if length > MAX_DESCRIPTION_CHARS {
            return Err(invalid(
                "description",
                format!("{length} characters; Jira takes at most {MAX_DESCRIPTION_CHARS}"),
            ));
        }
    }
    if let Some(member) = DRAFT_MEMBERS
        .iter()
        .find(|member| draft.fields.contains_key(**member))
    {
        let instead = if *member == "issuetype" {
            "issue_type"
        } else {
            member
        };
        return Err(invalid(
            format!("fields.{member}"),
            format!("give it as the request's own \"{instead}\", not in \"fields\""),
        ));
    }
    Ok(())
}

/// The fields Jira requires without a default that the draft lacks; the project, the issue
/// type, the summary and the reporter (Jira makes the calling user the reporter) count as
/// given.
pub fn missing_required_fields(
    meta: &JiraCreateMeta,
    draft: &JiraIssueDraft,
) -> Vec<JiraCreateField> {
    meta.fields
        .iter()
        .filter(|field| field.required && !field.has_default_value)
        .filter(|field| !FILLED_BY_JIRA.contains(&field.key.as_str()))
        .filter(|field| !(field.key == "description" && draft.description.is_some()))
        .filter(|field| draft.fields.get(&field.key).is_none_or(Value::is_null))
        .cloned()
        .collect()
}

/// The `fields` of the create request: the project (by id when it is all digits, else by
/// key), the issue type by the id `createmeta` gave, the summary, the description, then the
/// draft's other fields.
pub fn create_fields(meta: &JiraCreateMeta, draft: &JiraIssueDraft) -> Map<String, Value> {
    let project = if draft.project.bytes().all(|byte| byte.is_ascii_digit()) {
        json!({"id": draft.project})
    } else {
        json!({"key": draft.project})
    };
    let mut fields = Map::new();
    fields.insert("project".to_owned(), project);
    fields.insert("issuetype".to_owned(), json!({"id": meta.issue_type_id}));
    fields.insert("summary".to_owned(), Value::from(draft.summary.clone()));
    if let Some(description) = &draft.description {
        fields.insert("description".to_owned(), Value::from(description.clone()));
    }
    fields.extend(draft.fields.clone());
    fields
}

/// Creates a Jira issue from the draft with the organization's credentials and links the local
/// issue to it for the organization through the integration.
///
/// In order, stopping at the first refusal: the draft is checked ([`validate_draft`]); the
/// local issue must be the organization's; Jira's create screen for the project and issue type
/// is read, and every required field without a default the draft lacks is named
/// ([`missing_required_fields`]); the issue is created; the link is made
/// ([`link_jira_issue`]: the `issue.linked` event is written with it).
///
/// # Errors
///
/// A [`JiraCreationError`] when no issue was created. Once Jira created it, the answer is `Ok`
/// with the link's own outcome in [`JiraIssueCreation::link`].
pub async fn create_and_link_jira_issue<S, H, W>(
    store: &S,
    host: &H,
    writer: &W,
    organization_id: OrganizationId,
    integration: &Integration,
    local_issue_id: LocalIssueId,
    draft: &JiraIssueDraft,
) -> Result<JiraIssueCreation, JiraCreationError>
where
    S: IssueLinkStore + ?Sized,
    H: Host + ?Sized,
    W: JiraWriter + ?Sized,
{
    validate_draft(draft)?;
    ensure_issue_of_organization(host, organization_id, local_issue_id)
        .await
        .map_err(JiraCreationError::Issue)?;
    let meta = writer
        .create_meta(
            integration,
            organization_id,
            &draft.project,
            &draft.issue_type,
        )
        .await
        .map_err(|source| JiraCreationError::CreateMeta {
            project: draft.project.clone(),
            issue_type: draft.issue_type.clone(),
            source,
        })?;
    let missing = missing_required_fields(&meta, draft);
    if !missing.is_empty() {
        return Err(JiraCreationError::MissingFields {
            project: draft.project.clone(),
            issue_type: meta.issue_type_name,
            missing,
        });
    }
    let issue = writer
        .create_issue(integration, organization_id, &create_fields(&meta, draft))
        .await
        .map_err(|source| JiraCreationError::Create { source })?;
    let link = link_jira_issue(
        store,
        host,
        organization_id,
        integration.id,
        issue.key.as_str(),
        local_issue_id,
    )
    .await;
    Ok(JiraIssueCreation { issue, link })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test fails by panicking

    use super::*;

    fn draft() -> JiraIssueDraft {
        JiraIssueDraft {
            project: "SHOP".into(),
            issue_type: "Bug".into(),
            summary: "Checkout fails".into(),
            description: None,
            fields: Map::new(),
        }
    }

    fn field(key: &str, required: bool, has_default_value: bool) -> JiraCreateField {
        JiraCreateField {
            key: key.into(),
            name: key.to_uppercase(),
            required,
            has_default_value,
        }
    }

    fn meta(fields: Vec<JiraCreateField>) -> JiraCreateMeta {
        JiraCreateMeta {
            issue_type_id: "10004".into(),
            issue_type_name: "Bug".into(),
            fields,
        }
    }

    fn refusal(draft: &JiraIssueDraft) -> String {
        validate_draft(draft).unwrap_err().to_string()
    }

    #[test]
    fn accepts_a_summary_of_255_characters() {
        let draft = JiraIssueDraft {
            summary: "é".repeat(255),
            ..draft()
        };
        validate_draft(&draft).unwrap();
    }

    #[test]
    fn refuses_a_summary_over_255_characters() {
        let draft = JiraIssueDraft {
            summary: "é".repeat(256),
            ..draft()
        };
        assert_eq!(
            refusal(&draft),
            "summary: 256 characters; Jira takes at most 255; nothing was created"
        );
    }

    #[test]
    fn refuses_a_blank_or_multi_line_summary() {
        for summary in ["", "  ", "one\ntwo", "one\rtwo"] {
            let draft = JiraIssueDraft {
                summary: summary.into(),
                ..draft()
            };
            assert!(refusal(&draft).starts_with("summary: "), "{summary:?}");
        }
    }

    #[test]
    fn refuses_an_empty_project_or_issue_type() {
        let no_project = JiraIssueDraft {
            project: String::new(),
            ..draft()
        };
        assert!(refusal(&no_project).starts_with("project: empty"));
        let padded = JiraIssueDraft {
            issue_type: " Bug".into(),
            ..draft()
        };
        assert!(refusal(&padded).starts_with("issue_type: \" Bug\" has blanks"));
    }

    #[test]
    fn refuses_fields_that_repeat_the_drafts_own_members() {
        let mut draft = draft();
        draft.fields.insert("issuetype".into(), json!({"id": "1"}));
        assert_eq!(
            refusal(&draft),
            "fields.issuetype: give it as the request's own \"issue_type\", not in \"fields\"; \
             nothing was created"
        );
    }

    #[test]
    fn names_required_fields_without_default_that_the_draft_lacks() {
        let meta = meta(vec![
            field("project", true, false),
            field("issuetype", true, false),
            field("summary", true, false),
            field("reporter", true, false),
            field("description", true, false),
            field("customfield_10200", true, false),
            field("customfield_10300", true, true),
            field("customfield_10400", false, false),
            field("customfield_10500", true, false),
        ]);
        let mut draft = draft();
        draft
            .fields
            .insert("customfield_10500".into(), json!({"value": "High"}));
        draft.fields.insert("customfield_10200".into(), Value::Null);
        let missing: Vec<String> = missing_required_fields(&meta, &draft)
            .into_iter()
            .map(|field| field.key)
            .collect();
        assert_eq!(missing, ["description", "customfield_10200"]);
        draft.description = Some("steps".into());
        assert_eq!(missing_required_fields(&meta, &draft).len(), 1);
    }

    #[test]
    fn builds_the_create_fields_with_the_issue_type_id() {
        let mut draft = draft();
        draft.description = Some("steps".into());
        draft
            .fields
            .insert("customfield_10200".into(), json!("High"));
        let fields = create_fields(&meta(Vec::new()), &draft);
        assert_eq!(
            Value::Object(fields),
            json!({
                "project": {"key": "SHOP"},
                "issuetype": {"id": "10004"},
                "summary": "Checkout fails",
                "description": "steps",
                "customfield_10200": "High",
            })
        );
        let by_id = JiraIssueDraft {
            project: "10000".into(),
            ..draft
        };
        assert_eq!(
            create_fields(&meta(Vec::new()), &by_id)["project"],
            json!({"id": "10000"})
        );
    }
}
