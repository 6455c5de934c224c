//! [`ClientJiraWriter`]: the domain's outbound Jira calls ([`JiraWriter`]) over
//! `jirasync-client`, with the credentials of the organization the work is for.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use jirasync_client::{Assignment, JiraClient, RetryPolicy, distinct_statuses};
use jirasync_domain::IntegrationStore;
use jirasync_domain::ids::{IntegrationId, OrganizationId};
use jirasync_domain::integration::Integration;
use jirasync_domain::outbound::{
    CreatedJiraIssue, JiraAccount, JiraCreateField, JiraCreateMeta, JiraIssueState,
    JiraProjectStatuses, JiraStatusName, JiraTransition, JiraWriteError, JiraWriter,
};
use jirasync_webhook::IssueKey;

use crate::jira::KeptClients;

/// How many users one e-mail search asks for: an exact match is looked for among them.
const SEARCH_RESULTS: u32 = 20;

/// A [`JiraWriter`] that calls Jira with `jirasync-client`.
///
/// Each call uses the credentials of the organization the work is for (its identity for the
/// integration), so Jira records that organization's user as the one who changed the issue.
/// The client never retries by itself here: a failed call is retried by the outbox, later, as a
/// new request signed anew.
///
/// Errors: Jira unreachable, timing out, or answering 5xx / 429 → transient; any other refusal
/// (400 an unknown user or invalid transition, 401 / 403 permission, 404 the issue is gone, an
/// `oauth_problem`, an unreadable answer) → permanent, with Jira's words; no credentials for the
/// organization → [`JiraWriteError::NoCredentials`].
///
/// The client built for an organization's identity is kept and reused while the integration's
/// URL and TLS setting and the identity's credentials are unchanged, so calls reuse Jira's
/// connections. Clones share the clients.
#[derive(Clone)]
pub struct ClientJiraWriter {
    store: Arc<dyn IntegrationStore>,
    clients: Arc<KeptClients<(IntegrationId, OrganizationId)>>,
}

impl fmt::Debug for ClientJiraWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientJiraWriter").finish_non_exhaustive()
    }
}

impl ClientJiraWriter {
    /// A writer reading the organizations' credentials from `store`.
    pub fn new(store: Arc<dyn IntegrationStore>) -> Self {
        Self {
            store,
            clients: Arc::default(),
        }
    }

    async fn client(
        &self,
        integration: &Integration,
        organization: OrganizationId,
    ) -> Result<JiraClient, JiraWriteError> {
        let identity = self
            .store
            .identity(organization, integration.id)
            .await
            .map_err(|error| {
                JiraWriteError::transient(format!(
                    "could not read the organization's credentials: {error}"
                ))
            })?
            .ok_or(JiraWriteError::NoCredentials {
                integration_id: integration.id,
            })?;
        let key = (integration.id, organization);
        self.clients
            .client(key, integration, identity, Some(RetryPolicy::never()))
            .map_err(|error| {
                JiraWriteError::permanent(None, format!("unusable credentials: {error}"))
            })
    }
}

/// Transient when the same call may succeed later; permanent otherwise, with Jira's words.
fn write_error(error: &jirasync_client::Error) -> JiraWriteError {
    if error.is_permanent() {
        JiraWriteError::permanent(error.status(), error.to_string())
    } else {
        JiraWriteError::transient(error.to_string())
    }
}

#[async_trait]
impl JiraWriter for ClientJiraWriter {
    async fn search_users(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        email: &str,
    ) -> Result<Vec<JiraAccount>, JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let users = client
            .search_users(email, SEARCH_RESULTS)
            .await
            .map_err(|error| write_error(&error))?;
        Ok(users
            .into_iter()
            .filter_map(|user| {
                Some(JiraAccount {
                    name: user.name?,
                    email_address: user.email_address,
                    active: user.active.unwrap_or(true),
                })
            })
            .collect())
    }

    async fn assign(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
        assignee: Option<&str>,
    ) -> Result<(), JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let assignment = match assignee {
            Some(name) => Assignment::User(name.to_owned()),
            None => Assignment::Unassigned,
        };
        client
            .assign_issue(key.as_str(), assignment)
            .await
            .map_err(|error| write_error(&error))
    }

    async fn issue_exists(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
    ) -> Result<bool, JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let found = client
            .issue(key.as_str(), &["summary"])
            .await
            .map_err(|error| write_error(&error))?;
        Ok(found.is_some())
    }

    async fn issue_state(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
    ) -> Result<Option<JiraIssueState>, JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let Some(issue) = client
            .issue(key.as_str(), &["project", "status"])
            .await
            .map_err(|error| write_error(&error))?
        else {
            return Ok(None);
        };
        let incomplete = |member: &str| {
            JiraWriteError::permanent(
                None,
                format!("Jira's answer for issue {key} has no {member}"),
            )
        };
        let project = issue
            .project()
            .ok_or_else(|| incomplete("fields.project"))?;
        let status = issue.status().ok_or_else(|| incomplete("fields.status"))?;
        Ok(Some(JiraIssueState {
            project_id: project.id.clone(),
            project_key: project.key.clone(),
            status_id: status.id.clone(),
            status_name: status.name.clone(),
        }))
    }

    async fn transitions(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
    ) -> Result<Vec<JiraTransition>, JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let transitions = client
            .transitions(key.as_str())
            .await
            .map_err(|error| write_error(&error))?;
        Ok(transitions
            .into_iter()
            .map(|transition| JiraTransition {
                id: transition.id,
                name: transition.name,
                to_id: transition.to.id,
                to_name: transition.to.name,
            })
            .collect())
    }

    async fn transition(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
        transition_id: &str,
    ) -> Result<(), JiraWriteError> {
        let client = self.client(integration, organization).await?;
        client
            .transition_issue(key.as_str(), transition_id)
            .await
            .map_err(|error| write_error(&error))
    }

    async fn project_statuses(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        project: &str,
    ) -> Result<Option<JiraProjectStatuses>, JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let Some(found) = client
            .project(project)
            .await
            .map_err(|error| write_error(&error))?
        else {
            return Ok(None);
        };
        let Some(types) = client
            .project_statuses(&found.key)
            .await
            .map_err(|error| write_error(&error))?
        else {
            return Ok(None);
        };
        Ok(Some(JiraProjectStatuses {
            project_id: found.id,
            project_key: found.key,
            statuses: distinct_statuses(&types)
                .into_iter()
                .map(|status| JiraStatusName {
                    id: status.id.clone(),
                    name: status.name.clone(),
                })
                .collect(),
        }))
    }

    async fn add_comment(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        key: &IssueKey,
        body: &str,
    ) -> Result<String, JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let comment = client
            .add_comment(key.as_str(), body)
            .await
            .map_err(|error| write_error(&error))?;
        Ok(comment.id)
    }

    async fn create_meta(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        project: &str,
        issue_type: &str,
    ) -> Result<JiraCreateMeta, JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let meta = client
            .create_meta(project, issue_type)
            .await
            .map_err(|error| write_error(&error))?;
        Ok(JiraCreateMeta {
            issue_type_id: meta.issue_type_id,
            issue_type_name: meta.issue_type_name,
            fields: meta
                .fields
                .into_iter()
                .map(|field| JiraCreateField {
                    key: field.key,
                    name: field.name,
                    required: field.required,
                    has_default_value: field.has_default_value,
                })
                .collect(),
        })
    }

    async fn create_issue(
        &self,
        integration: &Integration,
        organization: OrganizationId,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<CreatedJiraIssue, JiraWriteError> {
        let client = self.client(integration, organization).await?;
        let created = client
            .create_issue(fields.clone())
            .await
            .map_err(|error| write_error(&error))?;
        Ok(CreatedJiraIssue {
            key: IssueKey::new(created.key),
            id: created.id,
        })
    }
}

#[cfg(test)]
mod tests {
    use jirasync_domain::organization::OrganizationFeatures;
    use jirasync_domain::{InMemoryStore, Seed};

    use super::*;
    use crate::jira::tests::install;

    #[tokio::test]
    async fn each_organizations_client_is_kept_and_reused() {
        let store = Arc::new(InMemoryStore::new());
        let features = OrganizationFeatures::all();
        let acme = store.seed_organization("acme", features).await.unwrap();
        let globex = store.seed_organization("globex", features).await.unwrap();
        let jira = "https://jira.example.com";
        let integration = install(&store, acme, jira, "acme-token").await;
        assert_eq!(
            install(&store, globex, jira, "globex-token").await.id,
            integration.id
        );
        let writer = ClientJiraWriter::new(store.clone());

        for _ in 0..3 {
            writer.client(&integration, acme).await.unwrap();
            writer.clone().client(&integration, globex).await.unwrap();
        }

        assert_eq!(writer.clients.built(), 2, "one per organization, reused");
    }
}
