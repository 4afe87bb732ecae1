-- Named leases: one holder at a time across every replica (a curation epoch runs
-- single-flight whether started over HTTP, from the CLI or by a worker).
CREATE TABLE locks (
    name    text PRIMARY KEY,
    holder  text NOT NULL,
    expires timestamptz NOT NULL
);
