//! `app_data/sqlite_10k_users_10k_issues`: what an application syncing its data into a fresh
//! SQLite file pays: 10,000 users (one verified address each) and 10,000 issues (one project,
//! each issue assigned to a member), written through `ApplicationData` in batches of the
//! documented limit (`MAX_BATCH_ITEMS`, 1,000). One iteration is the whole load on a new file;
//! only the upserts are timed. `…_again` writes the same load a second time on a file that
//! holds it already (a periodic re-sync of unchanged data) and times the second pass.
//!
//! ```text
//! cargo bench -p jirasync-store --bench app_data -- --warm-up-time 1 --measurement-time 20
//! ```

// A bench whose set-up fails should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use jirasync_domain::app_data::{
    AppAssignee, AppId, ApplicationData, IssueData, MAX_BATCH_ITEMS, OrganizationData, ProjectData,
    UserData,
};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::people::UserEmail;
use jirasync_store::DatabaseUrl;
use jirasync_store::sqlite::SqliteStore;

const RECORDS: usize = 10_000;
/// Members of the organization, assigned in turn.
const MEMBERS: usize = 100;

fn users() -> Vec<UserData> {
    (0..RECORDS)
        .map(|n| UserData {
            id: AppId::new(format!("user-{n}")),
            active: true,
            emails: vec![UserEmail::verified(format!("user-{n}@example.com"))],
        })
        .collect()
}

fn issues() -> Vec<IssueData> {
    (0..RECORDS)
        .map(|n| IssueData {
            id: AppId::new(format!("ISSUE-{n}")),
            project: AppId::new("shop"),
            status: ResolutionStatus::Unresolved,
            assignee: Some(AppAssignee::User(AppId::new(format!(
                "user-{}",
                n % MEMBERS
            )))),
        })
        .collect()
}

/// The whole load on a fresh file (`again`: on a file that already holds it, as a periodic
/// re-sync of unchanged data does); the time of the upserts.
async fn load(users: &[UserData], issues: &[IssueData], again: bool) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let store = SqliteStore::open(&DatabaseUrl::new(format!("sqlite://{}", path.display())))
        .await
        .unwrap();
    if again {
        write(&store, users, issues).await;
    }
    let started = Instant::now();
    write(&store, users, issues).await;
    started.elapsed()
}

/// Everything, in batches of the documented limit.
async fn write(store: &SqliteStore, users: &[UserData], issues: &[IssueData]) {
    let org = AppId::new("acme");
    store
        .upsert_organizations(&[OrganizationData {
            id: org.clone(),
            name: "Acme".into(),
            features: None,
        }])
        .await
        .unwrap();
    for batch in users.chunks(MAX_BATCH_ITEMS) {
        store.upsert_users(batch).await.unwrap();
    }
    let members: Vec<AppId> = users
        .iter()
        .take(MEMBERS)
        .map(|user| user.id.clone())
        .collect();
    store.add_members(&org, &members).await.unwrap();
    store
        .upsert_projects(
            &org,
            &[ProjectData {
                id: AppId::new("shop"),
                name: "Shop".into(),
                teams: Vec::new(),
            }],
        )
        .await
        .unwrap();
    for batch in issues.chunks(MAX_BATCH_ITEMS) {
        store.upsert_issues(&org, batch).await.unwrap();
    }
}

fn app_data(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (users, issues) = (users(), issues());
    let mut group = c.benchmark_group("app_data");
    group.sample_size(10);
    for (name, again) in [
        ("sqlite_10k_users_10k_issues", false),
        ("sqlite_10k_users_10k_issues_again", true),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_custom(|iterations| {
                let (users, issues) = (&users, &issues);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        total += load(users, issues, again).await;
                    }
                    total
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, app_data);
criterion_main!(benches);
