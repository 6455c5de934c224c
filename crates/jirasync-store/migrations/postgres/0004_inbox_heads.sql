-- Version 4: the inbox's heads, so that a claim reads only what it claims (see
-- src/sql/inbox.rs). Kept alike with migrations/sqlite/0004_inbox_heads.sql.
--
-- One row per delivery a claim may hand out: the first pending delivery of each ordering key in
-- processing order (oldest change first, no change time first, then oldest enqueued), and every
-- pending delivery without a key. `waiting_until`: NULL when the head is claimable now, else
-- the end of its lease or its retry time (a claim makes the heads whose time has come claimable
-- again). `held`: a claim holds it and no complete or fail has released it; a held head stays
-- the head of its key even when an older delivery of the key arrives, so one key is never
-- claimed twice at once. A key's head row is also the lock that orders the changes of its key:
-- every change locks it before reading the key's deliveries.
CREATE TABLE jirasync_inbox_heads (
    delivery_id BIGINT PRIMARY KEY,
    ordering_key TEXT UNIQUE,
    occurred_at BIGINT,
    waiting_until BIGINT,
    held BOOLEAN NOT NULL
);
-- The claimable heads in processing order: a claim reads the first few.
CREATE INDEX jirasync_inbox_heads_ready
    ON jirasync_inbox_heads (occurred_at NULLS FIRST, delivery_id) WHERE waiting_until IS NULL;
-- The waiting heads by the time they become claimable.
CREATE INDEX jirasync_inbox_heads_waiting
    ON jirasync_inbox_heads (waiting_until) WHERE waiting_until IS NOT NULL;
-- A key's next head, when its head is done or dead.
CREATE INDEX jirasync_inbox_deliveries_pending_by_key
    ON jirasync_inbox_deliveries (ordering_key, occurred_at NULLS FIRST, id)
    WHERE state = 'pending';

-- The heads of the deliveries already pending: every one without a key, the first of each key.
INSERT INTO jirasync_inbox_heads (delivery_id, ordering_key, occurred_at, waiting_until, held)
SELECT id, ordering_key, occurred_at, COALESCE(leased_until, available_at),
    leased_until IS NOT NULL
FROM jirasync_inbox_deliveries
WHERE state = 'pending' AND ordering_key IS NULL;
INSERT INTO jirasync_inbox_heads (delivery_id, ordering_key, occurred_at, waiting_until, held)
SELECT DISTINCT ON (ordering_key)
    id, ordering_key, occurred_at, COALESCE(leased_until, available_at),
    leased_until IS NOT NULL
FROM jirasync_inbox_deliveries
WHERE state = 'pending' AND ordering_key IS NOT NULL
ORDER BY ordering_key, occurred_at NULLS FIRST, id;
