//! `jirasync reconcile`: one reconcile with Jira now, of one integration or every one, and what
//! it found; and the reconciler `serve` runs periodically.

use std::io::Write;
use std::sync::Arc;

use jirasync_domain::ReconcileStore;
use jirasync_domain::ids::IntegrationId;
use jirasync_domain::integration::{ExternalId, JIRA_SERVER_PROVIDER};
use jirasync_service::{ClientJiraDirectory, ReconcileOptions, Reconciler, SyncService};
use jirasync_store::AnyStore;

use crate::cli::ReconcileArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(
    args: &ReconcileArgs,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let service = super::serve::sync_service(&store, config)?;
    let reconciler = reconciler(&store, service, config);
    let results = match &args.integration {
        Some(choice) => {
            let id = integration_id(store.as_ref(), choice).await?;
            vec![reconciler.reconcile_integration(id, args.since).await]
        }
        None => reconciler
            .reconcile_all(args.since)
            .await
            .map_err(CliError::store("list the integrations"))?,
    };
    let total = results.len();
    let mut failed = 0;
    for result in results {
        match result {
            Ok(report) => writeln!(out, "{report}")?,
            Err(error) => {
                failed += 1;
                writeln!(out, "failed: {error}")?;
            }
        }
    }
    if total == 0 {
        writeln!(
            out,
            "no Jira integration is installed: nothing to reconcile"
        )?;
    }
    if failed > 0 {
        return Err(CliError::ReconcileFailed { failed, total });
    }
    Ok(())
}

/// The reconciler of `store` with the configured options.
pub(super) fn reconciler(
    store: &Arc<dyn AnyStore>,
    service: SyncService,
    config: &Config,
) -> Reconciler {
    let mut options = ReconcileOptions::default();
    options.overlap = config.reconcile.overlap;
    options.requests_per_second = config.reconcile.rate;
    options.keys_per_query = config.reconcile.batch;
    Reconciler::new(
        service,
        Arc::clone(store) as Arc<dyn ReconcileStore>,
        ClientJiraDirectory::new(Arc::clone(store) as _),
        options,
    )
}

/// The integration `choice` names: its external id, or its numeric id.
async fn integration_id(store: &dyn AnyStore, choice: &str) -> Result<IntegrationId, CliError> {
    let by_external_id = store
        .integration_by_external_id(JIRA_SERVER_PROVIDER, &ExternalId::new(choice))
        .await
        .map_err(CliError::store("look up the integration"))?;
    if let Some(integration) = by_external_id {
        return Ok(integration.id);
    }
    if let Ok(id) = choice.trim().parse::<u64>() {
        let integration = store
            .integration(IntegrationId::new(id))
            .await
            .map_err(CliError::store("look up the integration"))?;
        if let Some(integration) = integration {
            return Ok(integration.id);
        }
    }
    Err(CliError::IntegrationNotFound {
        external_id: choice.to_owned(),
    })
}
