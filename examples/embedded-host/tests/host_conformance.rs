//! jirasync's host conformance suite on the application's host, with jirasync's bookkeeping in
//! the same SQLite file.

mod support;

use jirasync_example_embedded_host::Embedded;
use support::TicketsScene;

jirasync_domain::host_conformance_tests!(async {
    // Each test keeps its directory for the life of the process (the suite takes values).
    let directory = Box::leak(Box::new(
        tempfile::tempdir().unwrap_or_else(|error| panic!("a temporary directory: {error}")),
    ));
    let app = Embedded::open(&directory.path().join("tickets.db"))
        .await
        .unwrap_or_else(|error| panic!("open the application: {error}"));
    let scene = TicketsScene(app.host.pool().clone());
    (app.store, app.host, scene)
});
