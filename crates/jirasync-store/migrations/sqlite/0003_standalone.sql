-- jirasync's standalone tables, SQLite: the host application's data when jirasync runs on its
-- own (users, teams, projects, local issues, their activity log). Created only for the
-- standalone layout; an application that is its own host never gets them. Kept alike with
-- migrations/postgres/0003_standalone.sql. Ids are INTEGER PRIMARY KEY (the rowid); times are
-- Unix epoch milliseconds; booleans are 0 / 1.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    active INTEGER NOT NULL CHECK (active IN (0, 1))
);

-- `position` keeps the order the addresses were given in; `address_lower` is the address
-- lower-cased by the application (Unicode rules, which SQLite's lower() lacks).
CREATE TABLE user_emails (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    address TEXT NOT NULL,
    address_lower TEXT NOT NULL,
    verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
    PRIMARY KEY (user_id, address)
);
CREATE INDEX user_emails_verified_address_lower ON user_emails (address_lower) WHERE verified = 1;

CREATE TABLE organization_members (
    organization_id INTEGER NOT NULL REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, user_id)
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_id ON team_members (user_id);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL
);

CREATE TABLE team_projects (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, project_id)
);

CREATE TABLE local_issues (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('unresolved', 'resolved'))
);

-- One assignee row per local issue: a user or a team, never both. No row: unassigned.
CREATE TABLE issue_assignees (
    local_issue_id INTEGER PRIMARY KEY REFERENCES local_issues (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    local_issue_id INTEGER NOT NULL REFERENCES local_issues (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('assigned', 'unassigned', 'set_resolved', 'set_unresolved')),
    provider TEXT NOT NULL,
    provider_key TEXT NOT NULL,
    integration_id INTEGER NOT NULL,
    assignee_user_id INTEGER,
    assignee_team_id INTEGER,
    sync_source INTEGER,
    occurred_at INTEGER,
    CHECK (assignee_user_id IS NULL OR assignee_team_id IS NULL)
);
CREATE INDEX activities_local_issue_id ON activities (local_issue_id, id);
