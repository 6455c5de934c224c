//! The inbox conformance suite against the in-memory inbox.

use jirasync_domain::inbox::MemoryInbox;

jirasync_domain::inbox_conformance_tests!(async { MemoryInbox::new() });
