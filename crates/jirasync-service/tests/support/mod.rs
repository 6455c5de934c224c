//! Shared test support: a seeded in-memory world, fixtures, a fake Jira, a Jira directory that
//! holds a look-up until opened, and a store and an inbox that can be switched off. `jirasync-axum`'s tests include these files too.
#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: each test file uses a part of it, and a failed setup should panic"
)]

pub mod fake_jira;
pub mod flaky;
mod gated;
mod world;

pub use gated::GatedDirectory;
pub use world::*;
