//! The set-up store conformance suite of `jirasync-domain` against PostgreSQL, each test in a
//! fresh schema. Skipped (printing why) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

jirasync_domain::setup_conformance_tests!(optional: async { postgres_support::fresh_store().await });
