-- Version 3: snapshots of the views (see crm::projection::snapshot), several at a time, so a
-- process opens from the latest and time travel starts from the nearest. A snapshot holds
-- people's data in clear: the `Crm` deletes every one taken before an erasure.
CREATE TABLE crm_views_snapshots (
    position bigint PRIMARY KEY CHECK (position >= 0),
    recorded_at timestamptz NOT NULL,
    schema_version integer NOT NULL,
    state bytea NOT NULL
);
