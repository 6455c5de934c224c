-- Version 13: on SQLite, the inbox keeps each delivery's body in a table of its own,
-- written once at enqueue and read by the claim. A body of a few kilobytes in the delivery's
-- row left one or two rows per page: every claim, renewal and completion rewrote a whole page
-- (and its overflow chain's first page) to the write-ahead log. Without it, a page holds
-- dozens of rows, and the changes of one group commit share their pages. PostgreSQL keeps a
-- large value out of line by itself (TOAST): nothing changes there
-- (migrations/postgres/0013_inbox_bodies.sql).
CREATE TABLE jirasync_inbox_bodies (
    delivery_id INTEGER PRIMARY KEY,
    -- As received: bytes, or text in rows stored before the inbox kept bytes.
    body BLOB NOT NULL
);
INSERT INTO jirasync_inbox_bodies (delivery_id, body)
SELECT id, body FROM jirasync_inbox_deliveries;
ALTER TABLE jirasync_inbox_deliveries DROP COLUMN body;
-- A purged delivery takes its body with it.
CREATE TRIGGER jirasync_inbox_bodies_purge AFTER DELETE ON jirasync_inbox_deliveries
BEGIN
    DELETE FROM jirasync_inbox_bodies WHERE delivery_id = OLD.id;
END;
