-- Reconciling with Jira (docs/decisions/0012-reconcile.md), PostgreSQL. Kept alike with
-- migrations/sqlite/0005_reconcile.sql. Per integration: `reconciled_to`, the newest `updated`
-- time (Unix epoch milliseconds) of Jira's issues it was reconciled with, which only moves
-- forward; and the lease of the instance reconciling it now (`lease_holder`, a random token of
-- that instance, until `lease_expires_at`), so that one instance of those sharing the database
-- reconciles an integration at a time. Both go with the integration.
CREATE TABLE jirasync_reconcile_points (
    integration_id BIGINT PRIMARY KEY
        REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    reconciled_to BIGINT,
    lease_holder TEXT,
    lease_expires_at BIGINT,
    CHECK ((lease_holder IS NULL) = (lease_expires_at IS NULL))
);
