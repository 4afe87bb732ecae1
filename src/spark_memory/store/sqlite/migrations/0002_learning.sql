-- The experiential learning loop: curation state of traces, links between insights
-- (merges, endorsements, promotions; reversible), and the log of each curation epoch.

-- A trace with no row here is pending; 'deferred' traces are offered again.
CREATE TABLE trace_states (
    trace_id TEXT PRIMARY KEY,
    epoch_id TEXT NOT NULL,
    state    TEXT NOT NULL,
    updated  TEXT NOT NULL
) STRICT;
CREATE INDEX trace_states_state ON trace_states (state);

CREATE TABLE insight_links (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    epoch_id  TEXT NOT NULL,
    active    INTEGER NOT NULL,
    created   TEXT NOT NULL,
    snapshot  TEXT NOT NULL
) STRICT;
CREATE INDEX insight_links_source ON insight_links (source_id);
CREATE INDEX insight_links_target ON insight_links (target_id);
CREATE INDEX insight_links_org ON insight_links (org_id);

CREATE TABLE epochs (
    id      TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    body    TEXT NOT NULL   -- counts and events as JSON
) STRICT;
CREATE INDEX epochs_started ON epochs (started);

CREATE INDEX feedback_org ON feedback (org_id, agent_id);
CREATE INDEX traces_agent ON traces (org_id, agent_id);
CREATE INDEX audit_agent ON audit (org_id, agent_id);
