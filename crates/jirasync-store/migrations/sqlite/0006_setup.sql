-- jirasync's set-up records, SQLite: one-time set-up links (only the SHA-256 of each token is
-- kept) and the service's saved settings (the public URL an install was made under). Kept alike
-- with migrations/postgres/0006_setup.sql. Times are Unix seconds.

CREATE TABLE jirasync_setup_links (
    token_hash TEXT PRIMARY KEY,
    organization_id INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE TABLE jirasync_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
