-- jirasync schema, SQLite. Kept alike with migrations/postgres/0001_initial.sql: same tables and
-- column names. Ids are INTEGER PRIMARY KEY (the rowid); times are Unix epoch milliseconds.
-- Booleans are 0 / 1.

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    issue_sync INTEGER NOT NULL CHECK (issue_sync IN (0, 1)),
    external_actors INTEGER NOT NULL CHECK (external_actors IN (0, 1))
);

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
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, user_id)
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
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
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL
);

CREATE TABLE team_projects (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, project_id)
);

CREATE TABLE local_issues (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
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

-- The hot look-up of every webhook: the integration by provider and external id.
CREATE TABLE integrations (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    domain_name TEXT NOT NULL,
    verify_ssl INTEGER NOT NULL CHECK (verify_ssl IN (0, 1)),
    UNIQUE (provider, external_id)
);

CREATE TABLE integration_webhook_secrets (
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    secret TEXT NOT NULL,
    PRIMARY KEY (integration_id, position)
);

CREATE TABLE identities (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    installed_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    credential_kind TEXT NOT NULL CHECK (credential_kind IN ('oauth1', 'bearer')),
    consumer_key TEXT,
    private_key_pem TEXT,
    access_token TEXT,
    access_token_secret TEXT,
    bearer_token TEXT,
    UNIQUE (organization_id, integration_id),
    CHECK (
        (credential_kind = 'oauth1'
            AND consumer_key IS NOT NULL AND private_key_pem IS NOT NULL
            AND access_token IS NOT NULL AND access_token_secret IS NOT NULL
            AND bearer_token IS NULL)
        OR (credential_kind = 'bearer'
            AND bearer_token IS NOT NULL
            AND consumer_key IS NULL AND private_key_pem IS NULL
            AND access_token IS NULL AND access_token_secret IS NULL)
    )
);

CREATE TABLE organization_integrations (
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    sync_reverse_assignment INTEGER NOT NULL CHECK (sync_reverse_assignment IN (0, 1)),
    sync_status_reverse INTEGER NOT NULL CHECK (sync_status_reverse IN (0, 1)),
    sync_forward_assignment INTEGER NOT NULL CHECK (sync_forward_assignment IN (0, 1)),
    sync_status_forward INTEGER NOT NULL CHECK (sync_status_forward IN (0, 1)),
    sync_comments INTEGER NOT NULL CHECK (sync_comments IN (0, 1)),
    resolution_strategy TEXT NOT NULL
        CHECK (resolution_strategy IN ('resolve', 'resolve_current_release', 'resolve_next_release')),
    default_identity_id INTEGER REFERENCES identities (id) ON DELETE SET NULL,
    PRIMARY KEY (organization_id, integration_id)
);
CREATE INDEX organization_integrations_integration_id
    ON organization_integrations (integration_id, organization_id);

-- A Jira issue as one organization links it; it carries the ordering-guard watermarks.
CREATE TABLE external_issues (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    assignee_updated_at INTEGER,
    status_updated_at INTEGER,
    UNIQUE (organization_id, integration_id, key)
);
CREATE INDEX external_issues_integration_id_key ON external_issues (integration_id, key);

CREATE TABLE external_issue_links (
    external_issue_id INTEGER NOT NULL REFERENCES external_issues (id) ON DELETE CASCADE,
    local_issue_id INTEGER NOT NULL REFERENCES local_issues (id) ON DELETE CASCADE,
    PRIMARY KEY (external_issue_id, local_issue_id)
);

-- AUTOINCREMENT: a deleted actor's id is never given to another one.
CREATE TABLE external_actors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    external_name TEXT NOT NULL,
    external_name_lower TEXT NOT NULL,
    external_id TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
-- The domain's uniqueness rule: one actor per organization, provider, exact name and target.
CREATE UNIQUE INDEX external_actors_unique_user
    ON external_actors (organization_id, provider, external_name, user_id)
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX external_actors_unique_team
    ON external_actors (organization_id, provider, external_name, team_id)
    WHERE team_id IS NOT NULL;
CREATE INDEX external_actors_integration_name
    ON external_actors (integration_id, provider, external_name_lower);
CREATE INDEX external_actors_organization_name
    ON external_actors (organization_id, provider, external_name_lower);

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

CREATE TABLE seen_deliveries (
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('assignee', 'status')),
    delivery_key TEXT NOT NULL,
    PRIMARY KEY (integration_id, kind, delivery_key)
);

-- The durable webhook inbox. AUTOINCREMENT: ids follow enqueue order and a purged id is never
-- given again. `headers` holds one "name: value" line per header (see sqlite/delivery_headers.rs).
CREATE TABLE inbox_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    ordering_key TEXT,
    occurred_at INTEGER,
    delivery_key TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    available_at INTEGER,
    leased_until INTEGER,
    last_error TEXT
);
CREATE INDEX inbox_deliveries_claim_order
    ON inbox_deliveries (state, ordering_key, occurred_at, id);
