-- Spark embedded store, first schema.
-- seq: a store-wide counter bumped by every write transaction; rows and tombstones
-- carry the seq of their last write so in-memory vector indexes (in this and other
-- processes) can catch up incrementally.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('seq', '0');

CREATE TABLE tombstones (
    seq      INTEGER NOT NULL,
    doc_type TEXT NOT NULL,
    row      INTEGER NOT NULL
) STRICT;
CREATE INDEX tombstones_seq ON tombstones (doc_type, seq);

CREATE TABLE snippets (
    row          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    library      TEXT NOT NULL,
    version      TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    text         TEXT NOT NULL,
    embed_text   TEXT NOT NULL,
    source       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    embedding    BLOB,
    seq          INTEGER NOT NULL
) STRICT;
CREATE INDEX snippets_library ON snippets (library, version, kind);
CREATE INDEX snippets_seq ON snippets (seq);

-- Own copy of the indexed text (not external content) so the symbol column can hold
-- the split forms of a dotted name (DataFrame.value_counts -> data frame value counts).
CREATE VIRTUAL TABLE snippets_fts USING fts5 (
    symbol, title, body,
    tokenize = 'porter unicode61'
);

CREATE TABLE insights (
    row          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    org_id       TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    scope        TEXT NOT NULL,
    status       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    libraries    TEXT NOT NULL,   -- ' numpy pandas ' for LIKE filters
    content_hash TEXT NOT NULL,
    body         TEXT NOT NULL,   -- the Insight as JSON
    embedding    BLOB,
    updated      TEXT NOT NULL,
    seq          INTEGER NOT NULL
) STRICT;
CREATE INDEX insights_visibility ON insights (scope, org_id, status);
CREATE INDEX insights_seq ON insights (seq);

CREATE VIRTUAL TABLE insights_fts USING fts5 (
    title, query, content, tags,
    tokenize = 'porter unicode61'
);

CREATE TABLE traces (
    id       TEXT PRIMARY KEY,
    org_id   TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    created  TEXT NOT NULL,
    body     TEXT NOT NULL
) STRICT;
CREATE INDEX traces_org ON traces (org_id, created);

CREATE TABLE feedback (
    id        TEXT PRIMARY KEY,
    target_id TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    agent_id  TEXT NOT NULL,
    created   TEXT NOT NULL,
    body      TEXT NOT NULL
) STRICT;
CREATE INDEX feedback_target ON feedback (target_id);

CREATE TABLE orgs (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
) STRICT;

CREATE TABLE agents (
    id     TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    body   TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id       TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    body     TEXT NOT NULL
) STRICT;

CREATE TABLE idempotency (
    org_id    TEXT NOT NULL,
    key       TEXT NOT NULL,
    result_id TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
) STRICT;

CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    agent_id  TEXT NOT NULL,
    action    TEXT NOT NULL,
    target_id TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX audit_org ON audit (org_id, seq);
