//! `jirasync serve`: the HTTP service. Opens the store, composes the application ([`app`]), binds
//! the listen address, runs the inbox workers (inbox mode), and on SIGINT or SIGTERM stops
//! accepting, finishes the requests in flight, then lets each worker finish its delivery.

use std::io::Write;
use std::sync::Arc;

use jirasync_axum::admin::{AdminState, AdminToken};
use jirasync_axum::setup::SetupState;
use jirasync_axum::{AppState, ClientJiraDirectory, WebhookMode};
use jirasync_domain::Store;
use jirasync_store::AnyStore;
use jirasync_store::inbox::Inbox;

use crate::config::{Config, Mode};
use crate::error::CliError;
use crate::store::open_store;

pub(super) async fn run(config: &Config, out: &mut dyn Write) -> Result<(), CliError> {
    let store = open_store(config).await?;
    let state = app_state(&store, config)?;
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
    let setup = SetupState::new(Arc::clone(&store) as Arc<dyn Store>, &public_url);
    let admin = admin_state(&store, config)?;
    // Tests and supervisors read this line to learn the port: keep it exact and flushed.
    writeln!(out, "jirasync listening on http://{address}")?;
    out.flush()?;
    tracing::info!(
        %address,
        mode = ?config.mode,
        %public_url,
        "jirasync listening on http://{address}"
    );

    let (trigger, shutdown) = jirasync_axum::shutdown_channel();
    let workers = match config.mode {
        Mode::Inbox => jirasync_axum::spawn_workers(&state, config.workers.get(), &shutdown),
        Mode::Inline => Vec::new(),
    };
    let served = axum::serve(listener, app(state, setup, admin))
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
/// the webhook token. The admin API is mounted only when an admin token is configured.
pub(crate) fn app(state: AppState, setup: SetupState, admin: Option<AdminState>) -> axum::Router {
    let mut app = jirasync_axum::routes(&state)
        .with_state(state)
        .merge(jirasync_axum::setup::router(setup));
    if let Some(admin) = admin {
        app = app.merge(jirasync_axum::admin::router(admin));
    }
    app.layer(jirasync_axum::router::trace_layer())
}

/// The admin API's state, when the configuration has an admin token.
fn admin_state(store: &Arc<dyn AnyStore>, config: &Config) -> Result<Option<AdminState>, CliError> {
    let Some(token) = &config.admin_token else {
        return Ok(None);
    };
    let token = AdminToken::new(token.expose()).map_err(CliError::AdminToken)?;
    Ok(Some(AdminState::new(
        Arc::clone(store) as Arc<dyn Store>,
        token,
    )))
}

/// The webhook routes' and workers' state on `store` (also the inbox and, through
/// [`ClientJiraDirectory`], the source of Jira credentials).
fn app_state(store: &Arc<dyn AnyStore>, config: &Config) -> Result<AppState, CliError> {
    let domain_store = Arc::clone(store) as Arc<dyn Store>;
    let directory = ClientJiraDirectory::new(Arc::clone(&domain_store));
    let mode = match config.mode {
        Mode::Inbox => WebhookMode::Inbox,
        Mode::Inline => WebhookMode::Inline,
    };
    Ok(AppState::builder(domain_store, Arc::new(directory))
        .inbox(Arc::clone(store) as Arc<dyn Inbox>)
        .mode(mode)
        .body_limit(usize::try_from(config.body_limit.bytes()).unwrap_or(usize::MAX))
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
