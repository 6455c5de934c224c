-- Version 13 moves the inbox's bodies out of the delivery rows on SQLite
-- (migrations/sqlite/0013_inbox_bodies.sql), so that a claim or a completion rewrites a small
-- row. PostgreSQL already keeps a value of this size out of line (TOAST), and an update that
-- does not change it does not copy it: nothing changes here.
SELECT 1;
