//! The store conformance suite of `jirasync-domain` against a fresh SQLite file per test.
#![cfg(feature = "sqlite")]

mod sqlite_support;

jirasync_domain::conformance_tests!(sqlite_support::fresh_store());
