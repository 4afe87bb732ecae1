-- Named leases: one holder at a time across every process sharing the store (a curation
-- epoch runs single-flight whether started over HTTP, from the CLI or by a worker).
CREATE TABLE locks (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    expires REAL NOT NULL
) STRICT;
