"""The PostgreSQL store's own integrity check (the `check_integrity` of the contract)."""

from __future__ import annotations

from spark_memory.store.postgres import migrate, space
from spark_memory.store.postgres.connection import Conn


def problems(conn: Conn) -> list[str]:
    """Everything found wrong; empty when healthy. Reads whole tables: an admin command."""
    found = [f"migration {m.version:04d}_{m.name} is not applied" for m in migrate.pending(conn)]
    if found:
        return found  # the checks below assume the current schema
    found += _invalid_indexes(conn)
    found += space.column_problems(conn)
    found += _count_drift(conn)
    return found


def _invalid_indexes(conn: Conn) -> list[str]:
    # An index left invalid by a failed or interrupted build is silently never used.
    rows = conn.execute(
        "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid"
        " WHERE NOT x.indisvalid AND c.relnamespace = current_schema()::regnamespace"
    ).fetchall()
    return [f"index {name} is invalid; rebuild it with REINDEX" for (name,) in rows]


def _count_drift(conn: Conn) -> list[str]:
    rows = conn.execute(
        "SELECT coalesce(a.library, c.library), coalesce(a.version, c.version),"
        " coalesce(a.kind, c.kind), coalesce(a.n, 0), coalesce(c.n, 0)"
        " FROM (SELECT library, version, kind, count(*) AS n FROM snippets"
        "       GROUP BY library, version, kind) a"
        " FULL JOIN (SELECT * FROM snippet_counts WHERE n <> 0) c"
        "   USING (library, version, kind)"
        " WHERE coalesce(a.n, 0) <> coalesce(c.n, 0)"
    ).fetchall()
    return [
        f"snippet_counts says {counted} {kind} snippets of {lib} {ver}, the table holds {actual}"
        for lib, ver, kind, actual, counted in rows
    ]
