-- Spark on PostgreSQL, first schema. The same tables as the SQLite store, with
-- pgvector columns for vectors and tsvector columns for full-text search.
--
-- The embedding columns start without a dimension: the dimension (and the HNSW index,
-- which needs one) is fixed when the first vector arrives or on `spark reembed`; see
-- store/postgres/space.py. Bodies are the models as JSON (jsonb, so curation jobs can
-- query fields); the columns beside them are what queries filter on.

CREATE EXTENSION IF NOT EXISTS vector;

-- One row: the model and dimension of every stored vector, NULL until the first one.
-- Writers of vectors lock it FOR SHARE, changing the space locks it FOR UPDATE.
CREATE TABLE embedding_space (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    model     text,
    dim       integer CHECK (dim > 0)
);
INSERT INTO embedding_space DEFAULT VALUES;

CREATE TABLE snippets (
    id           text PRIMARY KEY,
    library      text NOT NULL,
    version      text NOT NULL,
    symbol       text NOT NULL,
    kind         text NOT NULL,
    title        text NOT NULL,
    text         text NOT NULL,
    embed_text   text NOT NULL,
    source       text NOT NULL,
    content_hash text NOT NULL,
    embedding    vector,
    -- symbol (weight A), title (B), text (C); written by the store from split words
    search       tsvector NOT NULL
);
CREATE INDEX snippets_library ON snippets (library, version, kind);
CREATE INDEX snippets_search ON snippets USING gin (search);

-- Snippets per library, version and kind, kept by statement triggers so that reading
-- them (every snippet search does, for version preference) costs a tiny table scan.
CREATE TABLE snippet_counts (
    library text NOT NULL,
    version text NOT NULL,
    kind    text NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (library, version, kind)
);

CREATE FUNCTION spark_snippet_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO snippet_counts AS c (library, version, kind, n)
    SELECT library, version, kind, count(*) FROM added GROUP BY library, version, kind
    ON CONFLICT (library, version, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION spark_snippet_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        SELECT library, version, kind, count(*) AS n FROM removed
        GROUP BY library, version, kind
    ), lowered AS (
        UPDATE snippet_counts c SET n = c.n - gone.n FROM gone
        WHERE c.library = gone.library AND c.version = gone.version AND c.kind = gone.kind
        RETURNING c.library, c.version, c.kind, c.n
    )
    DELETE FROM snippet_counts c USING lowered
    WHERE lowered.n <= 0
      AND c.library = lowered.library AND c.version = lowered.version AND c.kind = lowered.kind;
    RETURN NULL;
END $$;

CREATE FUNCTION spark_snippet_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Most updates keep library, version and kind; only moved rows change the counts.
    IF EXISTS (
        SELECT 1 FROM removed o JOIN added a USING (id)
        WHERE (o.library, o.version, o.kind) IS DISTINCT FROM (a.library, a.version, a.kind)
    ) THEN
        UPDATE snippet_counts c SET n = c.n - d.n
        FROM (SELECT library, version, kind, count(*) AS n FROM removed
              GROUP BY library, version, kind) d
        WHERE c.library = d.library AND c.version = d.version AND c.kind = d.kind;
        INSERT INTO snippet_counts AS c (library, version, kind, n)
        SELECT library, version, kind, count(*) FROM added GROUP BY library, version, kind
        ON CONFLICT (library, version, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
        DELETE FROM snippet_counts WHERE n <= 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER snippets_counted_insert AFTER INSERT ON snippets
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION spark_snippet_counts_add();
CREATE TRIGGER snippets_counted_update AFTER UPDATE ON snippets
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION spark_snippet_counts_move();
CREATE TRIGGER snippets_counted_delete AFTER DELETE ON snippets
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION spark_snippet_counts_remove();

CREATE TABLE insights (
    id           text PRIMARY KEY,
    org_id       text NOT NULL,
    agent_id     text NOT NULL,
    scope        text NOT NULL,
    status       text NOT NULL,
    kind         text NOT NULL,
    libraries    text NOT NULL,   -- ' numpy pandas ' for the shared LIKE filter
    content_hash text NOT NULL,
    body         jsonb NOT NULL,  -- the Insight
    embedding    vector,
    updated      timestamptz NOT NULL,
    -- title and query (weight A), content and tags (C)
    search       tsvector NOT NULL
);
CREATE INDEX insights_visibility ON insights (scope, org_id, status);
CREATE INDEX insights_updated ON insights (updated);
CREATE INDEX insights_search ON insights USING gin (search);

CREATE TABLE traces (
    id       text PRIMARY KEY,
    org_id   text NOT NULL,
    agent_id text NOT NULL,
    created  timestamptz NOT NULL,
    body     jsonb NOT NULL
);
CREATE INDEX traces_org ON traces (org_id, created);

CREATE TABLE feedback (
    id        text PRIMARY KEY,
    target_id text NOT NULL,
    org_id    text NOT NULL,
    agent_id  text NOT NULL,
    created   timestamptz NOT NULL,
    body      jsonb NOT NULL
);
CREATE INDEX feedback_target ON feedback (target_id, created);

CREATE TABLE orgs (
    id   text PRIMARY KEY,
    body jsonb NOT NULL
);

CREATE TABLE agents (
    id     text PRIMARY KEY,
    org_id text NOT NULL,
    body   jsonb NOT NULL
);

CREATE TABLE api_keys (
    id       text PRIMARY KEY,
    key_hash text NOT NULL UNIQUE,
    body     jsonb NOT NULL
);

CREATE TABLE idempotency (
    org_id    text NOT NULL,
    key       text NOT NULL,
    result_id text NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE audit (
    seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL,
    org_id    text NOT NULL,
    agent_id  text NOT NULL,
    action    text NOT NULL,
    target_id text NOT NULL,
    detail    text NOT NULL
);
CREATE INDEX audit_org ON audit (org_id, seq);
