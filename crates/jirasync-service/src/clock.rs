//! Wall-clock time (receipt times, inbox leases and retries), injectable for tests.

use std::fmt;
use std::time::SystemTime;

/// A source of wall-clock time.
pub trait WallClock: fmt::Debug + Send + Sync {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
