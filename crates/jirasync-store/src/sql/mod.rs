//! The SQL both back-ends run, written once.
//!
//! SQLite and PostgreSQL share the schema's tables and column names, and sqlx binds `$N`
//! placeholders on both, so one SQL text serves both. Each file here holds the pure parts of one
//! storage trait (row → domain conversions, stored names) as functions, and the parts that talk
//! to the database as a macro each back-end expands for its own store and connection types
//! (`sqlite/integrations.rs` and `postgres/integrations.rs` are such expansions). What really
//! differs stays in the back-ends: how a write transaction starts (`begin_write`), what a plan
//! locks before it reads its watermarks (`lock_plan_rows`), and the [`Dialect`] constants.

pub(crate) mod directory;
pub(crate) mod external_actors;
pub(crate) mod integrations;
pub(crate) mod issue_links;
pub(crate) mod issue_sync;
pub(crate) mod seed;
pub(crate) mod values;

/// The few words of SQL the back-ends spell differently.
pub(crate) trait Dialect {
    /// A boolean true in a comparison (`1` on SQLite, `TRUE` on PostgreSQL), spelled as the
    /// partial indexes spell it so that the planner uses them.
    const TRUE: &'static str;
}
