-- Outbound status sync's per-project mappings, sqlite. Kept alike with
-- migrations/postgres/0010_status_mappings.sql (docs/outbound.md#status).

-- For one organization and integration, which Jira status an application issue's resolve and
-- unresolve reach in one Jira project. Keyed by the project's id (its key can be renamed in
-- Jira); `project_key` is the key when the mapping was stored, to show and to look it up by.
-- The statuses are Jira status ids, checked against the project's workflows when stored.
CREATE TABLE jirasync_status_mappings (
    organization_id INTEGER NOT NULL,
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    project_key TEXT NOT NULL,
    on_resolve TEXT NOT NULL,
    on_unresolve TEXT NOT NULL,
    PRIMARY KEY (organization_id, integration_id, project_id)
);
