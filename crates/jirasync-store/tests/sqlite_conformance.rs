//! The store conformance suites of `jirasync-domain` against a fresh SQLite file per test: the
//! rules over `SyncStore` with the store's standalone host, and the host suite.
#![cfg(feature = "sqlite")]

use std::sync::Arc;

use jirasync_domain::conformance::host::SeedScene;

#[allow(dead_code)]
mod sqlite_support;

jirasync_domain::conformance_tests!(sqlite_support::fresh_store());

mod host {
    use super::*;

    jirasync_domain::host_conformance_tests!(async {
        let store = sqlite_support::fresh_store().await;
        (store.clone(), store.clone(), SeedScene(Arc::new(store)))
    });
}

mod reconcile {
    use super::*;

    jirasync_domain::reconcile_conformance_tests!(sqlite_support::fresh_store());
}

mod app_data {
    use super::*;

    jirasync_domain::app_data_conformance_tests!(sqlite_support::fresh_store());
}
