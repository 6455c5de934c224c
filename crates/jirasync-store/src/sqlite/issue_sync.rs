//! [`IssueSyncStore`] and [`WatermarkStore`]: assignee and status plans applied in one
//! `BEGIN IMMEDIATE` transaction each, with the delivery log and the ordering guard inside it.

use async_trait::async_trait;
use jirasync_domain::activity::{Activity, ActivityData, ActivityKind};
use jirasync_domain::ids::{
    ActivityId, IntegrationId, LocalIssueId, OrganizationId, TeamId, UserId,
};
use jirasync_domain::integration::{JIRA_SERVER_PROVIDER, JIRA_SERVER_PROVIDER_NAME};
use jirasync_domain::issue::{Assignee, ResolutionStatus};
use jirasync_domain::store::{
    AssigneePlan, AssigneeTarget, OrganizationApplied, OrganizationResult, PlanApplied, StatusPlan,
    SyncKind,
};
use jirasync_domain::{IssueSyncStore, StoreError, WatermarkStore};
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};
use sqlx::SqliteConnection;

use super::SqliteStore;
use super::issue_links::local_issue;
use super::values::{
    activity_kind_from_name, activity_kind_name, domain_id, sql_id, status_name, sync_kind_name,
};
use crate::sql_error::store_error;
use crate::state_rows::ActivityRow;

/// What the ordering guard and the delivery log of one plan need.
struct PlanGuard {
    kind: SyncKind,
    integration_id: i64,
    issue_key: IssueKey,
    occurred_at: Option<EventTime>,
    delivery_key: Option<DeliveryKey>,
}

/// One organization's part of a plan.
enum IssueChanges {
    /// Assignee changes, one per local issue.
    Assignee(Vec<(LocalIssueId, AssigneeTarget)>),
    /// Issues to move to the plan's status.
    Status(ResolutionStatus, Vec<LocalIssueId>),
}

/// Where the changes of a plan come from, for their activities.
#[derive(Debug, Clone, Copy)]
struct ActivitySource {
    integration_id: i64,
    occurred_at: Option<EventTime>,
}

/// What writing one issue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IssueWrite {
    /// The issue does not exist (any more): skipped.
    Missing,
    /// The issue was already as wanted: nothing written.
    Unchanged,
    /// The issue changed and an activity was written.
    Changed,
}

const WHAT_ASSIGNEE: &str = "applying an assignee plan";
const WHAT_STATUS: &str = "applying a status plan";

const fn what(kind: SyncKind) -> &'static str {
    match kind {
        SyncKind::Assignee => WHAT_ASSIGNEE,
        SyncKind::Status => WHAT_STATUS,
    }
}

/// Records the plan's delivery key; false when it was recorded before.
async fn record_delivery(
    connection: &mut SqliteConnection,
    guard: &PlanGuard,
) -> Result<bool, StoreError> {
    let Some(delivery_key) = &guard.delivery_key else {
        return Ok(true);
    };
    let inserted = sqlx::query(
        "INSERT INTO seen_deliveries (integration_id, kind, delivery_key) VALUES (?, ?, ?) \
         ON CONFLICT DO NOTHING",
    )
    .bind(guard.integration_id)
    .bind(sync_kind_name(guard.kind))
    .bind(delivery_key.as_str())
    .execute(connection)
    .await
    .map_err(|error| store_error(what(guard.kind), error))?;
    Ok(inserted.rows_affected() == 1)
}

/// The stored watermark of `kind` for (organization, integration, key).
async fn stored_watermark(
    connection: &mut SqliteConnection,
    organization_id: i64,
    integration_id: i64,
    key: &IssueKey,
    kind: SyncKind,
) -> Result<Option<EventTime>, StoreError> {
    let sql = match kind {
        SyncKind::Assignee => {
            "SELECT assignee_updated_at FROM external_issues \
             WHERE organization_id = ? AND integration_id = ? AND key = ?"
        }
        SyncKind::Status => {
            "SELECT status_updated_at FROM external_issues \
             WHERE organization_id = ? AND integration_id = ? AND key = ?"
        }
    };
    let stored: Option<Option<i64>> = sqlx::query_scalar(sql)
        .bind(organization_id)
        .bind(integration_id)
        .bind(key.as_str())
        .fetch_optional(connection)
        .await
        .map_err(|error| store_error("reading a watermark", error))?;
    Ok(stored.flatten().map(EventTime::from_unix_millis))
}

/// Moves the watermark forward to `occurred_at` (never back), creating the external issue row
/// when it is missing so the watermark has a home.
async fn advance_watermark(
    connection: &mut SqliteConnection,
    organization_id: i64,
    guard: &PlanGuard,
    occurred_at: EventTime,
) -> Result<(), StoreError> {
    let sql = match guard.kind {
        SyncKind::Assignee => {
            "INSERT INTO external_issues (organization_id, integration_id, key, assignee_updated_at) \
             VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (organization_id, integration_id, key) DO UPDATE \
             SET assignee_updated_at = excluded.assignee_updated_at \
             WHERE assignee_updated_at IS NULL OR assignee_updated_at < excluded.assignee_updated_at"
        }
        SyncKind::Status => {
            "INSERT INTO external_issues (organization_id, integration_id, key, status_updated_at) \
             VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (organization_id, integration_id, key) DO UPDATE \
             SET status_updated_at = excluded.status_updated_at \
             WHERE status_updated_at IS NULL OR status_updated_at < excluded.status_updated_at"
        }
    };
    sqlx::query(sql)
        .bind(organization_id)
        .bind(guard.integration_id)
        .bind(guard.issue_key.as_str())
        .bind(occurred_at.unix_millis())
        .execute(connection)
        .await
        .map_err(|error| store_error(what(guard.kind), error))?;
    Ok(())
}

/// Appends one activity, with the plan's integration as sync source.
async fn write_activity(
    connection: &mut SqliteConnection,
    local_issue_id: i64,
    kind: ActivityKind,
    assignee: Option<Assignee>,
    source: ActivitySource,
) -> Result<(), StoreError> {
    let (user_id, team_id) = match assignee {
        Some(Assignee::User(user)) => (Some(sql_id(user.get())), None),
        Some(Assignee::Team(team)) => (None, Some(sql_id(team.get()))),
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO activities (local_issue_id, kind, provider, provider_key, integration_id, \
         assignee_user_id, assignee_team_id, sync_source, occurred_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(local_issue_id)
    .bind(activity_kind_name(kind))
    .bind(JIRA_SERVER_PROVIDER_NAME)
    .bind(JIRA_SERVER_PROVIDER)
    .bind(source.integration_id)
    .bind(user_id)
    .bind(team_id)
    .bind(source.integration_id)
    .bind(source.occurred_at.map(EventTime::unix_millis))
    .execute(connection)
    .await
    .map_err(|error| store_error("writing an activity", error))?;
    Ok(())
}

/// Sets one issue's assignee (clearing a team), writing an activity when it changes.
async fn set_assignee(
    connection: &mut SqliteConnection,
    local_issue_id: LocalIssueId,
    target: AssigneeTarget,
    source: ActivitySource,
) -> Result<IssueWrite, StoreError> {
    let id = sql_id(local_issue_id.get());
    let Some(issue) = local_issue(&mut *connection, id).await? else {
        return Ok(IssueWrite::Missing);
    };
    let wanted = match target {
        AssigneeTarget::User(user) => Some(Assignee::User(user)),
        AssigneeTarget::Unassign => None,
    };
    if issue.assignee == wanted {
        return Ok(IssueWrite::Unchanged);
    }
    let written = match wanted {
        Some(Assignee::User(user)) => sqlx::query(
            "INSERT INTO issue_assignees (local_issue_id, user_id, team_id) VALUES (?, ?, NULL) \
             ON CONFLICT (local_issue_id) DO UPDATE SET user_id = excluded.user_id, team_id = NULL",
        )
        .bind(id)
        .bind(sql_id(user.get())),
        // Only users are assigned by a plan; an unassignment removes the row.
        Some(Assignee::Team(_)) | None => {
            sqlx::query("DELETE FROM issue_assignees WHERE local_issue_id = ?").bind(id)
        }
    };
    written
        .execute(&mut *connection)
        .await
        .map_err(|error| store_error(WHAT_ASSIGNEE, error))?;
    let kind = match wanted {
        Some(_) => ActivityKind::Assigned,
        None => ActivityKind::Unassigned,
    };
    write_activity(connection, id, kind, wanted, source).await?;
    Ok(IssueWrite::Changed)
}

/// Sets one issue's status, writing an activity when it changes.
async fn set_status(
    connection: &mut SqliteConnection,
    local_issue_id: LocalIssueId,
    target: ResolutionStatus,
    source: ActivitySource,
) -> Result<IssueWrite, StoreError> {
    let id = sql_id(local_issue_id.get());
    let Some(issue) = local_issue(&mut *connection, id).await? else {
        return Ok(IssueWrite::Missing);
    };
    if issue.status == target {
        return Ok(IssueWrite::Unchanged);
    }
    sqlx::query("UPDATE local_issues SET status = ? WHERE id = ?")
        .bind(status_name(target))
        .bind(id)
        .execute(&mut *connection)
        .await
        .map_err(|error| store_error(WHAT_STATUS, error))?;
    let kind = match target {
        ResolutionStatus::Resolved => ActivityKind::SetResolved,
        ResolutionStatus::Unresolved => ActivityKind::SetUnresolved,
    };
    write_activity(connection, id, kind, None, source).await?;
    Ok(IssueWrite::Changed)
}

impl SqliteStore {
    /// The frame both plans share, in one transaction: the delivery log, then per organization
    /// the ordering guard, the organization's changes, and the watermark.
    async fn apply_guarded(
        &self,
        guard: PlanGuard,
        organizations: Vec<(OrganizationId, IssueChanges)>,
    ) -> Result<PlanApplied, StoreError> {
        let what = what(guard.kind);
        let mut transaction = self.begin_write(what).await?;
        if !record_delivery(&mut transaction, &guard).await? {
            // Nothing was written: dropping the transaction rolls it back.
            return Ok(PlanApplied::Duplicate);
        }
        let source = ActivitySource {
            integration_id: guard.integration_id,
            occurred_at: guard.occurred_at,
        };
        let mut applied = Vec::with_capacity(organizations.len());
        for (organization_id, changes) in organizations {
            let organization = sql_id(organization_id.get());
            let stale = match guard.occurred_at {
                Some(occurred_at) => stored_watermark(
                    &mut transaction,
                    organization,
                    guard.integration_id,
                    &guard.issue_key,
                    guard.kind,
                )
                .await?
                .filter(|stored| *stored > occurred_at),
                None => None,
            };
            let result = match stale {
                Some(watermark) => OrganizationResult::Stale { watermark },
                None => {
                    let mut changed = Vec::new();
                    let mut unchanged = Vec::new();
                    let mut record = |id, write| match write {
                        IssueWrite::Changed => changed.push(id),
                        IssueWrite::Unchanged => unchanged.push(id),
                        IssueWrite::Missing => {}
                    };
                    match changes {
                        IssueChanges::Assignee(changes) => {
                            for (id, target) in changes {
                                record(
                                    id,
                                    set_assignee(&mut transaction, id, target, source).await?,
                                );
                            }
                        }
                        IssueChanges::Status(target, issues) => {
                            for id in issues {
                                record(id, set_status(&mut transaction, id, target, source).await?);
                            }
                        }
                    }
                    if let Some(occurred_at) = guard.occurred_at {
                        advance_watermark(&mut transaction, organization, &guard, occurred_at)
                            .await?;
                    }
                    OrganizationResult::Applied { changed, unchanged }
                }
            };
            applied.push(OrganizationApplied {
                organization_id,
                result,
            });
        }
        transaction
            .commit()
            .await
            .map_err(|error| store_error(what, error))?;
        Ok(PlanApplied::Applied(applied))
    }
}

fn activity_from_row(row: ActivityRow) -> Result<Activity, StoreError> {
    let (
        id,
        local_issue_id,
        kind,
        provider,
        provider_key,
        integration_id,
        user_id,
        team_id,
        sync_source,
        occurred_at,
    ) = row;
    let assignee = match (user_id, team_id) {
        (Some(user), _) => Some(Assignee::User(UserId::new(domain_id(user)?))),
        (None, Some(team)) => Some(Assignee::Team(TeamId::new(domain_id(team)?))),
        (None, None) => None,
    };
    Ok(Activity {
        id: ActivityId::new(domain_id(id)?),
        local_issue_id: LocalIssueId::new(domain_id(local_issue_id)?),
        kind: activity_kind_from_name(&kind)?,
        data: ActivityData {
            provider,
            provider_key,
            integration_id: IntegrationId::new(domain_id(integration_id)?),
            assignee,
            sync_source: sync_source
                .map(domain_id)
                .transpose()?
                .map(IntegrationId::new),
            occurred_at: occurred_at.map(EventTime::from_unix_millis),
        },
    })
}

#[async_trait]
impl IssueSyncStore for SqliteStore {
    async fn apply_assignee_plan(&self, plan: AssigneePlan) -> Result<PlanApplied, StoreError> {
        let guard = PlanGuard {
            kind: SyncKind::Assignee,
            integration_id: sql_id(plan.integration_id.get()),
            issue_key: plan.issue_key,
            occurred_at: plan.occurred_at,
            delivery_key: plan.delivery_key,
        };
        let organizations = plan
            .organizations
            .into_iter()
            .map(|organization| {
                (
                    organization.organization_id,
                    IssueChanges::Assignee(organization.changes),
                )
            })
            .collect();
        self.apply_guarded(guard, organizations).await
    }

    async fn apply_status_plan(&self, plan: StatusPlan) -> Result<PlanApplied, StoreError> {
        let guard = PlanGuard {
            kind: SyncKind::Status,
            integration_id: sql_id(plan.integration_id.get()),
            issue_key: plan.issue_key,
            occurred_at: plan.occurred_at,
            delivery_key: plan.delivery_key,
        };
        let target = plan.target;
        let organizations = plan
            .organizations
            .into_iter()
            .map(|organization| {
                (
                    organization.organization_id,
                    IssueChanges::Status(target, organization.issues),
                )
            })
            .collect();
        self.apply_guarded(guard, organizations).await
    }

    async fn activities(&self, local_issue_id: LocalIssueId) -> Result<Vec<Activity>, StoreError> {
        let rows: Vec<ActivityRow> = sqlx::query_as(
            "SELECT id, local_issue_id, kind, provider, provider_key, integration_id, \
             assignee_user_id, assignee_team_id, sync_source, occurred_at \
             FROM activities WHERE local_issue_id = ? ORDER BY id",
        )
        .bind(sql_id(local_issue_id.get()))
        .fetch_all(&self.pool)
        .await
        .map_err(|error| store_error("reading activities", error))?;
        rows.into_iter().map(activity_from_row).collect()
    }
}

#[async_trait]
impl WatermarkStore for SqliteStore {
    async fn watermark(
        &self,
        organization_id: OrganizationId,
        integration_id: IntegrationId,
        key: &IssueKey,
        kind: SyncKind,
    ) -> Result<Option<EventTime>, StoreError> {
        let mut connection = self.connection("reading a watermark").await?;
        stored_watermark(
            &mut connection,
            sql_id(organization_id.get()),
            sql_id(integration_id.get()),
            key,
            kind,
        )
        .await
    }

    async fn delivery_seen(
        &self,
        integration_id: IntegrationId,
        kind: SyncKind,
        delivery_key: &DeliveryKey,
    ) -> Result<bool, StoreError> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM seen_deliveries \
             WHERE integration_id = ? AND kind = ? AND delivery_key = ?)",
        )
        .bind(sql_id(integration_id.get()))
        .bind(sync_kind_name(kind))
        .bind(delivery_key.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(|error| store_error("checking the delivery log", error))
    }
}
