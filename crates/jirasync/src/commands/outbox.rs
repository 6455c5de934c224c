//! `jirasync outbox list [--failed]` and `jirasync outbox retry N`.

use std::io::Write;
use std::time::SystemTime;

use jirasync_domain::StoreError;
use jirasync_domain::events::EventTimestamp;
use jirasync_domain::outbound::{OutboundFilter, OutboundId, OutboundStatus, OutboundWork};
use jirasync_store::AnyStore;

use crate::cli::OutboxCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(
    command: OutboxCommand,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    match command {
        OutboxCommand::List { failed, limit } => list(store.as_ref(), failed, limit, out).await,
        OutboxCommand::Retry { id } => retry(store.as_ref(), id, out).await,
    }
}

async fn list(
    store: &dyn AnyStore,
    failed: bool,
    limit: u32,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let filter = OutboundFilter {
        status: failed.then_some(OutboundStatus::Failed),
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    };
    let work = store
        .list_outbound(filter)
        .await
        .map_err(CliError::store("list the outbound work"))?;
    if work.is_empty() {
        let empty = if failed {
            "no failed outbound work"
        } else {
            "no outbound work"
        };
        writeln!(out, "{empty}")?;
        return Ok(());
    }
    writeln!(
        out,
        "id\tintegration\tissue_key\torganization\taction\tstatus\tattempts\tat\tlast_error"
    )?;
    for piece in &work {
        writeln!(out, "{}", work_line(piece))?;
    }
    Ok(())
}

/// One tab-separated line; text fields have their control characters replaced so a line stays
/// one line.
fn work_line(work: &OutboundWork) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        work.id,
        work.integration_id,
        one_line(work.issue_key.as_str()),
        work.organization_id,
        work.action,
        work.status,
        work.attempts,
        work.at.to_rfc3339(),
        one_line(work.last_error.as_deref().unwrap_or("-")),
    )
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

async fn retry(store: &dyn AnyStore, id: u64, out: &mut dyn Write) -> Result<(), CliError> {
    let now = EventTimestamp::from_system_time(SystemTime::now());
    store
        .retry_outbound(OutboundId::new(id), now)
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => CliError::OutboundNotFound { id },
            StoreError::Conflict { message } => CliError::OutboundNotFailed { message },
            source => CliError::Store {
                what: format!("retry outbound work {id}"),
                source,
            },
        })?;
    writeln!(out, "outbound work {id} is pending again")?;
    Ok(())
}
