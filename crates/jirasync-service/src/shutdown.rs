//! The signal that stops the inbox workers (and anything else listening, such as an HTTP server).

use tokio::sync::watch;

/// Tells workers (and anything else listening, such as the HTTP server) to stop.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// The listening side of a [`ShutdownTrigger`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new trigger and its listener.
pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger(sender), Shutdown(receiver))
}

impl ShutdownTrigger {
    /// Asks every listener to stop.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// Whether stopping was asked for (or the trigger was dropped).
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// Waits until stopping is asked for (or the trigger is dropped).
    pub async fn triggered(mut self) {
        // An error means the trigger is gone: stop as well.
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_is_seen_by_every_listener() {
        let (trigger, shutdown) = shutdown_channel();
        let other = shutdown.clone();
        assert!(!shutdown.is_triggered());
        trigger.trigger();
        assert!(shutdown.is_triggered());
        other.triggered().await;
    }

    #[tokio::test]
    async fn a_dropped_trigger_stops_listeners() {
        let (trigger, shutdown) = shutdown_channel();
        drop(trigger);
        assert!(shutdown.is_triggered());
        shutdown.triggered().await;
    }
}
