//! `jirasync create-issue ISSUE --project KEY --issue-type NAME --summary TEXT`: creates a Jira
//! issue from an application issue with the organization's credentials, and links the two
//! (the host API's `POST …/issues/{issue}/jira-issues`, on the database directly).

use std::io::Write;
use std::sync::Arc;

use jirasync_domain::rules::jira_creation::{JiraIssueDraft, create_and_link_jira_issue};
use jirasync_service::ClientJiraWriter;

use super::config::chosen_link;
use super::link::issue_id;
use crate::cli::CreateIssueArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(
    args: &CreateIssueArgs,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let (organization, integration, link) = chosen_link(store.as_ref(), &args.choice).await?;
    let issue = issue_id(store.as_ref(), &organization, &args.issue).await?;
    let draft = JiraIssueDraft {
        project: args.project.clone(),
        issue_type: args.issue_type.clone(),
        summary: args.summary.clone(),
        description: args.description.clone(),
        fields: args.fields.iter().cloned().collect(),
    };
    let writer = ClientJiraWriter::new(Arc::clone(&store) as _);
    let created = create_and_link_jira_issue(
        store.as_ref(),
        store.as_ref(),
        &writer,
        link.organization_id,
        &integration,
        issue,
        &draft,
    )
    .await?;
    let key = created.issue.key.to_string();
    created.link.map_err(|source| CliError::CreatedNotLinked {
        issue: args.issue.clone(),
        key: key.clone(),
        source,
    })?;
    writeln!(
        out,
        "created {key} (id {}) and linked it to issue {} of organization {organization} \
         (integration {})",
        created.issue.id, args.issue, integration.id
    )?;
    Ok(())
}
