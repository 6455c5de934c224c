//! The loop the event dispatcher and the outbox worker share: claim and carry out a round of
//! work, and between rounds that found nothing wait for a wake-up, the idle poll or the
//! shutdown.

use std::future::Future;
use std::time::Duration;

use jirasync_domain::StoreError;
use tokio::sync::Notify;

use crate::shutdown::Shutdown;

/// Runs `round` until `shutdown`. After a round that found nothing, `idle` runs and the loop
/// waits for `wake`, `idle_poll` or the shutdown; after a failed round it logs `failure` (with
/// the error) and waits for `idle_poll` or the shutdown. It listens to `wake` before each round,
/// so work recorded during one is not missed.
pub(crate) async fn poll_until_shutdown<Round, RoundFuture, Idle, IdleFuture>(
    shutdown: &Shutdown,
    wake: &Notify,
    idle_poll: Duration,
    failure: &'static str,
    mut round: Round,
    mut idle: Idle,
) where
    Round: FnMut() -> RoundFuture,
    RoundFuture: Future<Output = Result<usize, StoreError>>,
    Idle: FnMut() -> IdleFuture,
    IdleFuture: Future<Output = ()>,
{
    while !shutdown.is_triggered() {
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match round().await {
            Ok(0) => {
                idle().await;
                tokio::select! {
                    () = &mut woken => {}
                    () = tokio::time::sleep(idle_poll) => {}
                    () = shutdown.clone().triggered() => {}
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "{failure}");
                tokio::select! {
                    () = tokio::time::sleep(idle_poll) => {}
                    () = shutdown.clone().triggered() => {}
                }
            }
        }
    }
}
