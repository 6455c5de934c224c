//! `jirasync serve`: the HTTP service. Opens the store, composes the application ([`app`]), binds
//! the listen address, runs the inbox workers (inbox mode), and on SIGINT or SIGTERM stops
//! accepting, finishes the requests in flight, then lets each worker finish its delivery.

use std::io::Write;
use std::sync::Arc;

use jirasync_axum::{AdminState, AdminToken, ApiState, AppState, SetupState};
use jirasync_domain::{ApplicationData, Host, Inbox, LocalIssueStore, SyncStore};
use jirasync_service::{ClientJiraDirectory, SyncService, WebhookMode};
use jirasync_store::AnyStore;

use crate::config::{Config, Mode};
use crate::error::CliError;
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
    // The default public URL follows the listen address: with port 0, use the port bound.
    let public_url = if config.public_url == format!("http://{}", config.listen) {
        format!("http://{address}")
    } else {
        config.public_url.clone()
    };
    let setup = SetupState::new(Arc::clone(&store) as Arc<dyn SyncStore>, &public_url);
    let admin = admin_state(&store, config)?;
    let api = api_state(&store, config)?;
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
    let workers = match config.mode {
        Mode::Inbox => jirasync_service::spawn_workers(&service, config.workers.get(), &shutdown),
        Mode::Inline => Vec::new(),
    };
    let served = axum::serve(listener, app(state, setup, admin, api))
        .with_graceful_shutdown(signals.received())
        .await;

    // Requests are done (or the server failed): let each worker finish its current delivery.
    trigger.trigger();
    for worker in workers {
        if let Err(error) = worker.await {
            tracing::warn!(%error, "an inbox worker ended abnormally");
        }
    }
    served.map_err(|source| CliError::Serve { source })?;
    tracing::info!("jirasync stopped");
    Ok(())
}

/// The whole HTTP application of `jirasync serve`: the webhook, health and metrics routes on
/// `state`, and the setup pages and JSON steps on `setup`, with request tracing that never records
/// the webhook token. The admin API and the host API (`/api/v1`) are mounted only when an admin
/// token is configured.
pub(crate) fn app(
    state: AppState,
    setup: SetupState,
    admin: Option<AdminState>,
    api: Option<ApiState>,
) -> axum::Router {
    let mut app = jirasync_axum::routes(&state)
        .with_state(state)
        .merge(jirasync_axum::setup_router(setup));
    if let Some(admin) = admin {
        app = app.merge(jirasync_axum::admin_router(admin));
    }
    if let Some(api) = api {
        app = app.merge(jirasync_axum::api_router(api));
    }
    app.layer(jirasync_axum::trace_layer())
}

/// The admin API's state, when the configuration has an admin token.
fn admin_state(store: &Arc<dyn AnyStore>, config: &Config) -> Result<Option<AdminState>, CliError> {
    let Some(token) = &config.admin_token else {
        return Ok(None);
    };
    let token = AdminToken::new(token.expose_secret()).map_err(CliError::AdminToken)?;
    let admin = AdminState::new(
        Arc::clone(store) as Arc<dyn SyncStore>,
        Arc::clone(store) as Arc<dyn Host>,
        token,
    )
    .with_local_issues(Arc::clone(store) as Arc<dyn LocalIssueStore>);
    Ok(Some(admin))
}

/// The host API's state, when the configuration has an admin token (the same token opens it).
fn api_state(store: &Arc<dyn AnyStore>, config: &Config) -> Result<Option<ApiState>, CliError> {
    let Some(token) = &config.admin_token else {
        return Ok(None);
    };
    let token = AdminToken::new(token.expose_secret()).map_err(CliError::AdminToken)?;
    Ok(Some(ApiState::new(
        Arc::clone(store) as Arc<dyn ApplicationData>,
        Arc::clone(store) as Arc<dyn SyncStore>,
        Arc::clone(store) as Arc<dyn Host>,
        token,
    )))
}

/// The sync service on `store`: jirasync's store, the standalone host over the same database,
/// the inbox, and, through [`ClientJiraDirectory`], Jira look-ups with the stored credentials.
fn sync_service(store: &Arc<dyn AnyStore>, config: &Config) -> Result<SyncService, CliError> {
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
    .mode(mode)
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
