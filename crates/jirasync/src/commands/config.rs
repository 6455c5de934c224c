//! `jirasync config list` and `jirasync config set KEY=VALUE…`: an organization's sync flags for
//! a Jira integration, with the domain's rules (`rules::sync_config`): an unknown key, a bad
//! value or a flag of the application-to-Jira direction is refused and nothing is stored.

use std::io::Write;

use jirasync_domain::app_data::AppId;
use jirasync_domain::ids::{IntegrationId, OrganizationId};
use jirasync_domain::integration::{Integration, LinkStatus, OrganizationIntegration};
use jirasync_domain::rules::organization_links::{choose_link, organization_links};
use jirasync_domain::rules::sync_config::{
    SYNC_CONFIG_KEYS, apply_config_changes, config_value, parse_setting,
};
use jirasync_store::AnyStore;

use crate::cli::{ConfigCommand, LinkChoice};
use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(
    command: ConfigCommand,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    match command {
        ConfigCommand::List { organization } => list(store.as_ref(), organization, out).await,
        ConfigCommand::Set { choice, settings } => {
            set(store.as_ref(), &choice, &settings, out).await
        }
    }
}

/// The organization `--organization` names (or the only one): its application id and
/// jirasync's id.
pub(super) async fn chosen_organization(
    store: &dyn AnyStore,
    organization: Option<&str>,
) -> Result<(AppId, OrganizationId), CliError> {
    let known = store
        .app_organizations()
        .await
        .map_err(CliError::store("list the organizations"))?;
    let organization = match (organization, known.as_slice()) {
        (Some(given), _) => AppId::new(given),
        (None, [only]) => only.clone(),
        (None, _) => {
            return Err(CliError::ChooseOrganization {
                known: known.iter().map(ToString::to_string).collect(),
            });
        }
    };
    let found = store
        .app_organization(&organization)
        .await
        .map_err(CliError::store("read the organization"))?;
    match found {
        Some((id, _)) => Ok((organization, id)),
        None => Err(CliError::UnknownOrganization {
            organization: organization.to_string(),
            known: known.iter().map(ToString::to_string).collect(),
        }),
    }
}

/// The organization's link the choice names.
pub(super) async fn chosen_link(
    store: &dyn AnyStore,
    choice: &LinkChoice,
) -> Result<(AppId, Integration, OrganizationIntegration), CliError> {
    let (organization, organization_id) =
        chosen_organization(store, choice.organization.as_deref()).await?;
    let (integration, link) = choose_link(
        store,
        organization_id,
        organization.as_str(),
        choice.integration.map(IntegrationId::new),
    )
    .await?;
    Ok((organization, integration, link))
}

fn write_link(
    out: &mut dyn Write,
    organization: &AppId,
    integration: &Integration,
    link: &OrganizationIntegration,
) -> Result<(), CliError> {
    let status = match link.status {
        LinkStatus::Active => "active",
        LinkStatus::Disabled => "disabled",
    };
    writeln!(
        out,
        "organization {organization}, integration {} ({}, {}), {status}",
        integration.id, integration.name, integration.metadata.base_url
    )?;
    for key in SYNC_CONFIG_KEYS {
        if let Some(value) = config_value(&link.config, key) {
            writeln!(
                out,
                "  {key} = {}",
                value.as_str().map_or(value.to_string(), str::to_owned)
            )?;
        }
    }
    Ok(())
}

async fn list(
    store: &dyn AnyStore,
    organization: Option<String>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let organizations = match organization {
        Some(given) => vec![chosen_organization(store, Some(&given)).await?],
        None => {
            let mut all = Vec::new();
            let ids = store
                .app_organizations()
                .await
                .map_err(CliError::store("list the organizations"))?;
            for id in ids {
                all.push(chosen_organization(store, Some(id.as_str())).await?);
            }
            all
        }
    };
    let mut shown = 0;
    for (organization, organization_id) in organizations {
        let links = organization_links(store, organization_id)
            .await
            .map_err(CliError::store("list the organization's integrations"))?;
        for (integration, link) in &links {
            write_link(out, &organization, integration, link)?;
            shown += 1;
        }
    }
    if shown == 0 {
        writeln!(
            out,
            "no organization has a Jira integration yet: connect one (jirasync connect)"
        )?;
    }
    Ok(())
}

async fn set(
    store: &dyn AnyStore,
    choice: &LinkChoice,
    settings: &[String],
    out: &mut dyn Write,
) -> Result<(), CliError> {
    // Every setting is checked before the link is looked up or anything is written.
    let changes = settings
        .iter()
        .map(|setting| parse_setting(setting))
        .collect::<Result<Vec<_>, _>>()?;
    let (organization, integration, link) = chosen_link(store, choice).await?;
    let config = apply_config_changes(
        link.config,
        changes.iter().map(|(key, value)| (key.as_str(), value)),
    )?;
    let stored = store
        .update_sync_config(link.organization_id, link.integration_id, config)
        .await
        .map_err(CliError::store("store the sync configuration"))?;
    write_link(out, &organization, &integration, &stored)
}
