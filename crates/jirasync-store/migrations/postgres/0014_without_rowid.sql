-- Version 14 makes the sync session's issue leases and the delivery log WITHOUT ROWID tables on
-- SQLite (migrations/sqlite/0014_without_rowid.sql), so that a lease or a delivery key writes
-- one B-tree instead of a table and its primary key's index. PostgreSQL has no rowid (a table
-- and its primary key's index are written either way): nothing changes here.
SELECT 1;
