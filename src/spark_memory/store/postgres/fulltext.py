"""The lexical channel on PostgreSQL: match, then rank in two stages. Not BM25.

An agent's prompt becomes an OR of up to 48 content words, which matches most rows,
and ``ts_rank_cd`` over every match cost seconds per query at 35,000 snippets. So:

1. The query's lexemes found in more than ``MAX_DF`` of the table's rows are dropped,
   as BM25's IDF would nearly zero them; the planner's statistics say which
   (``pg_stats.most_common_elems`` of the ``search`` column, kept by (auto)ANALYZE),
   so nothing is maintained on write and replicas stay stateless. Before the first
   ANALYZE nothing is dropped; when every word is that common, none is.
2. The matches are ranked by ``ts_rank`` (each word's weight saturates as it repeats)
   and the best ``POOL`` are kept.
3. The pool is ranked by ``ts_rank_cd`` (cover density: every occurrence counts,
   weighted by column), divided by 1 + log(length).

On DS-1000 prompts (benchmarks/bench_backends.py, docs/benchmarks.md) this ranks
better than either function alone and than ranking every match, at a fraction of
the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spark_memory.store import lexical
from spark_memory.store.postgres import rows

MAX_DF = 0.2  # a lexeme in more than this share of rows is dropped from the query
POOL = 200  # matches kept by the cheap first ranking for the second


def query_words(query: str) -> str:
    """The content words of ``query`` as one text for to_tsvector; empty when none."""
    return " ".join(lexical.terms(query))


def ranked_sql(table: str, alias: str, where: str) -> str:
    """Top-k ``(id, rank)`` of ``table``; see ``ranked_params`` for the parameters."""
    a = alias
    return f"""
WITH words AS (
    SELECT lexeme FROM unnest(to_tsvector('{rows.TS_CONFIG}', %s))
), common AS (
    SELECT c.lexeme FROM pg_stats s,
        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS c(lexeme, freq)
    WHERE s.schemaname = current_schema() AND s.tablename = '{table}'
      AND s.attname = 'search' AND c.lexeme IS NOT NULL AND c.freq > %s
), kept AS (
    SELECT lexeme FROM words WHERE lexeme NOT IN (SELECT lexeme FROM common)
), chosen AS (
    SELECT lexeme FROM kept
    UNION ALL SELECT lexeme FROM words WHERE NOT EXISTS (SELECT 1 FROM kept)
), query AS (
    SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery AS q FROM chosen
), pool AS MATERIALIZED (
    SELECT {a}.id, {a}.search FROM {table} {a}, query
    WHERE {a}.search @@ query.q AND {where}
    ORDER BY ts_rank(%s::float4[], {a}.search, query.q, %s) DESC, {a}.id LIMIT %s
)
SELECT pool.id, ts_rank_cd(%s::float4[], pool.search, query.q, %s) AS rank
FROM pool, query ORDER BY rank DESC, pool.id LIMIT %s
"""


def ranked_params(
    words: str, where_params: Sequence[Any], weights: Sequence[float], k: int
) -> list[Any]:
    norm = rows.RANK_NORMALISATION
    return [words, MAX_DF, *where_params, list(weights), norm, max(POOL, k), list(weights), norm, k]
