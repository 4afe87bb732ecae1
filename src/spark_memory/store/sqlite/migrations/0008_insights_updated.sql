-- Lists of insights newest first (the console's memories and review queue) walk this
-- index and stop at their limit, instead of sorting every insight the caller may see.
CREATE INDEX insights_updated ON insights (updated);

-- Without statistics SQLite takes the visibility index for "scope = ?" to be selective
-- and sorts every visible insight; it is not (most insights are public or the caller's
-- org's). Until ANALYZE (or PRAGMA optimize) measures the real figures, these
-- hand-written ones say so, as SQLite's documentation allows ("Manual Control Of Query
-- Plans Using SQLITE_STAT Tables"). Real statistics, where present, are kept.
ANALYZE sqlite_schema;
INSERT INTO sqlite_stat1 (tbl, idx, stat)
SELECT 'insights', idx, stat FROM (
    SELECT 'insights_visibility' AS idx, '10000 3400 1200 400' AS stat
    UNION ALL SELECT 'insights_updated', '10000 1'
    UNION ALL SELECT 'insights_seq', '10000 1'
    UNION ALL SELECT 'sqlite_autoindex_insights_1', '10000 1'
)
WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = 'insights');
