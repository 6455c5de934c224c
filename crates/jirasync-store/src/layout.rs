//! Which tables a store keeps: jirasync's bookkeeping only, or the standalone host's tables too.
//!
//! The standalone service (the `jirasync` binary) is its own host: it keeps users, teams,
//! projects and issues in tables of its own, and [`Layout::Standalone`] creates them. An
//! application that embeds jirasync is the host itself: its data stays in its own tables (maybe
//! in the same database), and [`Layout::Bookkeeping`] creates nothing but the `jirasync_` tables.

use jirasync_domain::StoreError;

/// Which tables a store creates and serves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// jirasync's bookkeeping tables and the standalone host's tables (users, teams, projects,
    /// local issues, activities): the store is also the [`Host`](jirasync_domain::Host).
    #[default]
    Standalone,
    /// jirasync's bookkeeping tables only (`jirasync_` prefix): the application is the host.
    /// The store's `Host`, `LocalIssueStore`, `StateStore` and `Seed` calls are refused.
    Bookkeeping,
}

/// What a store opened with [`Layout::Bookkeeping`] answers to a call about the standalone
/// host's tables.
pub(crate) fn bookkeeping_only() -> StoreError {
    StoreError::invalid(
        "this store was opened with jirasync's bookkeeping tables only: the application is the host",
    )
}
