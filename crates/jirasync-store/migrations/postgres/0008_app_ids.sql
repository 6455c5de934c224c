-- The application's own ids of the standalone host's records, PostgreSQL: the host API
-- (docs/api.md) names every record by them. Users and organizations by an id unique among
-- their kind; teams, projects and local issues by an id unique within their organization. A
-- record without one (imported from a state file that gives none) is NULL and not reachable
-- through the API. Created only for the standalone layout. Kept alike with
-- migrations/sqlite/0008_app_ids.sql.

-- jirasync_organizations is jirasync's bookkeeping table: the application's id of an
-- organization of the standalone host lives beside it.
CREATE TABLE organization_app_ids (
    organization_id BIGINT PRIMARY KEY REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    app_id TEXT NOT NULL UNIQUE
);

ALTER TABLE users ADD COLUMN app_id TEXT;
CREATE UNIQUE INDEX users_app_id ON users (app_id);

ALTER TABLE teams ADD COLUMN app_id TEXT;
CREATE UNIQUE INDEX teams_organization_id_app_id ON teams (organization_id, app_id);

ALTER TABLE projects ADD COLUMN app_id TEXT;
CREATE UNIQUE INDEX projects_organization_id_app_id ON projects (organization_id, app_id);

ALTER TABLE local_issues ADD COLUMN app_id TEXT;
CREATE UNIQUE INDEX local_issues_organization_id_app_id ON local_issues (organization_id, app_id);

-- Deleting a user, a team or a project finds what refers to it without a scan.
CREATE INDEX issue_assignees_user_id ON issue_assignees (user_id);
CREATE INDEX issue_assignees_team_id ON issue_assignees (team_id);
CREATE INDEX team_projects_project_id ON team_projects (project_id);
CREATE INDEX local_issues_project_id ON local_issues (project_id);
