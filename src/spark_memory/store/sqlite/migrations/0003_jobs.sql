-- The job queue of background work (curation epochs, re-embedding) taken by
-- `spark worker` processes. Times are Unix seconds (REAL) so lease expiry compares
-- as numbers. A claim runs in the single writer's transaction (BEGIN IMMEDIATE), so
-- no two workers, in any process, can lease the same job.
CREATE TABLE jobs (
    seq           INTEGER PRIMARY KEY,          -- queue order
    id            TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,                -- JSON
    lane          TEXT NOT NULL,                -- '' for none; a lane runs one job at a time
    state         TEXT NOT NULL,                -- queued | running | done | failed
    attempts      INTEGER NOT NULL DEFAULT 0,   -- leases granted
    max_attempts  INTEGER NOT NULL,
    created       REAL NOT NULL,
    run_after     REAL NOT NULL,                -- a retried job waits until then
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_token   TEXT NOT NULL DEFAULT '',
    lease_expires REAL,
    finished      REAL,
    result        TEXT NOT NULL DEFAULT '{}',   -- JSON, written once by the completion
    error         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX jobs_state ON jobs (state, seq);
CREATE INDEX jobs_lane ON jobs (lane, state);
