-- The delivery log also records comments, PostgreSQL (docs/outbound.md#comments): a comment
-- added in Jira comes in up to two deliveries (`jira:issue_updated` and `comment_created`), both
-- keyed `comment:<Jira comment id>` under the kind 'comment', so it is applied once. The check
-- is named after the table it was created with (`seen_deliveries` in a database upgraded from
-- version 1). Kept alike with migrations/sqlite/0011_comment_deliveries.sql.
ALTER TABLE jirasync_seen_deliveries DROP CONSTRAINT IF EXISTS jirasync_seen_deliveries_kind_check;
ALTER TABLE jirasync_seen_deliveries DROP CONSTRAINT IF EXISTS seen_deliveries_kind_check;
ALTER TABLE jirasync_seen_deliveries ADD CONSTRAINT jirasync_seen_deliveries_kind_check
    CHECK (kind IN ('assignee', 'status', 'comment'));
