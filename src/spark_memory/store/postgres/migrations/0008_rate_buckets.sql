-- Per-org rate buckets kept in the database, so N replicas spend one rate, not N.
CREATE TABLE rate_buckets (
    org_id text PRIMARY KEY,
    tokens double precision NOT NULL,
    at     timestamptz NOT NULL
);
