-- The outbox of outbound sync, SQLite (docs/decisions/0017-outbound-sync.md). Kept alike with
-- migrations/postgres/0009_outbound.sql. Times are Unix epoch milliseconds.

-- One row per piece of work an application change made for one Jira issue (integration and
-- key), recorded in the change's transaction. Workers claim, per Jira issue, the oldest pending
-- row (by id) under a lease (`claim`, `claimed_until`); `due_at` is when a pending row is tried
-- next, or when it ended; `pending_since` when it became pending (recorded, or retried by an
-- operator), from which the retry time is counted. `action` is the action as JSON; `kind` its
-- name, for listing. Failed rows keep their reason in `last_error`.
CREATE TABLE jirasync_outbound (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    issue_key TEXT NOT NULL,
    local_issue_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    pending_since INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    claim TEXT,
    claimed_until INTEGER,
    last_error TEXT
);
-- The claim's "oldest pending row of its issue" probe, and the pending rows in order.
CREATE INDEX jirasync_outbound_pending
    ON jirasync_outbound (integration_id, issue_key, id)
    WHERE status = 'pending';
CREATE INDEX jirasync_outbound_status ON jirasync_outbound (status, id);

-- A change jirasync is making in Jira for an organization (recorded just before the call), so
-- that the webhook Jira sends for it is not applied back to that organization. `value` is the
-- value set, lower-cased ('' for none); a row is consumed by the webhook it matches, or
-- dropped once `expires_at` has passed.
CREATE TABLE jirasync_outbound_echoes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    issue_key TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX jirasync_outbound_echoes_issue
    ON jirasync_outbound_echoes (integration_id, issue_key);
