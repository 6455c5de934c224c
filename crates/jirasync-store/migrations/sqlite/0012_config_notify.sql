-- Version 12 makes PostgreSQL notify its instances of configuration changes
-- (migrations/postgres/0012_config_notify.sql), for their caches. An SQLite store reads its
-- configuration directly and keeps no cache: nothing changes here.
SELECT 1;
