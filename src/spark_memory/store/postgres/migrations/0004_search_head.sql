-- The heading of each row's search vector as a column of its own, with its own GIN
-- index: snippets' symbol and title (weights A and B), insights' title and query (A).
-- The lexical channel picks its candidates there first (store/postgres/fulltext.py):
-- an API's name and signature are where a query's API words count, and a heading is
-- a few lexemes kept inline, cheap to rank, where `search` matches a quarter of the
-- rows for an agent's prompt at 100,000 snippets.
--
-- Generated from `search`, so writers need not change. Adding it rewrites both tables
-- and rebuilds their indexes once (about two minutes at 100,000 snippets).
ALTER TABLE snippets
    ADD COLUMN head tsvector GENERATED ALWAYS AS (ts_filter(search, '{a,b}')) STORED;
CREATE INDEX snippets_head ON snippets USING gin (head);

ALTER TABLE insights
    ADD COLUMN head tsvector GENERATED ALWAYS AS (ts_filter(search, '{a,b}')) STORED;
CREATE INDEX insights_head ON insights USING gin (head);
