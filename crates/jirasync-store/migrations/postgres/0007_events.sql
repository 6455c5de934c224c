-- The outbox of outgoing events, PostgreSQL (docs/decisions/0015-outgoing-events.md). Kept alike
-- with migrations/sqlite/0007_events.sql. Times are Unix epoch milliseconds.

-- Every event a committed change wrote, in commit order: `sequence` is the cursor of
-- `GET /api/v1/events?after=`. Appends are serialised by a transaction advisory lock
-- (src/sql/events.rs), so sequences become visible in order and a reader never skips one.
CREATE TABLE jirasync_events (
    sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    organization_id BIGINT NOT NULL,
    ordering_key TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    data TEXT NOT NULL
);

-- Where events are pushed. `previous_secret` still signs until the next rotation.
CREATE TABLE jirasync_event_subscribers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    created_at BIGINT NOT NULL
);

-- One delivery per (subscriber, event): pending until delivered or dead-lettered. `due_at` is
-- when a pending one is tried next, or when it ended; `pending_since` when it became pending
-- (its event's time, or its replay's), from which the retry time is counted; `claim` and
-- `claimed_until` are the dispatcher's lease. `ordering_key` (the event's) keeps one issue's events in order.
CREATE TABLE jirasync_event_deliveries (
    subscriber_id BIGINT NOT NULL REFERENCES jirasync_event_subscribers (id) ON DELETE CASCADE,
    event_sequence BIGINT NOT NULL REFERENCES jirasync_events (sequence) ON DELETE CASCADE,
    ordering_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    due_at BIGINT NOT NULL,
    pending_since BIGINT NOT NULL,
    claim TEXT,
    claimed_until BIGINT,
    last_error TEXT,
    PRIMARY KEY (subscriber_id, event_sequence)
);
CREATE INDEX jirasync_event_deliveries_pending
    ON jirasync_event_deliveries (subscriber_id, ordering_key, event_sequence)
    WHERE status = 'pending';
CREATE INDEX jirasync_event_deliveries_status
    ON jirasync_event_deliveries (status, event_sequence);
