//! The listener of the PostgreSQL store's [`ConfigCache`] (see `crate::config_cache`): a task
//! on a connection of its own that `LISTEN`s to the channel migration 12's triggers notify, and
//! empties the cache on each notification. The cache serves only while the listener listens.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use crate::config_cache::ConfigCache;

/// The channel the configuration triggers notify (migration 12).
pub(crate) const CHANNEL: &str = "jirasync_config";

/// The listener's connection as `pg_stat_activity` shows it.
const APPLICATION_NAME: &str = "jirasync-config-listener";

/// How long the listener waits before connecting again after a failure.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// The listener's connection, closed (which stops the listener) when the store's last handle
/// is dropped or the store is closed.
#[derive(Debug)]
pub(crate) struct ConfigListener {
    /// A pool of one connection, the listener's own: it never takes one from the store's.
    pool: PgPool,
}

impl ConfigListener {
    /// Starts listening for `cache`, with the store's connection settings.
    pub(crate) fn start(options: &PgConnectOptions, cache: &Arc<ConfigCache>) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options.clone().application_name(APPLICATION_NAME));
        tokio::spawn(listen(pool.clone(), Arc::downgrade(cache)));
        Self { pool }
    }

    /// Stops the listener.
    pub(crate) fn stop(&self) {
        // Closing marks the pool closed at once, which ends the listener's wait; the
        // connection closes as the listener lets it go.
        drop(self.pool.close());
    }
}

impl Drop for ConfigListener {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Listens until the pool is closed or the cache is gone, connecting again after a failure.
async fn listen(pool: PgPool, cache: Weak<ConfigCache>) {
    while !pool.is_closed() {
        match subscribe(&pool).await {
            Ok(mut listener) => {
                if !serve(&mut listener, &cache).await {
                    return;
                }
            }
            Err(_) if pool.is_closed() => return,
            Err(error) => tracing::warn!(%error, "configuration-listener-failed"),
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// A listener on the configuration channel.
async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Empties the cache on every notification while `listener` listens; `false` once the cache is
/// gone or the pool closed (stop), `true` when the connection was lost (connect again).
async fn serve(listener: &mut PgListener, cache: &Weak<ConfigCache>) -> bool {
    match cache.upgrade() {
        Some(live) => live.set_listening(true),
        None => return false,
    }
    loop {
        // `try_recv` gives `None` when the connection was lost, where `recv` would reconnect
        // silently: notifications sent meanwhile are lost, so the cache must stop serving.
        let received = listener.try_recv().await;
        let Some(live) = cache.upgrade() else {
            return false;
        };
        match received {
            Ok(Some(_)) => live.forget(),
            Ok(None) | Err(_) => {
                live.set_listening(false);
                let closed = matches!(received, Err(sqlx::Error::PoolClosed));
                if !closed {
                    tracing::warn!("configuration-listener-lost");
                }
                return !closed;
            }
        }
    }
}
