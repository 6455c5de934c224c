-- jirasync's set-up records, PostgreSQL: one-time set-up links (only the SHA-256 of each token
-- is kept) and the service's saved settings (the public URL an install was made under). Kept
-- alike with migrations/sqlite/0006_setup.sql. Times are Unix seconds.

CREATE TABLE jirasync_setup_links (
    token_hash TEXT PRIMARY KEY,
    organization_id BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE jirasync_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
