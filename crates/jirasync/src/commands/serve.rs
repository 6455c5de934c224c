//! `jirasync serve`: the HTTP service. Opens the store, composes the application ([`app`]), binds
//! the listen address, serves within the configured bounds (header and body read timeouts, a
//! connection limit: [`serve_bounded`]), runs the inbox workers (in both modes), the event
//! dispatcher, the inbox retention task and the periodic reconcile with Jira (unless
//! `--reconcile-interval off`), and on SIGINT or SIGTERM stops accepting, finishes the requests
//! in flight, then lets each worker
//! finish its delivery.

use std::io::Write;
use std::sync::Arc;

use jirasync_axum::{
    AdminState, AdminToken, ApiState, AppState, EventsState, ServerLimits, SetupState,
    serve_bounded,
};
use jirasync_domain::{
    ApplicationData, EventStore, Host, Inbox, LocalIssueStore, SetupStore, SyncStore,
};
use jirasync_service::events::{DispatcherOptions, EventDispatcher, EventFeed};
use jirasync_service::{
    ClientJiraDirectory, ClientJiraWriter, InboxRetention, OutboundOptions, OutboundWorker,
    SyncService, SystemClock, WebhookMode, WorkerOptions,
};
use jirasync_store::AnyStore;

use crate::config::{Config, Mode};
use crate::error::CliError;
use crate::public_url::{PublicUrl, PublicUrlSource};
use crate::store::open_store;

pub(super) async fn run(config: &Config, out: &mut dyn Write) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let service = sync_service(&store, config)?;
    let state = AppState::builder(service.clone())
        .body_limit(usize::try_from(config.body_limit.bytes()).unwrap_or(usize::MAX))
        .build()?;
    let signals = Signals::watch()?;

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| CliError::Bind {
            address: config.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| CliError::Bind {
        address: config.listen,
        source,
    })?;
    // The configured public URL, else the one saved by the last install, else the listen
    // address (with port 0, the port bound).
    let public_url = match crate::public_url::resolve(config, store.as_ref()).await? {
        PublicUrl {
            source: PublicUrlSource::Default,
            ..
        } => format!("http://{address}"),
        PublicUrl { url, .. } => url,
    };
    let admin = admin_state(&store, config)?;
    let setup = setup_state(&store, config, &public_url)?;
    let outbound = outbound_worker(&store, &service);
    // Links are made only to Jira issues that exist, checked with the linking organization's
    // credentials.
    let api = api_state(&store, config)?.map(|api| {
        api.with_outbound(outbound.handle())
            .with_jira_check(Arc::new(ClientJiraWriter::new(Arc::clone(&store) as _)))
    });
    // Tests and supervisors read this line to learn the port: keep it exact and flushed.
    writeln!(out, "jirasync listening on http://{address}")?;
    out.flush()?;
    tracing::info!(
        %address,
        mode = ?config.mode,
        %public_url,
        "jirasync listening on http://{address}"
    );

    let (trigger, shutdown) = jirasync_service::shutdown_channel();
    // Inline mode runs them too: they apply the deliveries kept in the inbox while Jira could
    // not be reached.
    let mut workers = jirasync_service::spawn_workers(&service, config.workers.get(), &shutdown);
    // The outgoing events' pushes run whatever the mode.
    workers.push(event_dispatcher(&store, config)?.spawn(&shutdown));
    // Application changes reach Jira through the outbox, whatever the mode.
    workers.push(outbound.spawn(&shutdown));
    let limits = ServerLimits {
        header_read_timeout: config.header_read_timeout,
        body_read_timeout: config.body_read_timeout,
        max_connections: config.max_connections.get(),
    };
    // Done deliveries hold bodies: deleted after the retention, in either mode.
    let retention = InboxRetention {
        done: config.inbox_retention,
        ..InboxRetention::default()
    };
    let purging = jirasync_service::spawn_retention(&service, retention, &shutdown);
    // Done outbound work is deleted after its retention (kept for ever when it is off).
    if let Some(keep) = config.outbox_retention {
        workers.push(jirasync_service::spawn_outbox_retention(
            Arc::clone(&store) as Arc<dyn jirasync_domain::store::OutboxStore>,
            Arc::new(SystemClock),
            keep,
            jirasync_service::DEFAULT_PURGE_INTERVAL,
            &shutdown,
        ));
    }
    // Settled events are deleted after their retention (kept for ever when it is off).
    if let Some(keep) = config.event_retention {
        workers.push(jirasync_service::events::spawn_event_retention(
            Arc::clone(&store) as Arc<dyn EventStore>,
            Arc::new(SystemClock),
            keep,
            jirasync_service::events::EVENT_PURGE_INTERVAL,
            &shutdown,
        ));
    }
    let reconciler = config.reconcile.interval.map(|interval| {
        let reconciler = super::reconcile::reconciler(&store, service.clone(), config);
        jirasync_service::spawn_reconciler(reconciler, interval, &shutdown)
    });
    let served = serve_bounded(
        listener,
        app(state, setup, admin, api),
        limits,
        signals.received(),
    )
    .await;

    // Requests are done (or the server failed): let each worker finish the deliveries it claimed.
    trigger.trigger();
    for worker in workers {
        if let Err(error) = worker.await {
            tracing::warn!(%error, "an inbox worker ended abnormally");
        }
    }
    if let Some(Err(error)) = match purging {
        Some(purging) => Some(purging.await),
        None => None,
    } {
        tracing::warn!(%error, "the inbox retention task ended abnormally");
    }
    if let Some(reconciler) = reconciler
        && let Err(error) = reconciler.await
    {
        tracing::warn!(%error, "the reconciler ended abnormally");
    }
    served.map_err(|source| CliError::Serve { source })?;
    tracing::info!("jirasync stopped");
    Ok(())
}

/// The whole HTTP application of `jirasync serve`: the webhook, health and metrics routes on
/// `state`, the setup pages and JSON steps on `setup` (unless setup is turned off: they then
/// answer 404), with request tracing that never records the webhook token. The admin API, the
/// host API (`/api/v1`) and the events API are mounted only when an admin token is configured.
pub(crate) fn app(
    state: AppState,
    setup: Option<SetupState>,
    admin: Option<(AdminState, EventsState)>,
    api: Option<ApiState>,
) -> axum::Router {
    let mut app = jirasync_axum::routes(&state).with_state(state);
    if let Some(setup) = setup {
        app = app.merge(jirasync_axum::setup_router(setup));
    }
    if let Some((admin, events)) = admin {
        app = app
            .merge(jirasync_axum::admin_router(admin))
            .merge(jirasync_axum::events_router(events));
    }
    if let Some(api) = api {
        app = app.merge(jirasync_axum::api_router(api));
    }
    app.layer(jirasync_axum::trace_layer())
}

/// The setup routes' state, unless setup is turned off: opened by the admin token (when one is
/// configured) or a one-time set-up link (`jirasync setup-link`), limited to the allowed Jira
/// hosts.
fn setup_state(
    store: &Arc<dyn AnyStore>,
    config: &Config,
    public_url: &str,
) -> Result<Option<SetupState>, CliError> {
    if !config.setup_enabled {
        return Ok(None);
    }
    let mut setup = SetupState::new(Arc::clone(store) as Arc<dyn SyncStore>, public_url)
        .with_setup_links(Arc::clone(store) as Arc<dyn SetupStore>)
        .with_jira_hosts(config.jira_hosts.clone());
    if let Some(token) = &config.admin_token {
        setup = setup.with_admin_token(
            AdminToken::new(token.expose_secret()).map_err(CliError::AdminToken)?,
        );
    }
    Ok(Some(setup))
}

/// The admin API's and the events API's states, when the configuration has an admin token.
fn admin_state(
    store: &Arc<dyn AnyStore>,
    config: &Config,
) -> Result<Option<(AdminState, EventsState)>, CliError> {
    let Some(token) = &config.admin_token else {
        return Ok(None);
    };
    let token = AdminToken::new(token.expose_secret()).map_err(CliError::AdminToken)?;
    let admin = AdminState::new(
        Arc::clone(store) as Arc<dyn SyncStore>,
        Arc::clone(store) as Arc<dyn Host>,
        token.clone(),
    )
    .with_local_issues(Arc::clone(store) as Arc<dyn LocalIssueStore>);
    let events = EventsState::new(
        EventFeed::new(Arc::clone(store) as Arc<dyn EventStore>),
        Arc::new(SystemClock),
        token,
    )
    .with_max_wait(config.event_max_wait);
    Ok(Some((admin, events)))
}

/// The dispatcher that pushes outgoing events to the subscribers, retrying for the configured
/// time.
fn event_dispatcher(
    store: &Arc<dyn AnyStore>,
    config: &Config,
) -> Result<EventDispatcher, CliError> {
    let options = DispatcherOptions {
        retry_for: config.event_retry_for,
        ..DispatcherOptions::default()
    };
    EventDispatcher::new(
        Arc::clone(store) as Arc<dyn EventStore>,
        Arc::new(SystemClock),
        options,
    )
    .map_err(|source| CliError::EventDispatcher { source })
}

/// The worker that carries the outbox's work (application changes) to Jira, with the stored
/// credentials of the organization each change is for.
fn outbound_worker(store: &Arc<dyn AnyStore>, service: &SyncService) -> OutboundWorker {
    OutboundWorker::new(
        Arc::clone(store) as Arc<dyn SyncStore>,
        Arc::new(ClientJiraWriter::new(Arc::clone(store) as _)),
        Arc::new(SystemClock),
        OutboundOptions::default(),
    )
    .with_metrics(service.metrics().clone())
}

/// The host API's state, when the configuration has an admin token (the same token opens it).
fn api_state(store: &Arc<dyn AnyStore>, config: &Config) -> Result<Option<ApiState>, CliError> {
    let Some(token) = &config.admin_token else {
        return Ok(None);
    };
    let token = AdminToken::new(token.expose_secret()).map_err(CliError::AdminToken)?;
    // One document for every /api/v1 route: the host API's and the events API's.
    Ok(Some(
        ApiState::new(
            Arc::clone(store) as Arc<dyn ApplicationData>,
            Arc::clone(store) as Arc<dyn SyncStore>,
            Arc::clone(store) as Arc<dyn Host>,
            token,
        )
        .with_document(jirasync_axum::v1_document()),
    ))
}

/// The sync service on `store`: jirasync's store, the standalone host over the same database,
/// the inbox, and, through [`ClientJiraDirectory`], Jira look-ups with the stored credentials.
pub(super) fn sync_service(
    store: &Arc<dyn AnyStore>,
    config: &Config,
) -> Result<SyncService, CliError> {
    let sync_store = Arc::clone(store) as Arc<dyn SyncStore>;
    let directory = ClientJiraDirectory::new(Arc::clone(store) as _);
    let mode = match config.mode {
        Mode::Inbox => WebhookMode::Inbox,
        Mode::Inline => WebhookMode::Inline,
    };
    Ok(SyncService::builder(
        sync_store,
        Arc::clone(store) as Arc<dyn Host>,
        Arc::new(directory),
    )
    .inbox(Arc::clone(store) as Arc<dyn Inbox>)
    // The host and the inbox are this store: a sync's commit may write the host's changes and
    // mark its delivery done.
    .host_is_store(true)
    .inbox_is_store(true)
    .mode(mode)
    .worker_options(WorkerOptions {
        claim_batch: config.claim_batch.get(),
        apply_at_receipt: config.apply_at_receipt,
        ..WorkerOptions::default()
    })
    .event_time_tolerance(config.event_time_tolerance)
    .build()?)
}

/// SIGINT and SIGTERM, watched from before the server starts so none is missed.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn watch() -> Result<Self, CliError> {
        Ok(Self {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(|source| CliError::Signals { source })?,
        })
    }

    /// Waits for SIGINT or SIGTERM.
    async fn received(self) {
        #[cfg(unix)]
        {
            let mut terminate = self.terminate;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received: shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM received: shutting down"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("interrupt received: shutting down");
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use jirasync_store::DatabaseUrl;

    use super::*;
    use crate::Cli;
    use crate::config::Environment;

    /// The configuration of `jirasync FLAGS serve`, with no variables.
    fn config(flags: &[&str]) -> Config {
        let args = std::iter::once("jirasync")
            .chain(flags.iter().copied())
            .chain(["serve"]);
        let cli = Cli::try_parse_from(args).unwrap();
        Config::resolve(
            &cli.config,
            &Environment::new(Vec::<(&str, &str)>::new(), false),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn the_workers_claim_as_many_deliveries_as_configured() {
        let store = jirasync_store::open(&DatabaseUrl::new("sqlite::memory:"))
            .await
            .unwrap();
        let service = sync_service(&store, &config(&["--claim-batch", "3"])).unwrap();
        assert_eq!(service.worker_options().claim_batch, 3);
        let service = sync_service(&store, &config(&[])).unwrap();
        assert_eq!(
            service.worker_options().claim_batch,
            jirasync_service::DEFAULT_CLAIM_BATCH
        );
    }

    #[tokio::test]
    async fn the_receiver_applies_at_receipt_unless_configured_off() {
        let store = jirasync_store::open(&DatabaseUrl::new("sqlite::memory:"))
            .await
            .unwrap();
        let service = sync_service(&store, &config(&[])).unwrap();
        assert!(service.worker_options().apply_at_receipt);
        let off = config(&["--apply-at-receipt", "false"]);
        let service = sync_service(&store, &off).unwrap();
        assert!(!service.worker_options().apply_at_receipt);
    }
}
