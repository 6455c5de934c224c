-- The delivery log also records comments, SQLite (docs/outbound.md#comments): a comment added in
-- Jira comes in up to two deliveries (`jira:issue_updated` and `comment_created`), both keyed
-- `comment:<Jira comment id>` under the kind 'comment', so it is applied once. SQLite cannot
-- change a CHECK constraint in place: the table is rebuilt, rows kept. Kept alike with
-- migrations/postgres/0011_comment_deliveries.sql.
CREATE TABLE jirasync_seen_deliveries_v10 (
    integration_id INTEGER NOT NULL REFERENCES jirasync_integrations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('assignee', 'status', 'comment')),
    delivery_key TEXT NOT NULL,
    PRIMARY KEY (integration_id, kind, delivery_key)
);
INSERT INTO jirasync_seen_deliveries_v10 (integration_id, kind, delivery_key)
    SELECT integration_id, kind, delivery_key FROM jirasync_seen_deliveries;
DROP TABLE jirasync_seen_deliveries;
ALTER TABLE jirasync_seen_deliveries_v10 RENAME TO jirasync_seen_deliveries;
