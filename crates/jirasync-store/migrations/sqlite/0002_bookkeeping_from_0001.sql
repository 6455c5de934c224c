-- Migration 2 for a database at version 1 (0001_initial.sql), SQLite: its bookkeeping tables
-- become the `jirasync_` tables of 0002_bookkeeping.sql, every row kept.
--
-- Tables whose definition does not change are renamed: SQLite rewrites the foreign keys that
-- point at them (the standalone tables' references to `organizations` follow it). Tables that
-- lose a foreign key into the standalone tables (identities, issue links, external actors), and
-- the inbox whose token becomes optional, are rebuilt: SQLite cannot drop a constraint. The
-- migration runs inside the migrator's transaction with foreign keys enforced, so a rebuilt
-- table is dropped only once nothing refers to it any more (children first), and no ON DELETE
-- action fires. AUTOINCREMENT counters are carried over, so no id is ever given twice.

ALTER TABLE organizations RENAME TO jirasync_organizations;
ALTER TABLE integrations RENAME TO jirasync_integrations;
ALTER TABLE integration_webhook_secrets RENAME TO jirasync_integration_webhook_secrets;
ALTER TABLE external_issues RENAME TO jirasync_external_issues;
DROP INDEX external_issues_integration_id_key;
CREATE INDEX jirasync_external_issues_integration_id_key
    ON jirasync_external_issues (integration_id, key);
ALTER TABLE seen_deliveries RENAME TO jirasync_seen_deliveries;

CREATE TABLE jirasync_identities (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    installed_by INTEGER,
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
INSERT INTO jirasync_identities
    SELECT id, organization_id, integration_id, installed_by, credential_kind, consumer_key,
        private_key_pem, access_token, access_token_secret, bearer_token
    FROM identities;

CREATE TABLE jirasync_organization_integrations (
    organization_id INTEGER NOT NULL REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    sync_reverse_assignment INTEGER NOT NULL CHECK (sync_reverse_assignment IN (0, 1)),
    sync_status_reverse INTEGER NOT NULL CHECK (sync_status_reverse IN (0, 1)),
    sync_forward_assignment INTEGER NOT NULL CHECK (sync_forward_assignment IN (0, 1)),
    sync_status_forward INTEGER NOT NULL CHECK (sync_status_forward IN (0, 1)),
    sync_comments INTEGER NOT NULL CHECK (sync_comments IN (0, 1)),
    resolution_strategy TEXT NOT NULL
        CHECK (resolution_strategy IN ('resolve', 'resolve_current_release', 'resolve_next_release')),
    default_identity_id INTEGER REFERENCES jirasync_identities (id) ON DELETE SET NULL,
    PRIMARY KEY (organization_id, integration_id)
);
INSERT INTO jirasync_organization_integrations
    SELECT organization_id, integration_id, status, sync_reverse_assignment,
        sync_status_reverse, sync_forward_assignment, sync_status_forward, sync_comments,
        resolution_strategy, default_identity_id
    FROM organization_integrations;
CREATE INDEX jirasync_organization_integrations_integration_id
    ON jirasync_organization_integrations (integration_id, organization_id);
-- The links refer to the old identities: they go first.
DROP TABLE organization_integrations;
DROP TABLE identities;

CREATE TABLE jirasync_external_issue_links (
    external_issue_id INTEGER NOT NULL
        REFERENCES jirasync_external_issues (id) ON DELETE CASCADE,
    local_issue_id INTEGER NOT NULL,
    PRIMARY KEY (external_issue_id, local_issue_id)
);
INSERT INTO jirasync_external_issue_links
    SELECT external_issue_id, local_issue_id FROM external_issue_links;
CREATE INDEX jirasync_external_issue_links_local_issue_id
    ON jirasync_external_issue_links (local_issue_id);
DROP TABLE external_issue_links;

CREATE TABLE jirasync_external_actors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    external_name TEXT NOT NULL,
    external_name_lower TEXT NOT NULL,
    external_id TEXT,
    user_id INTEGER,
    team_id INTEGER,
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
INSERT INTO jirasync_external_actors
    SELECT id, organization_id, integration_id, provider, external_name, external_name_lower,
        external_id, user_id, team_id
    FROM external_actors;
CREATE UNIQUE INDEX jirasync_external_actors_unique_user
    ON jirasync_external_actors (organization_id, provider, external_name, user_id)
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX jirasync_external_actors_unique_team
    ON jirasync_external_actors (organization_id, provider, external_name, team_id)
    WHERE team_id IS NOT NULL;
CREATE INDEX jirasync_external_actors_integration_name
    ON jirasync_external_actors (integration_id, provider, external_name_lower);
CREATE INDEX jirasync_external_actors_organization_name
    ON jirasync_external_actors (organization_id, provider, external_name_lower);

-- Version 1's inbox rows keep their token: they become legacy-token deliveries.
CREATE TABLE jirasync_inbox_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_id INTEGER,
    token TEXT,
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
    last_error TEXT,
    CHECK ((integration_id IS NULL) <> (token IS NULL))
);
INSERT INTO jirasync_inbox_deliveries
    SELECT id, NULL, token, body, headers, received_at, ordering_key, occurred_at,
        delivery_key, state, attempts, available_at, leased_until, last_error
    FROM inbox_deliveries;
CREATE INDEX jirasync_inbox_deliveries_claim_order
    ON jirasync_inbox_deliveries (state, ordering_key, occurred_at, id);

-- The AUTOINCREMENT counters go on from where version 1's tables were (a purged delivery's or
-- deleted actor's id may be above every row left).
UPDATE sqlite_sequence
    SET seq = (SELECT old.seq FROM sqlite_sequence old WHERE old.name = 'external_actors')
    WHERE name = 'jirasync_external_actors'
    AND seq < (SELECT old.seq FROM sqlite_sequence old WHERE old.name = 'external_actors');
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'jirasync_external_actors', seq FROM sqlite_sequence
    WHERE name = 'external_actors'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'jirasync_external_actors');
UPDATE sqlite_sequence
    SET seq = (SELECT old.seq FROM sqlite_sequence old WHERE old.name = 'inbox_deliveries')
    WHERE name = 'jirasync_inbox_deliveries'
    AND seq < (SELECT old.seq FROM sqlite_sequence old WHERE old.name = 'inbox_deliveries');
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'jirasync_inbox_deliveries', seq FROM sqlite_sequence
    WHERE name = 'inbox_deliveries'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'jirasync_inbox_deliveries');
DROP TABLE external_actors;
DROP TABLE inbox_deliveries;

CREATE TABLE jirasync_issue_locks (
    integration_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (integration_id, key)
);
