//! `jirasync status-mapping list|set|remove`: the per-project status mappings of outbound status
//! sync (`docs/outbound.md#status`). `set` checks the mapping with Jira, with the organization's
//! credentials, as the host API does.

use std::io::Write;
use std::sync::Arc;

use jirasync_domain::rules::status_mappings::check_status_mapping;
use jirasync_service::ClientJiraWriter;

use super::config::chosen_link;
use crate::cli::StatusMappingCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(
    command: StatusMappingCommand,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    match command {
        StatusMappingCommand::List { choice } => {
            let (_, integration, link) = chosen_link(store.as_ref(), &choice).await?;
            let mappings = store
                .status_mappings(link.organization_id, integration.id)
                .await
                .map_err(CliError::store("read the status mappings"))?;
            if mappings.is_empty() {
                writeln!(out, "no status mappings")?;
                return Ok(());
            }
            writeln!(out, "project_key\tproject_id\ton_resolve\ton_unresolve")?;
            for mapping in mappings {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    mapping.project_key,
                    mapping.project_id,
                    mapping.on_resolve,
                    mapping.on_unresolve
                )?;
            }
            Ok(())
        }
        StatusMappingCommand::Set {
            choice,
            project,
            on_resolve,
            on_unresolve,
        } => {
            let (organization, integration, link) = chosen_link(store.as_ref(), &choice).await?;
            let writer = ClientJiraWriter::new(Arc::clone(&store) as _);
            let checked = check_status_mapping(
                &writer,
                &integration,
                link.organization_id,
                &project,
                Some(&on_resolve),
                Some(&on_unresolve),
            )
            .await?;
            store
                .put_status_mapping(&checked.mapping)
                .await
                .map_err(CliError::store("store the status mapping"))?;
            writeln!(
                out,
                "set: project {} ({}) of organization {organization}: resolve → {} ({}), \
                 unresolve → {} ({})",
                checked.mapping.project_key,
                checked.mapping.project_id,
                checked.on_resolve_name,
                checked.mapping.on_resolve,
                checked.on_unresolve_name,
                checked.mapping.on_unresolve,
            )?;
            Ok(())
        }
        StatusMappingCommand::Remove { choice, project } => {
            let (organization, integration, link) = chosen_link(store.as_ref(), &choice).await?;
            let removed = store
                .remove_status_mapping(link.organization_id, integration.id, &project)
                .await
                .map_err(CliError::store("remove the status mapping"))?;
            if !removed {
                return Err(CliError::NoStatusMapping {
                    organization: organization.to_string(),
                    project,
                    integration: integration.id.get(),
                });
            }
            writeln!(out, "removed: the status mapping of project {project}")?;
            Ok(())
        }
    }
}
