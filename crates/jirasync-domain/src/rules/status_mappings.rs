//! Checking a per-project status mapping of outbound status sync against Jira before it is
//! stored (the host API's `PUT …/status-mappings/{project}` and `jirasync status-mapping set`):
//! the project must exist for the organization's Jira user and its workflows must have both
//! statuses, each named by id or by name (ignoring case, one status only).

use crate::ids::OrganizationId;
use crate::integration::Integration;
use crate::outbound::{
    BOTH_STATUSES_REQUIRED, JiraProjectStatuses, JiraStatusName, JiraWriter, StatusMapping,
};

/// Why a mapping was refused; nothing is stored on any of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusMappingError {
    /// A status is missing or blank (the reference's words).
    #[error("{BOTH_STATUSES_REQUIRED}")]
    BothRequired,
    /// The project is not written as a Jira project key or id.
    #[error(
        "project: {project:?} is not a Jira project key (such as SHOP) or id; nothing was stored"
    )]
    NotAProject {
        /// As given.
        project: String,
    },
    /// Jira has no such project, or hides it from the organization's user.
    #[error(
        "Jira has no project {project} (integration {integration}), or the organization's Jira \
         user may not browse it; nothing was stored"
    )]
    UnknownProject {
        /// As given.
        project: String,
        /// The integration asked.
        integration: crate::ids::IntegrationId,
    },
    /// The project's workflows have no such status.
    #[error(
        "{member}: project {project}'s workflows have no status {wanted:?}; its statuses are {statuses}"
    )]
    UnknownStatus {
        /// `on_resolve` or `on_unresolve`.
        member: &'static str,
        /// The project key.
        project: String,
        /// As given.
        wanted: String,
        /// The project's statuses, `Name (id)`, comma-separated.
        statuses: String,
    },
    /// Several statuses of the project have the name.
    #[error(
        "{member}: several statuses of project {project} are named {wanted:?} ({statuses}): give the id"
    )]
    AmbiguousStatus {
        /// `on_resolve` or `on_unresolve`.
        member: &'static str,
        /// The project key.
        project: String,
        /// As given.
        wanted: String,
        /// The statuses with that name.
        statuses: String,
    },
    /// Jira could not be reached: the same request may work later.
    #[error(
        "cannot read the statuses of project {project} from Jira: {message}; nothing was stored, try again"
    )]
    JiraUnavailable {
        /// As given.
        project: String,
        /// What went wrong.
        message: String,
    },
    /// Jira refused to show the project's statuses.
    #[error("Jira would not show the statuses of project {project}: {message}; nothing was stored")]
    JiraRefused {
        /// As given.
        project: String,
        /// Jira's words.
        message: String,
    },
}

/// A checked mapping, with the names of its statuses as Jira gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedStatusMapping {
    /// The mapping to store.
    pub mapping: StatusMapping,
    /// The name of the status reached on resolve.
    pub on_resolve_name: String,
    /// The name of the status reached on unresolve.
    pub on_unresolve_name: String,
}

/// Checks the mapping of `project` (a key or id) with Jira, through `writer` with the
/// organization's credentials: the statuses, by id or name, must be statuses of the project's
/// workflows.
///
/// # Errors
///
/// A [`StatusMappingError`] saying what is wrong (nothing to store).
pub async fn check_status_mapping<W: JiraWriter + ?Sized>(
    writer: &W,
    integration: &Integration,
    organization: OrganizationId,
    project: &str,
    on_resolve: Option<&str>,
    on_unresolve: Option<&str>,
) -> Result<CheckedStatusMapping, StatusMappingError> {
    if !is_project_reference(project) {
        return Err(StatusMappingError::NotAProject {
            project: project.to_owned(),
        });
    }
    let (Some(on_resolve), Some(on_unresolve)) = (non_blank(on_resolve), non_blank(on_unresolve))
    else {
        return Err(StatusMappingError::BothRequired);
    };
    let found = match writer
        .project_statuses(integration, organization, project)
        .await
    {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(StatusMappingError::UnknownProject {
                project: project.to_owned(),
                integration: integration.id,
            });
        }
        Err(error) if error.is_transient() => {
            return Err(StatusMappingError::JiraUnavailable {
                project: project.to_owned(),
                message: error.to_string(),
            });
        }
        Err(error) => {
            return Err(StatusMappingError::JiraRefused {
                project: project.to_owned(),
                message: error.to_string(),
            });
        }
    };
    let resolve = find_status(&found, "on_resolve", on_resolve)?;
    let unresolve = find_status(&found, "on_unresolve", on_unresolve)?;
    Ok(CheckedStatusMapping {
        mapping: StatusMapping {
            organization_id: organization,
            integration_id: integration.id,
            project_id: found.project_id.clone(),
            project_key: found.project_key.clone(),
            on_resolve: resolve.id.clone(),
            on_unresolve: unresolve.id.clone(),
        },
        on_resolve_name: resolve.name.clone(),
        on_unresolve_name: unresolve.name.clone(),
    })
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|text| !text.is_empty())
}

/// A Jira project key (upper-case letters, digits and `_`, starting with a letter) or id
/// (digits), at most 255 characters.
fn is_project_reference(project: &str) -> bool {
    let mut chars = project.chars();
    let key = chars.next().is_some_and(|first| first.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let id = !project.is_empty() && project.bytes().all(|byte| byte.is_ascii_digit());
    (key || id) && project.len() <= 255
}

/// The project's status `wanted` names: by id exactly, else by name ignoring case (one only).
fn find_status<'a>(
    found: &'a JiraProjectStatuses,
    member: &'static str,
    wanted: &str,
) -> Result<&'a JiraStatusName, StatusMappingError> {
    if let Some(status) = found.statuses.iter().find(|status| status.id == wanted) {
        return Ok(status);
    }
    let named: Vec<&JiraStatusName> = found
        .statuses
        .iter()
        .filter(|status| status.name.eq_ignore_ascii_case(wanted))
        .collect();
    match named.as_slice() {
        [status] => Ok(status),
        [] => Err(StatusMappingError::UnknownStatus {
            member,
            project: found.project_key.clone(),
            wanted: wanted.to_owned(),
            statuses: list(&found.statuses),
        }),
        several => Err(StatusMappingError::AmbiguousStatus {
            member,
            project: found.project_key.clone(),
            wanted: wanted.to_owned(),
            statuses: list(several.iter().copied()),
        }),
    }
}

fn list<'a>(statuses: impl IntoIterator<Item = &'a JiraStatusName>) -> String {
    statuses
        .into_iter()
        .map(|status| format!("{} ({})", status.name, status.id))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(statuses: &[(&str, &str)]) -> JiraProjectStatuses {
        JiraProjectStatuses {
            project_id: "10000".into(),
            project_key: "SHOP".into(),
            statuses: statuses
                .iter()
                .map(|(id, name)| JiraStatusName {
                    id: (*id).into(),
                    name: (*name).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_status_is_found_by_id_then_by_name_ignoring_case() {
        let found = project(&[("1", "Open"), ("5", "Resolved"), ("10", "5")]);
        assert_eq!(find_status(&found, "on_resolve", "5").unwrap().id, "5");
        assert_eq!(
            find_status(&found, "on_resolve", "resolved").unwrap().id,
            "5"
        );
        assert_eq!(find_status(&found, "on_resolve", "OPEN").unwrap().id, "1");
    }

    #[test]
    fn an_unknown_or_shared_name_is_refused_naming_the_statuses() {
        let found = project(&[("1", "Open"), ("7", "Done"), ("8", "done")]);
        assert_eq!(
            find_status(&found, "on_resolve", "Closed")
                .unwrap_err()
                .to_string(),
            "on_resolve: project SHOP's workflows have no status \"Closed\"; its statuses are \
             Open (1), Done (7), done (8)"
        );
        assert_eq!(
            find_status(&found, "on_unresolve", "DONE")
                .unwrap_err()
                .to_string(),
            "on_unresolve: several statuses of project SHOP are named \"DONE\" (Done (7), done \
             (8)): give the id"
        );
    }

    #[test]
    fn project_references_are_keys_or_ids() {
        for good in ["SHOP", "A1_B", "10000"] {
            assert!(is_project_reference(good), "{good}");
        }
        for bad in ["", "shop", "SHOP-1", "1A", "../x", &"A".repeat(256)] {
            assert!(!is_project_reference(bad), "{bad}");
        }
    }
}
