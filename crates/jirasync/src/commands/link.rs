//! `jirasync link ISSUE KEY` and `jirasync unlink ISSUE KEY`: an application issue (by its
//! application id) and a Jira issue, for an organization through one of its integrations.

use std::io::Write;

use jirasync_domain::app_data::AppId;
use jirasync_domain::ids::LocalIssueId;
use jirasync_domain::rules::issue_links::{link_jira_issue, parse_issue_key};
use jirasync_store::AnyStore;

use super::config::chosen_link;
use crate::cli::LinkArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

/// jirasync's id of the organization's issue `issue`.
pub(super) async fn issue_id(
    store: &dyn AnyStore,
    organization: &AppId,
    issue: &str,
) -> Result<LocalIssueId, CliError> {
    let found = store
        .app_issue(organization, &AppId::new(issue))
        .await
        .map_err(CliError::store("read the issue"))?;
    found
        .map(|(id, _)| id)
        .ok_or_else(|| CliError::UnknownIssue {
            organization: organization.to_string(),
            issue: issue.to_owned(),
        })
}

pub(super) async fn link(
    args: &LinkArgs,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let (organization, integration, link) = chosen_link(store.as_ref(), &args.choice).await?;
    let issue = issue_id(store.as_ref(), &organization, &args.issue).await?;
    let linked = link_jira_issue(
        store.as_ref(),
        store.as_ref(),
        link.organization_id,
        integration.id,
        &args.key,
        issue,
    )
    .await?;
    let what = if linked.created {
        "linked"
    } else {
        "already linked"
    };
    writeln!(
        out,
        "{what}: issue {} of organization {organization} and {} (integration {})",
        args.issue, args.key, integration.id
    )?;
    Ok(())
}

pub(super) async fn unlink(
    args: &LinkArgs,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let key = parse_issue_key(&args.key)?;
    let (organization, integration, link) = chosen_link(store.as_ref(), &args.choice).await?;
    let issue = issue_id(store.as_ref(), &organization, &args.issue).await?;
    store
        .unlink_issue(link.organization_id, integration.id, &key, issue)
        .await
        .map_err(CliError::store("unlink the issue"))?;
    writeln!(
        out,
        "unlinked: issue {} of organization {organization} and {key} (integration {})",
        args.issue, integration.id
    )?;
    Ok(())
}
