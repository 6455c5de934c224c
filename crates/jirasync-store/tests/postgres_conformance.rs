//! The store conformance suites of `jirasync-domain` against PostgreSQL, each test in a fresh
//! schema: the rules over `SyncStore` with the store's standalone host, and the host suite.
//! Skipped (printing why) when `JIRASYNC_TEST_DATABASE_URL` is not set.
#![cfg(feature = "postgres")]

use std::sync::Arc;

use jirasync_domain::conformance::host::SeedScene;

#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod postgres_support;

jirasync_domain::conformance_tests!(optional: async { postgres_support::fresh_store().await });

mod host {
    use super::*;

    jirasync_domain::host_conformance_tests!(optional: async {
        let store = postgres_support::fresh_store().await?;
        Some((store.clone(), store.clone(), SeedScene(Arc::new(store))))
    });
}

mod reconcile {
    use super::*;

    jirasync_domain::reconcile_conformance_tests!(optional: async {
        postgres_support::fresh_store().await
    });
}

mod app_data {
    use super::*;

    jirasync_domain::app_data_conformance_tests!(optional: async {
        postgres_support::fresh_store().await
    });
}
