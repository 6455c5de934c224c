//! `jirasync events list [--dead]` and `jirasync events replay ID`.

use std::io::Write;
use std::time::SystemTime;

use jirasync_domain::StoreError;
use jirasync_domain::events::{
    DeliveryFilter, DeliveryRecord, DeliveryStatus, EventId, EventTimestamp,
};
use jirasync_store::AnyStore;

use crate::cli::EventsCommand;
use crate::config::Config;
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(
    command: EventsCommand,
    config: &Config,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let store = open_store(config).await?;
    match command {
        EventsCommand::List { dead, limit } => list(store.as_ref(), dead, limit, out).await,
        EventsCommand::Replay { id } => replay(store.as_ref(), &id, out).await,
    }
}

async fn list(
    store: &dyn AnyStore,
    dead: bool,
    limit: u32,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let filter = DeliveryFilter {
        status: dead.then_some(DeliveryStatus::Dead),
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    };
    let deliveries = store
        .deliveries(filter)
        .await
        .map_err(CliError::store("list the event deliveries"))?;
    if deliveries.is_empty() {
        writeln!(
            out,
            "{}",
            if dead {
                "no dead event deliveries"
            } else {
                "no event deliveries"
            }
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "event_id\ttype\tcursor\tsubscriber\turl\tstatus\tattempts\tat\tlast_error"
    )?;
    for delivery in &deliveries {
        writeln!(out, "{}", delivery_line(delivery))?;
    }
    Ok(())
}

/// One tab-separated line; text fields have their control characters replaced so a line stays
/// one line.
fn delivery_line(delivery: &DeliveryRecord) -> String {
    let event = &delivery.event;
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        event.event.id,
        event.event.event_type(),
        event.cursor,
        delivery.subscriber_id,
        one_line(&delivery.url),
        delivery.status,
        delivery.attempts,
        delivery.at.to_rfc3339(),
        one_line(delivery.last_error.as_deref().unwrap_or("-")),
    )
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

async fn replay(store: &dyn AnyStore, id: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let id = EventId::parse(id.trim()).map_err(CliError::EventId)?;
    let now = EventTimestamp::from_system_time(SystemTime::now());
    let replayed = store
        .replay_event(&id, now)
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => CliError::EventNotFound { id: id.to_string() },
            source => CliError::Store {
                what: format!("replay event {id}"),
                source,
            },
        })?;
    writeln!(
        out,
        "event {id} is pending again for {replayed} subscribers"
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_delivery_on_one_line() {
        assert_eq!(one_line("refused\r\nby proxy"), "refused  by proxy");
    }
}
