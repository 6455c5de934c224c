-- Version 4: the inbox's heads, so that a claim reads only what it claims (see
-- src/sql/inbox.rs). Kept alike with migrations/postgres/0004_inbox_heads.sql.
--
-- One row per delivery a claim may hand out: the first pending delivery of each ordering key in
-- processing order (oldest change first, no change time first, then oldest enqueued), and every
-- pending delivery without a key. `waiting_until`: NULL when the head is claimable now, else
-- the end of its lease or its retry time (a claim makes the heads whose time has come claimable
-- again). `held`: a claim holds it and no complete or fail has released it; a held head stays
-- the head of its key even when an older delivery of the key arrives, so one key is never
-- claimed twice at once.
CREATE TABLE jirasync_inbox_heads (
    delivery_id INTEGER PRIMARY KEY,
    ordering_key TEXT UNIQUE,
    occurred_at INTEGER,
    waiting_until INTEGER,
    held INTEGER NOT NULL CHECK (held IN (0, 1))
);
-- The claimable heads in processing order: a claim reads the first few.
CREATE INDEX jirasync_inbox_heads_ready
    ON jirasync_inbox_heads (occurred_at, delivery_id) WHERE waiting_until IS NULL;
-- The waiting heads by the time they become claimable.
CREATE INDEX jirasync_inbox_heads_waiting
    ON jirasync_inbox_heads (waiting_until) WHERE waiting_until IS NOT NULL;
-- A key's next head, when its head is done or dead.
CREATE INDEX jirasync_inbox_deliveries_pending_by_key
    ON jirasync_inbox_deliveries (ordering_key, occurred_at, id) WHERE state = 'pending';

-- The heads of the deliveries already pending.
INSERT INTO jirasync_inbox_heads (delivery_id, ordering_key, occurred_at, waiting_until, held)
SELECT d.id, d.ordering_key, d.occurred_at, COALESCE(d.leased_until, d.available_at),
    d.leased_until IS NOT NULL
FROM jirasync_inbox_deliveries d
WHERE d.state = 'pending'
AND (d.ordering_key IS NULL OR NOT EXISTS (
    SELECT 1 FROM jirasync_inbox_deliveries o
    WHERE o.state = 'pending' AND o.ordering_key = d.ordering_key
    AND ((o.occurred_at IS NULL AND d.occurred_at IS NOT NULL)
        OR (o.occurred_at IS NULL AND d.occurred_at IS NULL AND o.id < d.id)
        OR (o.occurred_at < d.occurred_at)
        OR (o.occurred_at = d.occurred_at AND o.id < d.id))));
