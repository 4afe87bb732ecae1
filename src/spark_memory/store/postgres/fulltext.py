"""The lexical channel on PostgreSQL: pick candidates through the GIN indexes, rank a few.

Not BM25. PostgreSQL's GIN index says which rows hold a lexeme, but not how often nor
with which weight: any ranking (``ts_rank``, ``ts_rank_cd``) reads each candidate's
``tsvector`` from the table. An agent's prompt is an OR of up to 48 content words; at
100,000 snippets its words of at most 5% of the rows still matched a quarter of the
table, and ranking those took ~190 ms a query. So the work the ranking functions get
is bounded:

1. The query's lexemes are weighed by the planner's statistics
   (``pg_stats.most_common_elems`` of ``search`` and of ``head``, kept by autovacuum's
   ANALYZE: nothing to maintain on write, replicas stay stateless, one catalog read per
   query). A lexeme missing from them is rarer than every listed one (about 0.5% of
   rows and less). Before the first ANALYZE every lexeme counts as rare and the body
   search below takes them all: the table is new, and most likely small.
2. Candidates, at most ``POOL`` from each of two cheap searches:
   - heading: rows whose ``head`` (snippets: symbol and title; insights: title and
     query; migration 0004) holds the query's lexemes, rarest in headings first while
     their frequencies add up to at most ``HEAD_BUDGET`` of the rows, ranked by
     ``ts_rank`` of the few inline lexemes of the heading. An API's name and
     signature are where an agent's API words count.
   - body: rows holding the ``RARE_WORDS`` rarest lexemes anywhere (at most
     ``RARE_DF`` of the rows each), ranked by ``ts_rank``, so that words only a body
     has (an error message, a parameter in the text) still find it.
3. The candidates are ranked by ``ts_rank_cd`` (cover density: every occurrence
   counts, weighted by column) of every query lexeme in at most ``MAX_DF`` of the
   rows (BM25's IDF would nearly zero the rest), divided by 1 + log(length).

When no lexeme is rare enough for a step, the rarest ones are used, so a query of
common words still finds its rows. On the DS-1000 retrieval task this finds more of the
right APIs than SQLite's BM25 (benchmarks/bench_backends.py, docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spark_memory.store import lexical
from spark_memory.store.postgres import rows

MAX_DF = 0.2  # a lexeme in more than this share of rows does not rank (unless all are)
HEAD_BUDGET = 0.02  # heading lexemes are taken while their row shares add up to this
RARE_WORDS = 4  # the rarest lexemes whose rows are candidates wherever they hold them
RARE_DF = 0.005  # ... if each is in at most this share of rows
POOL = 50  # candidates from each of the two searches
MIN_ANALYSED_ROWS = 5_000  # below this the statistics are ignored (see ranked_sql)


def query_words(query: str) -> str:
    """The content words of ``query`` as one text for to_tsvector; empty when none."""
    return " ".join(lexical.terms(query))


def ranked_sql(table: str, alias: str, where: str) -> str:
    """Top-k ``(id, rank)`` of ``table``; see ``ranked_params`` for the parameters."""
    a = alias
    return f"""
WITH stats AS (
    SELECT s.attname, c.lexeme, c.freq FROM pg_stats s,
        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS c(lexeme, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = '{table}'
      AND s.attname IN ('search', 'head') AND c.lexeme IS NOT NULL
      -- a small table is ranked whole, as if never analysed: cheap, and its statistics
      -- (a handful of rows) would call most words common
      AND (SELECT r.reltuples FROM pg_class r WHERE r.oid = '{table}'::regclass) >= %s
), words AS (
    SELECT quote_literal(w.lexeme) AS word, w.positions[1] AS pos,
        coalesce(t.freq, 0) AS freq, coalesce(h.freq, 0) AS head_freq
    FROM unnest(to_tsvector('{rows.TS_CONFIG}', %s)) w
    LEFT JOIN stats t ON t.attname = 'search' AND t.lexeme = w.lexeme
    LEFT JOIN stats h ON h.attname = 'head' AND h.lexeme = w.lexeme
), cut AS (
    SELECT greatest(%s, min(freq)) AS ranked, greatest(%s, min(freq)) AS rare,
        -- not analysed yet: nothing says which words are rare, so take them all
        CASE WHEN EXISTS (SELECT FROM stats WHERE attname = 'search') THEN %s END AS rare_words
    FROM words
), ranked AS (
    SELECT words.*, sum(head_freq) OVER (ORDER BY head_freq, pos) AS head_share
    FROM words, cut WHERE freq <= cut.ranked
), query AS (
    SELECT
        (SELECT string_agg(word, ' | ') FROM ranked)::tsquery AS ranked,
        (SELECT string_agg(word, ' | ') FROM ranked WHERE head_share <= %s)::tsquery AS head,
        (SELECT string_agg(word, ' | ') FROM (
            SELECT word FROM words, cut WHERE freq <= cut.rare ORDER BY freq, pos
            LIMIT (SELECT rare_words FROM cut)
        ) rarest)::tsquery AS rare
), pool AS MATERIALIZED (
    (SELECT {a}.id FROM {table} {a}, query WHERE {a}.head @@ query.head AND {where}
     ORDER BY ts_rank(%s::float4[], {a}.head, query.head, %s) DESC, {a}.id LIMIT %s)
    UNION
    (SELECT {a}.id FROM {table} {a}, query WHERE {a}.search @@ query.rare AND {where}
     ORDER BY ts_rank(%s::float4[], {a}.search, query.rare, %s) DESC, {a}.id LIMIT %s)
)
SELECT r.id, ts_rank_cd(%s::float4[], r.search, query.ranked, %s) AS rank
FROM pool JOIN {table} r USING (id), query ORDER BY rank DESC, r.id LIMIT %s
"""


def ranked_params(
    words: str, where_params: Sequence[Any], weights: Sequence[float], k: int
) -> list[Any]:
    norm, w, pool = rows.RANK_NORMALISATION, list(weights), max(POOL, k)
    return [
        *(MIN_ANALYSED_ROWS, words, MAX_DF, RARE_DF, RARE_WORDS, HEAD_BUDGET),
        *(*where_params, w, norm, pool),
        *(*where_params, w, norm, pool),
        *(w, norm, k),
    ]
