//! Setting scenes in the application's tables, for the host conformance suite and the
//! end-to-end test (`jirasync-domain`'s `HostScene`).

// Test set-up: a failed write fails the test.
#![allow(clippy::expect_used, dead_code, unreachable_pub)]

use async_trait::async_trait;
use jirasync_domain::conformance::host::HostScene;
use jirasync_domain::ids::{LocalIssueId, OrganizationId, UserId};
use sqlx::SqlitePool;

/// Writes organizations, users and tickets straight into the application's tables.
#[derive(Debug, Clone)]
pub struct TicketsScene(pub SqlitePool);

impl TicketsScene {
    async fn insert(&self, sql: &str, binds: &[i64]) -> i64 {
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = query.bind(bind);
        }
        let done = query.execute(&self.0).await.expect("write the scene");
        done.last_insert_rowid()
    }
}

fn id(value: u64) -> i64 {
    i64::try_from(value).expect("scene ids are small")
}

#[async_trait]
impl HostScene for TicketsScene {
    async fn organization(&self, name: &str) -> OrganizationId {
        let done = sqlx::query("INSERT INTO app_organizations (name) VALUES (?)")
            .bind(name)
            .execute(&self.0)
            .await
            .expect("write the scene");
        OrganizationId::new(done.last_insert_rowid().unsigned_abs())
    }

    async fn user(
        &self,
        organization: OrganizationId,
        active: bool,
        emails: &[(&str, bool)],
    ) -> UserId {
        let user = self
            .insert(
                "INSERT INTO app_users (organization_id, active) VALUES (?, ?)",
                &[id(organization.get()), i64::from(active)],
            )
            .await;
        for (email, verified) in emails {
            sqlx::query("INSERT INTO app_user_emails (user_id, email, verified) VALUES (?, ?, ?)")
                .bind(user)
                .bind(*email)
                .bind(*verified)
                .execute(&self.0)
                .await
                .expect("write the scene");
        }
        UserId::new(user.unsigned_abs())
    }

    async fn issue(&self, organization: OrganizationId, assignable: &[UserId]) -> LocalIssueId {
        let project = self
            .insert(
                "INSERT INTO app_projects (organization_id) VALUES (?)",
                &[id(organization.get())],
            )
            .await;
        for user in assignable {
            self.insert(
                "INSERT INTO app_project_members (project_id, user_id) VALUES (?, ?)",
                &[project, id(user.get())],
            )
            .await;
        }
        let ticket = self
            .insert(
                "INSERT INTO app_tickets (project_id) VALUES (?)",
                &[project],
            )
            .await;
        LocalIssueId::new(ticket.unsigned_abs())
    }

    async fn activity_count(&self, issue: LocalIssueId) -> Option<usize> {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM app_ticket_history WHERE ticket_id = ?")
                .bind(id(issue.get()))
                .fetch_one(&self.0)
                .await
                .expect("read the history");
        Some(usize::try_from(count).unwrap_or_default())
    }
}
