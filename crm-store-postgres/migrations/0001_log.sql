-- Version 1: the event log, its head, snapshots and checkpoints.

-- The log's head: the last position handed out. Its one row is the append lock: a writer
-- takes it as the last step before commit, so positions are handed out in commit order.
CREATE TABLE crm_log (
    id smallint PRIMARY KEY CHECK (id = 1),
    head bigint NOT NULL CHECK (head >= 0)
);
INSERT INTO crm_log (id, head) VALUES (1, 0);

CREATE TABLE crm_events (
    -- read_all's order.
    position bigint PRIMARY KEY,
    stream text NOT NULL,
    version bigint NOT NULL CHECK (version >= 1),
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    schema_version integer NOT NULL,
    payload jsonb NOT NULL,
    metadata jsonb NOT NULL,
    -- Business time to the microsecond, and the nanoseconds below it, so a time reads back
    -- exactly as it was written.
    occurred_at timestamptz NOT NULL,
    occurred_ns smallint NOT NULL DEFAULT 0 CHECK (occurred_ns BETWEEN 0 AND 999),
    recorded_at timestamptz NOT NULL,
    -- read_stream and the version check; one writer wins each version.
    CONSTRAINT crm_events_stream_version UNIQUE (stream, version),
    -- The retry check and locate; an id is used once in the whole log.
    CONSTRAINT crm_events_event_id UNIQUE (event_id)
);

CREATE TABLE crm_snapshots (
    stream text PRIMARY KEY,
    version bigint NOT NULL,
    schema_version integer NOT NULL,
    state bytea NOT NULL
);

CREATE TABLE crm_checkpoints (
    name text PRIMARY KEY,
    position bigint NOT NULL
);
