//! The set-up store conformance suite of `jirasync-domain` against a fresh SQLite file per test.
#![cfg(feature = "sqlite")]

#[allow(dead_code)]
mod sqlite_support;

jirasync_domain::setup_conformance_tests!(sqlite_support::fresh_store());
