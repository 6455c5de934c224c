//! `kill -9` while the SQLite writer commits groups of deliveries: every delivery the server
//! acknowledged (202) is in the inbox afterwards. Nothing is acknowledged before the group that
//! holds it has committed (`jirasync-store`'s `sqlite/writer.rs`, decision 0020), so a crash can
//! only lose deliveries nobody was told about; their senders retry.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a panic is a failed test"
)]

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{Workdir, serve_state_webhook_path, webhook_fixture};

/// Senders posting at once, so that the writer commits groups of several deliveries.
const SENDERS: usize = 16;

/// The fixture's changelog id, replaced by a unique one per delivery.
const CHANGELOG: &str = r#""changelog":{"id":"10172""#;

#[test]
fn kill_9_during_group_commits_loses_no_acknowledged_delivery() {
    let workdir = Workdir::with_serve_state();
    let served = Arc::new(workdir.serve(&["--mode", "inbox", "--workers", "1"]));
    let path = serve_state_webhook_path();
    let template = String::from_utf8(webhook_fixture("assignee_set.json")).unwrap();
    assert!(template.contains(CHANGELOG));

    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..SENDERS)
        .map(|sender| {
            let (served, path, template) = (Arc::clone(&served), path.clone(), template.clone());
            let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
            std::thread::spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let changelog = 1_000_000 + n * SENDERS + sender;
                    let body = template
                        .replace(CHANGELOG, &format!(r#""changelog":{{"id":"{changelog}""#));
                    // A refused connection or a cut answer: the server is gone.
                    let Some(status) = served.try_request("POST", &path, body.as_bytes()) else {
                        break;
                    };
                    assert_eq!(status, 202, "delivery {changelog}");
                    acknowledged.lock().unwrap().insert(changelog.to_string());
                }
            })
        })
        .collect();

    // Let the senders get going, then kill the server in the middle of their stream.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 400 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let before_kill = acknowledged.lock().unwrap().len();
    assert!(
        before_kill >= 400,
        "only {before_kill} deliveries acknowledged in 60 s"
    );
    served.kill_9();
    stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.join().unwrap();
    }
    drop(served);
    let acknowledged = acknowledged.lock().unwrap().clone();

    let stored: BTreeSet<String> = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = workdir.store().await;
        store
            .list(None, usize::MAX)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|delivery| delivery.delivery_key)
            .map(|key| key.as_str().to_owned())
            .collect()
    });
    // A delivery key is the Jira issue, the changelog id and the event.
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|changelog| {
            !stored
                .iter()
                .any(|key| key.contains(&format!(":{changelog}:")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged deliveries are not in the inbox after kill -9: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    assert!(
        acknowledged.len() >= before_kill,
        "acknowledged deliveries were forgotten"
    );
}
