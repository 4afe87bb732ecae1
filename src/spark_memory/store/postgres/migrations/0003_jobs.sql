-- The job queue of background work (curation epochs, re-embedding) taken by
-- `spark worker` processes with FOR UPDATE SKIP LOCKED. Mirrors the SQLite store's
-- 0003_jobs. Lease times come from the database server's clock (clock_timestamp()),
-- so workers on several machines need no synchronised clocks.
CREATE TABLE jobs (
    seq           bigint GENERATED ALWAYS AS IDENTITY,   -- queue order
    id            text PRIMARY KEY,
    kind          text NOT NULL,
    payload       jsonb NOT NULL,
    lane          text NOT NULL,                 -- '' for none; a lane runs one job at a time
    state         text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,    -- leases granted
    max_attempts  integer NOT NULL CHECK (max_attempts > 0),
    created       timestamptz NOT NULL DEFAULT clock_timestamp(),
    run_after     timestamptz NOT NULL DEFAULT clock_timestamp(),  -- a retry waits until then
    lease_owner   text NOT NULL DEFAULT '',
    lease_token   text NOT NULL DEFAULT '',
    lease_expires timestamptz,
    finished      timestamptz,
    result        jsonb NOT NULL DEFAULT '{}',   -- written once, by the completion
    error         text NOT NULL DEFAULT ''
);
-- Claims scan only the live part of the queue; finished jobs stay for the record.
CREATE INDEX jobs_live ON jobs (seq) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_lane ON jobs (lane, state) WHERE lane <> '';
CREATE INDEX jobs_state ON jobs (state, seq);
