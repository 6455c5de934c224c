//! `jirasync inbox list` and `jirasync inbox replay ID|--all-dead`.

use std::io::Write;
use std::time::SystemTime;

use jirasync_domain::StoreError;
use jirasync_domain::inbox::{DeliveryId, DeliveryState, DeliverySummary};
use jirasync_store::AnyStore;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::cli::InboxCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(
    command: InboxCommand,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    match command {
        InboxCommand::List { state, limit } => list(store.as_ref(), state, limit, out).await,
        InboxCommand::Replay { id: Some(id), .. } => {
            replay(store.as_ref(), DeliveryId::new(id)).await?;
            writeln!(out, "delivery {id} is pending again")?;
            Ok(())
        }
        InboxCommand::Replay { id: None, .. } => replay_all_dead(store.as_ref(), out).await,
    }
}

async fn list(
    store: &dyn AnyStore,
    state: Option<DeliveryState>,
    limit: u32,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let deliveries = store
        .list(state, limit)
        .await
        .map_err(CliError::store("list the inbox"))?;
    if deliveries.is_empty() {
        match state {
            Some(state) => writeln!(out, "no {state} deliveries")?,
            None => writeln!(out, "no deliveries")?,
        }
        return Ok(());
    }
    writeln!(
        out,
        "id\tstate\tattempts\treceived_at\tordering_key\tlast_error"
    )?;
    for delivery in &deliveries {
        writeln!(out, "{}", delivery_line(delivery))?;
    }
    Ok(())
}

/// One tab-separated line; text fields have their control characters replaced so a line stays
/// one line.
fn delivery_line(delivery: &DeliverySummary) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        delivery.id,
        delivery.state,
        delivery.attempts,
        timestamp(delivery.received_at),
        one_line(delivery.ordering_key.as_deref().unwrap_or("-")),
        one_line(delivery.last_error.as_deref().unwrap_or("-")),
    )
}

fn timestamp(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "-".to_owned())
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

async fn replay(store: &dyn AnyStore, id: DeliveryId) -> Result<(), CliError> {
    store.replay(id).await.map_err(|error| match error {
        StoreError::NotFound { .. } => CliError::DeliveryNotFound { id: id.get() },
        StoreError::Conflict { .. } => CliError::DeliveryNotDead { id: id.get() },
        source => CliError::Store {
            what: format!("replay inbox delivery {id}"),
            source,
        },
    })
}

async fn replay_all_dead(store: &dyn AnyStore, out: &mut dyn Write) -> Result<(), CliError> {
    let dead = store
        .list(Some(DeliveryState::Dead), usize::MAX)
        .await
        .map_err(CliError::store("list the dead deliveries"))?;
    let mut replayed = 0_usize;
    for delivery in &dead {
        match replay(store, delivery.id).await {
            Ok(()) => replayed += 1,
            // Replayed by someone else meanwhile: nothing left to do for it.
            Err(CliError::DeliveryNotDead { .. } | CliError::DeliveryNotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    writeln!(out, "{replayed} dead deliveries are pending again")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_delivery_on_one_line() {
        assert_eq!(one_line("line one\nline\ttwo"), "line one line two");
    }
}
