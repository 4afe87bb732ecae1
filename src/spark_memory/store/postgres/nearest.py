"""Nearest-neighbour queries over a pgvector column, exact whenever HNSW falls short.

pgvector (0.6, as bundled by pgserver) filters *after* walking the HNSW graph: with a
selective WHERE clause the walk may surface fewer than k matching rows. So a filtered
search first asks the index for ``_OVERFETCH`` times k candidates, and if still short
of k, repeats the query with index scans off, which makes it an exact sort of the
matching rows: cheap exactly when the filter is selective.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from spark_memory.models import ChannelHit, Vectors
from spark_memory.store.postgres.connection import Conn, Database

_OVERFETCH = 8
# pgvector's default is 40: recall@10 0.85 at 100k snippets; 160 gives 0.955 for +0.6 ms
# (benchmarks/bench_backends.py, docs/benchmarks.md).
_EF_SEARCH_MIN = 160
_EF_SEARCH_MAX = 1_000  # pgvector's upper bound for hnsw.ef_search


def nearest(
    db: Database,
    table: str,
    alias: str,
    where: str,
    params: Sequence[Any],
    vector: Vectors,
    k: int,
) -> list[ChannelHit]:
    """Top-k rows of ``table`` (as ``alias`` in ``where``) by inner product."""
    if k <= 0:
        return []
    query = np.asarray(vector, dtype=np.float32).reshape(-1)
    a = alias
    sql = (
        f"SELECT {a}.id, -({a}.embedding <#> %s) FROM {table} {a}"
        f" WHERE {a}.embedding IS NOT NULL AND {where}"
        f" ORDER BY {a}.embedding <#> %s LIMIT %s"
    )
    args = [query, *params, query, k]
    depth = k * (_OVERFETCH if where != "TRUE" else 2)

    def search(conn: Conn) -> list[tuple[Any, ...]]:
        found = _run(conn, sql, args, depth, exact=False)
        if len(found) < k:
            found = _run(conn, sql, args, k, exact=True)
        return found

    rows = db.read(search)
    return [ChannelHit(id=i, rank=n, score=float(s)) for n, (i, s) in enumerate(rows, 1)]


def _run(
    conn: Conn, sql: str, args: Sequence[Any], ef_search: int, *, exact: bool
) -> list[tuple[Any, ...]]:
    ef = min(max(ef_search, _EF_SEARCH_MIN), _EF_SEARCH_MAX)
    # set_config(..., true) is SET LOCAL: it ends with this read's transaction.
    conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef)])
    conn.execute("SELECT set_config('enable_indexscan', %s, true)", ["off" if exact else "on"])
    return conn.execute(sql, args).fetchall()
