-- The experiential learning loop: curation state of traces, links between insights
-- (merges, endorsements, promotions; reversible), and the log of each curation epoch.
-- Mirrors the SQLite store's 0002_learning.

-- A trace with no row here is pending; 'deferred' traces are offered again.
CREATE TABLE trace_states (
    trace_id text PRIMARY KEY,
    epoch_id text NOT NULL,
    state    text NOT NULL,
    updated  timestamptz NOT NULL
);
CREATE INDEX trace_states_state ON trace_states (state);
CREATE INDEX traces_created ON traces (created, id);

CREATE TABLE insight_links (
    id        text PRIMARY KEY,
    kind      text NOT NULL,
    source_id text NOT NULL,
    target_id text NOT NULL,
    org_id    text NOT NULL,
    epoch_id  text NOT NULL,
    active    boolean NOT NULL,
    created   timestamptz NOT NULL,
    snapshot  text NOT NULL   -- the source insight as it was (JSON), to undo a merge
);
CREATE INDEX insight_links_source ON insight_links (source_id);
CREATE INDEX insight_links_target ON insight_links (target_id);
CREATE INDEX insight_links_org ON insight_links (org_id);

CREATE TABLE epochs (
    id      text PRIMARY KEY,
    started timestamptz NOT NULL,
    body    jsonb NOT NULL   -- finished, counts and events
);
CREATE INDEX epochs_started ON epochs (started);

-- Insertion order of insights (SQLite has its rowid), for listings in write order.
ALTER TABLE insights ADD COLUMN ord bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX insights_org ON insights (org_id, ord);

CREATE INDEX feedback_org ON feedback (org_id, agent_id);
CREATE INDEX traces_agent ON traces (org_id, agent_id);
CREATE INDEX audit_agent ON audit (org_id, agent_id);
