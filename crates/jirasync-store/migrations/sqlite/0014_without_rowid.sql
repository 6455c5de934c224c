-- Version 14: on SQLite, the sync session's issue leases and the delivery log become WITHOUT
-- ROWID tables, stored in their primary key's order. As rowid tables, every lease taken and
-- released and every delivery key recorded wrote two B-trees, the table and its primary key's
-- index, each a page to the write-ahead log in every transaction: about 2.6 of the ~20 pages a
-- delivery wrote through the inbox (docs/decisions/0023-grouped-completions.md). Keyed by their
-- primary key, they write one. Rows kept. PostgreSQL has no rowid: nothing changes there
-- (migrations/postgres/0014_without_rowid.sql).
CREATE TABLE jirasync_issue_locks_v14 (
    integration_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (integration_id, key)
) WITHOUT ROWID;
INSERT INTO jirasync_issue_locks_v14 (integration_id, key, holder, expires_at)
    SELECT integration_id, key, holder, expires_at FROM jirasync_issue_locks;
DROP TABLE jirasync_issue_locks;
ALTER TABLE jirasync_issue_locks_v14 RENAME TO jirasync_issue_locks;

CREATE TABLE jirasync_seen_deliveries_v14 (
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('assignee', 'status', 'comment')),
    delivery_key TEXT NOT NULL,
    PRIMARY KEY (integration_id, kind, delivery_key)
) WITHOUT ROWID;
INSERT INTO jirasync_seen_deliveries_v14 (integration_id, kind, delivery_key)
    SELECT integration_id, kind, delivery_key FROM jirasync_seen_deliveries;
DROP TABLE jirasync_seen_deliveries;
ALTER TABLE jirasync_seen_deliveries_v14 RENAME TO jirasync_seen_deliveries;
