//! [`IssueSyncStore`](jirasync_domain::IssueSyncStore) and
//! [`WatermarkStore`](jirasync_domain::WatermarkStore) in SQL: assignee and status plans applied
//! in one write transaction each, with the delivery log and the ordering guard inside it.
//!
//! The frame of a plan is the same on both back-ends: record the delivery key (a duplicate
//! stops there), lock what decides the guard (the back-end's `lock_plan_rows`: nothing more on
//! SQLite, whose `BEGIN IMMEDIATE` already holds the database's write lock; the plan's
//! `external_issues` rows on PostgreSQL), then per organization read the watermark, apply the
//! changes unless the event is older, and move the watermark forward.

use jirasync_domain::StoreError;
use jirasync_domain::activity::{Activity, ActivityData};
use jirasync_domain::ids::{ActivityId, IntegrationId, LocalIssueId, OrganizationId};
use jirasync_domain::issue::ResolutionStatus;
use jirasync_domain::store::{AssigneePlan, AssigneeTarget, StatusPlan, SyncKind};
use jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

use super::issue_links::assignee_from_columns;
use super::values::{activity_kind_from_name, domain_id, sql_id};
pub(crate) use crate::state_rows::ActivityRow;

/// What the ordering guard and the delivery log of one plan need.
#[derive(Debug)]
pub(crate) struct PlanGuard {
    /// Assignee or status: which watermark and which delivery log.
    pub(crate) kind: SyncKind,
    /// The plan's integration, as stored.
    pub(crate) integration_id: i64,
    /// The Jira issue the plan is about.
    pub(crate) issue_key: IssueKey,
    /// When the change happened in Jira; `None` skips the guard.
    pub(crate) occurred_at: Option<EventTime>,
    /// The delivery's key; `None` skips the delivery log.
    pub(crate) delivery_key: Option<DeliveryKey>,
}

/// One organization's part of a plan.
#[derive(Debug)]
pub(crate) enum IssueChanges {
    /// Assignee changes, one per local issue.
    Assignee(Vec<(LocalIssueId, AssigneeTarget)>),
    /// Issues to move to the plan's status.
    Status(ResolutionStatus, Vec<LocalIssueId>),
}

/// A plan taken apart: its guard, and each organization's changes.
pub(crate) type GuardedPlan = (PlanGuard, Vec<(OrganizationId, IssueChanges)>);

/// Where the changes of a plan come from, for their activities.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ActivitySource {
    /// The plan's integration, as stored.
    pub(crate) integration_id: i64,
    /// When the change happened in Jira.
    pub(crate) occurred_at: Option<EventTime>,
}

/// What writing one issue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IssueWrite {
    /// The issue does not exist (any more): skipped.
    Missing,
    /// The issue was already as wanted: nothing written.
    Unchanged,
    /// The issue changed and an activity was written.
    Changed,
}

/// What a plan of `kind` is doing, for error messages.
pub(crate) const fn what(kind: SyncKind) -> &'static str {
    match kind {
        SyncKind::Assignee => "applying an assignee plan",
        SyncKind::Status => "applying a status plan",
    }
}

/// The column holding the watermark of `kind`.
pub(crate) const fn watermark_column(kind: SyncKind) -> &'static str {
    match kind {
        SyncKind::Assignee => "assignee_updated_at",
        SyncKind::Status => "status_updated_at",
    }
}

/// An assignee plan taken apart.
pub(crate) fn guarded_assignee_plan(plan: AssigneePlan) -> GuardedPlan {
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
    (guard, organizations)
}

/// A status plan taken apart.
pub(crate) fn guarded_status_plan(plan: StatusPlan) -> GuardedPlan {
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
    (guard, organizations)
}

/// The lock step of a back-end whose write transaction already excludes every other writer
/// (SQLite's `BEGIN IMMEDIATE` holds the database's write lock): nothing more to lock.
#[cfg(feature = "sqlite")]
#[allow(clippy::unused_async)] // the frame awaits every back-end's lock step
pub(crate) async fn nothing_more_to_lock<C>(
    _connection: &mut C,
    _guard: &PlanGuard,
    _organizations: &[i64],
) -> Result<(), StoreError> {
    Ok(())
}

/// The columns of an [`ActivityRow`].
pub(crate) const SELECT_ACTIVITY: &str = "SELECT id, local_issue_id, kind, provider, \
    provider_key, integration_id, assignee_user_id, assignee_team_id, sync_source, occurred_at \
    FROM activities";

/// The activity a row describes.
pub(crate) fn activity_from_row(row: ActivityRow) -> Result<Activity, StoreError> {
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
    Ok(Activity {
        id: ActivityId::new(domain_id(id)?),
        local_issue_id: LocalIssueId::new(domain_id(local_issue_id)?),
        kind: activity_kind_from_name(&kind)?,
        data: ActivityData {
            provider,
            provider_key,
            integration_id: IntegrationId::new(domain_id(integration_id)?),
            assignee: assignee_from_columns(user_id, team_id)?,
            sync_source: sync_source
                .map(domain_id)
                .transpose()?
                .map(IntegrationId::new),
            occurred_at: occurred_at.map(EventTime::from_unix_millis),
        },
    })
}

/// Implements `IssueSyncStore` and `WatermarkStore` for `$store`, whose connections are
/// `$connection`. `$lock` (`async fn(&mut $connection, &PlanGuard, &[i64]) -> Result<(),
/// StoreError>`) locks what decides the guard of a plan for these organization ids (sorted,
/// distinct), inside the plan's transaction, before any watermark is read. `$local_issue` reads
/// one local issue on a connection.
macro_rules! issue_sync_store {
    ($store:ident, $connection:ty, lock = $lock:path, local_issue = $local_issue:path) => {
        use ::async_trait::async_trait;
        use ::jirasync_domain::activity::{Activity, ActivityKind};
        use ::jirasync_domain::ids::{IntegrationId, LocalIssueId, OrganizationId};
        use ::jirasync_domain::integration::{JIRA_SERVER_PROVIDER, JIRA_SERVER_PROVIDER_NAME};
        use ::jirasync_domain::issue::{Assignee, ResolutionStatus};
        use ::jirasync_domain::store::{
            AssigneePlan, AssigneeTarget, OrganizationApplied, OrganizationResult, PlanApplied,
            StatusPlan, SyncKind,
        };
        use ::jirasync_domain::{IssueSyncStore, StoreError, WatermarkStore};
        use ::jirasync_webhook::{DeliveryKey, EventTime, IssueKey};

        use $crate::sql::issue_links::assignee_columns;
        use $crate::sql::issue_sync::{
            ActivityRow, ActivitySource, IssueChanges, IssueWrite, PlanGuard, SELECT_ACTIVITY,
            activity_from_row, guarded_assignee_plan, guarded_status_plan, watermark_column,
            what,
        };
        use $crate::sql::values::{activity_kind_name, sql_id, status_name, sync_kind_name};
        use $crate::sql_error::store_error;

        /// Records the plan's delivery key; false when it was recorded before (or is being
        /// recorded by a plan not committed yet, which this one then waits for).
        async fn record_delivery(
            connection: &mut $connection,
            guard: &PlanGuard,
        ) -> Result<bool, StoreError> {
            let Some(delivery_key) = &guard.delivery_key else {
                return Ok(true);
            };
            let inserted = ::sqlx::query(
                "INSERT INTO seen_deliveries (integration_id, kind, delivery_key) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
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
            connection: &mut $connection,
            organization_id: i64,
            integration_id: i64,
            key: &IssueKey,
            kind: SyncKind,
        ) -> Result<Option<EventTime>, StoreError> {
            let stored: Option<Option<i64>> = ::sqlx::query_scalar(&format!(
                "SELECT {} FROM external_issues \
                 WHERE organization_id = $1 AND integration_id = $2 AND key = $3",
                watermark_column(kind)
            ))
            .bind(organization_id)
            .bind(integration_id)
            .bind(key.as_str())
            .fetch_optional(connection)
            .await
            .map_err(|error| store_error("reading a watermark", error))?;
            Ok(stored.flatten().map(EventTime::from_unix_millis))
        }

        /// Moves the watermark forward to `occurred_at` (never back), creating the external
        /// issue row when it is missing so the watermark has a home.
        async fn advance_watermark(
            connection: &mut $connection,
            organization_id: i64,
            guard: &PlanGuard,
            occurred_at: EventTime,
        ) -> Result<(), StoreError> {
            let column = watermark_column(guard.kind);
            ::sqlx::query(&format!(
                "INSERT INTO external_issues (organization_id, integration_id, key, {column}) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (organization_id, integration_id, key) DO UPDATE \
                 SET {column} = excluded.{column} \
                 WHERE external_issues.{column} IS NULL \
                 OR external_issues.{column} < excluded.{column}"
            ))
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
            connection: &mut $connection,
            local_issue_id: i64,
            kind: ActivityKind,
            assignee: Option<Assignee>,
            source: ActivitySource,
        ) -> Result<(), StoreError> {
            let (user_id, team_id) = assignee_columns(assignee);
            ::sqlx::query(
                "INSERT INTO activities (local_issue_id, kind, provider, provider_key, \
                 integration_id, assignee_user_id, assignee_team_id, sync_source, occurred_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
            connection: &mut $connection,
            local_issue_id: LocalIssueId,
            target: AssigneeTarget,
            source: ActivitySource,
        ) -> Result<IssueWrite, StoreError> {
            let id = sql_id(local_issue_id.get());
            let Some(issue) = $local_issue(&mut *connection, id).await? else {
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
                Some(Assignee::User(user)) => ::sqlx::query(
                    "INSERT INTO issue_assignees (local_issue_id, user_id, team_id) \
                     VALUES ($1, $2, NULL) ON CONFLICT (local_issue_id) \
                     DO UPDATE SET user_id = excluded.user_id, team_id = NULL",
                )
                .bind(id)
                .bind(sql_id(user.get())),
                // Only users are assigned by a plan; an unassignment removes the row.
                Some(Assignee::Team(_)) | None => {
                    ::sqlx::query("DELETE FROM issue_assignees WHERE local_issue_id = $1").bind(id)
                }
            };
            written
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error(what(SyncKind::Assignee), error))?;
            let kind = match wanted {
                Some(_) => ActivityKind::Assigned,
                None => ActivityKind::Unassigned,
            };
            write_activity(connection, id, kind, wanted, source).await?;
            Ok(IssueWrite::Changed)
        }

        /// Sets one issue's status, writing an activity when it changes.
        async fn set_status(
            connection: &mut $connection,
            local_issue_id: LocalIssueId,
            target: ResolutionStatus,
            source: ActivitySource,
        ) -> Result<IssueWrite, StoreError> {
            let id = sql_id(local_issue_id.get());
            let Some(issue) = $local_issue(&mut *connection, id).await? else {
                return Ok(IssueWrite::Missing);
            };
            if issue.status == target {
                return Ok(IssueWrite::Unchanged);
            }
            ::sqlx::query("UPDATE local_issues SET status = $1 WHERE id = $2")
                .bind(status_name(target))
                .bind(id)
                .execute(&mut *connection)
                .await
                .map_err(|error| store_error(what(SyncKind::Status), error))?;
            let kind = match target {
                ResolutionStatus::Resolved => ActivityKind::SetResolved,
                ResolutionStatus::Unresolved => ActivityKind::SetUnresolved,
            };
            write_activity(connection, id, kind, None, source).await?;
            Ok(IssueWrite::Changed)
        }

        /// One organization's changes, applied.
        async fn apply_changes(
            connection: &mut $connection,
            changes: IssueChanges,
            source: ActivitySource,
        ) -> Result<OrganizationResult, StoreError> {
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
                        record(id, set_assignee(&mut *connection, id, target, source).await?);
                    }
                }
                IssueChanges::Status(target, issues) => {
                    for id in issues {
                        record(id, set_status(&mut *connection, id, target, source).await?);
                    }
                }
            }
            Ok(OrganizationResult::Applied { changed, unchanged })
        }

        impl $store {
            /// The frame both plans share, in one transaction: the delivery log, the lock on
            /// what decides the guard, then per organization the ordering guard, the
            /// organization's changes, and the watermark.
            async fn apply_guarded(
                &self,
                guard: PlanGuard,
                organizations: Vec<(OrganizationId, IssueChanges)>,
            ) -> Result<PlanApplied, StoreError> {
                let what = what(guard.kind);
                let mut transaction = $crate::sql::begin_write::<Self>(&self.pool, what).await?;
                if !record_delivery(&mut transaction, &guard).await? {
                    // Nothing was written: dropping the transaction rolls it back.
                    return Ok(PlanApplied::Duplicate);
                }
                let mut locked: Vec<i64> = organizations
                    .iter()
                    .map(|(organization_id, _)| sql_id(organization_id.get()))
                    .collect();
                locked.sort_unstable();
                locked.dedup();
                $lock(&mut transaction, &guard, &locked).await?;
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
                            let result = apply_changes(&mut transaction, changes, source).await?;
                            if let Some(occurred_at) = guard.occurred_at {
                                advance_watermark(
                                    &mut transaction,
                                    organization,
                                    &guard,
                                    occurred_at,
                                )
                                .await?;
                            }
                            result
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

        #[async_trait]
        impl IssueSyncStore for $store {
            async fn apply_assignee_plan(
                &self,
                plan: AssigneePlan,
            ) -> Result<PlanApplied, StoreError> {
                let (guard, organizations) = guarded_assignee_plan(plan);
                self.apply_guarded(guard, organizations).await
            }

            async fn apply_status_plan(&self, plan: StatusPlan) -> Result<PlanApplied, StoreError> {
                let (guard, organizations) = guarded_status_plan(plan);
                self.apply_guarded(guard, organizations).await
            }

            async fn activities(
                &self,
                local_issue_id: LocalIssueId,
            ) -> Result<Vec<Activity>, StoreError> {
                let rows: Vec<ActivityRow> = ::sqlx::query_as(&format!(
                    "{SELECT_ACTIVITY} WHERE local_issue_id = $1 ORDER BY id"
                ))
                .bind(sql_id(local_issue_id.get()))
                .fetch_all(&self.pool)
                .await
                .map_err(|error| store_error("reading activities", error))?;
                rows.into_iter().map(activity_from_row).collect()
            }
        }

        #[async_trait]
        impl WatermarkStore for $store {
            async fn watermark(
                &self,
                organization_id: OrganizationId,
                integration_id: IntegrationId,
                key: &IssueKey,
                kind: SyncKind,
            ) -> Result<Option<EventTime>, StoreError> {
                let mut connection =
                    $crate::sql::connection(&self.pool, "reading a watermark").await?;
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
                ::sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM seen_deliveries \
                     WHERE integration_id = $1 AND kind = $2 AND delivery_key = $3)",
                )
                .bind(sql_id(integration_id.get()))
                .bind(sync_kind_name(kind))
                .bind(delivery_key.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(|error| store_error("checking the delivery log", error))
            }
        }
    };
}

pub(crate) use issue_sync_store;
