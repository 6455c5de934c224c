-- Migration 2 for a database at version 1 (0001_initial.sql), PostgreSQL: its bookkeeping
-- tables become the `jirasync_` tables of 0002_bookkeeping.sql, in place, every row kept.
--
-- Tables, their identity sequences, constraints and indexes are renamed (foreign keys follow a
-- renamed table by themselves), the foreign keys into the standalone tables are dropped, and the
-- inbox's token becomes optional beside the new integration column: version 1's deliveries keep
-- their token and become legacy-token deliveries. The names end up as a fresh database's.

ALTER TABLE organizations RENAME TO jirasync_organizations;
ALTER TABLE integrations RENAME TO jirasync_integrations;
ALTER TABLE integration_webhook_secrets RENAME TO jirasync_integration_webhook_secrets;
ALTER TABLE identities RENAME TO jirasync_identities;
ALTER TABLE organization_integrations RENAME TO jirasync_organization_integrations;
ALTER TABLE external_issues RENAME TO jirasync_external_issues;
ALTER TABLE external_issue_links RENAME TO jirasync_external_issue_links;
ALTER TABLE external_actors RENAME TO jirasync_external_actors;
ALTER TABLE seen_deliveries RENAME TO jirasync_seen_deliveries;
ALTER TABLE inbox_deliveries RENAME TO jirasync_inbox_deliveries;

ALTER SEQUENCE organizations_id_seq RENAME TO jirasync_organizations_id_seq;
ALTER SEQUENCE integrations_id_seq RENAME TO jirasync_integrations_id_seq;
ALTER SEQUENCE identities_id_seq RENAME TO jirasync_identities_id_seq;
ALTER SEQUENCE external_issues_id_seq RENAME TO jirasync_external_issues_id_seq;
ALTER SEQUENCE external_actors_id_seq RENAME TO jirasync_external_actors_id_seq;
ALTER SEQUENCE inbox_deliveries_id_seq RENAME TO jirasync_inbox_deliveries_id_seq;

-- Bookkeeping rows hold the application's user, team and issue ids without foreign keys.
ALTER TABLE jirasync_identities DROP CONSTRAINT identities_installed_by_fkey;
ALTER TABLE jirasync_external_issue_links
    DROP CONSTRAINT external_issue_links_local_issue_id_fkey;
ALTER TABLE jirasync_external_actors
    DROP CONSTRAINT external_actors_user_id_fkey,
    DROP CONSTRAINT external_actors_team_id_fkey;

-- Every constraint (with the index behind a primary key or a unique constraint) and every other
-- index of the renamed tables takes the `jirasync_` prefix, as a fresh database names them.
DO $$
DECLARE
    item record;
BEGIN
    FOR item IN
        SELECT c.conname, t.relname FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relnamespace = current_schema()::regnamespace
        AND t.relname LIKE 'jirasync\_%' AND c.conname NOT LIKE 'jirasync\_%'
    LOOP
        EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I',
            item.relname, item.conname, 'jirasync_' || item.conname);
    END LOOP;
    FOR item IN
        SELECT i.relname FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relnamespace = current_schema()::regnamespace
        AND t.relname LIKE 'jirasync\_%' AND i.relname NOT LIKE 'jirasync\_%'
    LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', item.relname, 'jirasync_' || item.relname);
    END LOOP;
END
$$;

CREATE INDEX jirasync_external_issue_links_local_issue_id
    ON jirasync_external_issue_links (local_issue_id);

ALTER TABLE jirasync_inbox_deliveries
    ADD COLUMN integration_id BIGINT,
    ALTER COLUMN token DROP NOT NULL,
    ADD CONSTRAINT jirasync_inbox_deliveries_check
        CHECK ((integration_id IS NULL) <> (token IS NULL));
