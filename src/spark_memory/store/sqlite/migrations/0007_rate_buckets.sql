-- Per-org rate buckets kept in the store, so every process sharing it spends one rate.
CREATE TABLE rate_buckets (
    org_id TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at     REAL NOT NULL
) STRICT;
