-- Migration 3 for a database at version 1 (0001_initial.sql), PostgreSQL: nothing to do. Version 1
-- created the standalone tables (users, teams, projects, local issues, activities…) as
-- 0003_standalone.sql does, and 0002_bookkeeping_from_0001.sql kept their foreign keys pointing
-- at the renamed organizations table. Recorded so that the database's history says so.
SELECT 1;
