-- jirasync's bookkeeping tables, SQLite: what jirasync remembers of its own (organizations as it
-- knows them, integrations and credentials, organization links, links to Jira issues, the
-- ordering-guard watermarks, the delivery log, external actors, the webhook inbox, the per-issue
-- leases). Every table is prefixed `jirasync_` so that it can live in an application's own
-- database; none refers to the application's tables (user, team and issue ids are plain ids).
-- Kept alike with migrations/postgres/0002_bookkeeping.sql, and with what
-- 0002_bookkeeping_from_0001.sql makes of a version-1 database. Ids are INTEGER PRIMARY KEY (the
-- rowid); times are Unix epoch milliseconds; booleans are 0 / 1.

-- The application's organizations, with jirasync's feature flags; the id is the application's.
CREATE TABLE jirasync_organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    issue_sync INTEGER NOT NULL CHECK (issue_sync IN (0, 1)),
    external_actors INTEGER NOT NULL CHECK (external_actors IN (0, 1))
);

-- The hot look-up of every webhook: the integration by provider and external id.
CREATE TABLE jirasync_integrations (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    domain_name TEXT NOT NULL,
    verify_ssl INTEGER NOT NULL CHECK (verify_ssl IN (0, 1)),
    UNIQUE (provider, external_id)
);

CREATE TABLE jirasync_integration_webhook_secrets (
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    secret TEXT NOT NULL,
    PRIMARY KEY (integration_id, position)
);

-- `installed_by` is the application's user id.
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
CREATE INDEX jirasync_organization_integrations_integration_id
    ON jirasync_organization_integrations (integration_id, organization_id);

-- A Jira issue as one organization links it; it carries the ordering-guard watermarks.
CREATE TABLE jirasync_external_issues (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES jirasync_organizations (id) ON DELETE CASCADE,
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    assignee_updated_at INTEGER,
    status_updated_at INTEGER,
    UNIQUE (organization_id, integration_id, key)
);
CREATE INDEX jirasync_external_issues_integration_id_key
    ON jirasync_external_issues (integration_id, key);

-- `local_issue_id` is the application's issue id.
CREATE TABLE jirasync_external_issue_links (
    external_issue_id INTEGER NOT NULL
        REFERENCES jirasync_external_issues (id) ON DELETE CASCADE,
    local_issue_id INTEGER NOT NULL,
    PRIMARY KEY (external_issue_id, local_issue_id)
);
CREATE INDEX jirasync_external_issue_links_local_issue_id
    ON jirasync_external_issue_links (local_issue_id);

-- AUTOINCREMENT: a deleted actor's id is never given to another one. `user_id` and `team_id`
-- are the application's ids.
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
-- The domain's uniqueness rule: one actor per organization, provider, exact name and target.
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

CREATE TABLE jirasync_seen_deliveries (
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('assignee', 'status')),
    delivery_key TEXT NOT NULL,
    PRIMARY KEY (integration_id, kind, delivery_key)
);

-- The durable webhook inbox. AUTOINCREMENT: ids follow enqueue order and a purged id is never
-- given again. A delivery names the integration whose URL token was verified at receipt, or
-- (stored by version 1) keeps its token. `headers` holds one "name: value" line per header
-- (see src/inbox_headers.rs).
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
CREATE INDEX jirasync_inbox_deliveries_claim_order
    ON jirasync_inbox_deliveries (state, ordering_key, occurred_at, id);

-- Who syncs a Jira issue now: one lease per (integration, key), taken in a short transaction and
-- released when the sync commits (see src/sqlite/session.rs). `holder` is a random token of the
-- session; a lease whose `expires_at` has passed may be taken over.
CREATE TABLE jirasync_issue_locks (
    integration_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (integration_id, key)
);
