-- Every change to what the PostgreSQL store caches (integrations with their webhook secrets,
-- organizations, organization links) notifies the channel `jirasync_config`, whoever makes it:
-- every instance's listener empties its cache (src/config_cache.rs). One notification per
-- statement; PostgreSQL sends it when the transaction commits, and folds identical ones of a
-- transaction into one. Kept alike with migrations/sqlite/0012_config_notify.sql.
CREATE FUNCTION jirasync_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jirasync_config', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER jirasync_integrations_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON jirasync_integrations
    FOR EACH STATEMENT EXECUTE FUNCTION jirasync_config_changed();
CREATE TRIGGER jirasync_integration_webhook_secrets_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON jirasync_integration_webhook_secrets
    FOR EACH STATEMENT EXECUTE FUNCTION jirasync_config_changed();
CREATE TRIGGER jirasync_organizations_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON jirasync_organizations
    FOR EACH STATEMENT EXECUTE FUNCTION jirasync_config_changed();
CREATE TRIGGER jirasync_organization_integrations_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON jirasync_organization_integrations
    FOR EACH STATEMENT EXECUTE FUNCTION jirasync_config_changed();
