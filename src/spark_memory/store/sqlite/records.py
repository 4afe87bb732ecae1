"""Row <-> model conversion and the SQL clauses the SQLite backend shares."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from spark_memory.errors import EmbeddingMismatch, InvalidInput
from spark_memory.models import Insight, Principal, SearchFilters, Snippet, Vectors
from spark_memory.store import filters as shared
from spark_memory.store.filters import pick_version as pick_version  # re-exported
from spark_memory.store.protocol import EmbeddingSpace, LibraryStat

SNIPPET_COLUMNS = (
    "id, library, version, symbol, kind, title, text, embed_text, source, content_hash, apis"
)


def snippet_from_row(row: Sequence[Any]) -> Snippet:
    keys = SNIPPET_COLUMNS.split(", ")
    fields = dict(zip(keys, row, strict=True))
    fields["apis"] = json.loads(fields["apis"])  # a JSON list in a TEXT column
    return Snippet.model_validate(fields)


def insight_from_body(body: str) -> Insight:
    return Insight.model_validate_json(body)


def blob(vector: Vectors) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def unblob(data: bytes) -> Vectors:
    return np.frombuffer(data, dtype=np.float32)


def next_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'seq'"
        " RETURNING value"
    ).fetchone()
    return int(row[0])


def read_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])


def get_space(conn: sqlite3.Connection) -> EmbeddingSpace | None:
    rows = dict(
        conn.execute("SELECT key, value FROM meta WHERE key IN ('embed_model', 'embed_dim')")
    )
    if "embed_model" not in rows:
        return None
    return EmbeddingSpace(rows["embed_model"], int(rows["embed_dim"]))


def set_space(conn: sqlite3.Connection, space: EmbeddingSpace) -> None:
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [("embed_model", space.model), ("embed_dim", str(space.dim))],
    )


def claim_space(
    conn: sqlite3.Connection, space: EmbeddingSpace | None, vectors: Vectors | None
) -> None:
    """Adopt ``space`` on first use; refuse vectors from any other model or dimension."""
    if vectors is None:
        return
    if space is None:
        raise InvalidInput("vectors given without the embedding space that made them")
    if vectors.ndim != 2 or vectors.shape[1] != space.dim:
        raise EmbeddingMismatch(f"vectors have shape {vectors.shape}, expected (n, {space.dim})")
    stored = get_space(conn)
    if stored is None:
        set_space(conn, space)
    elif stored != space:
        raise EmbeddingMismatch(
            f"the store holds vectors of {stored.model} ({stored.dim} dims); refusing vectors of "
            f"{space.model} ({space.dim} dims). Run `spark reembed` to change model."
        )


# --- filters ----------------------------------------------------------------------------
# The clauses themselves live in store/filters.py, shared with PostgreSQL, so that both
# backends decide visibility and version preference identically.


def snippet_filter_sql(
    filters: SearchFilters, stats: Sequence[LibraryStat]
) -> tuple[str, list[Any]]:
    """WHERE-clause fragment (alias ``s``) for library, version and kind filters."""
    clauses, params = shared.snippet_clauses(filters, stats)
    return (" AND ".join(clauses) or "1"), params


def insight_filter_sql(filters: SearchFilters, principal: Principal) -> tuple[str, list[Any]]:
    """Visibility, status, scope and library clauses (alias ``i``); scopes live here."""
    clauses, params = shared.insight_clauses(filters, principal)
    return " AND ".join(clauses), params


def visible_sql(principal: Principal) -> tuple[str, list[Any]]:
    """Visibility of one insight fetched by id: any status but others' quarantine."""
    return insight_filter_sql(shared.visible_filters(), principal)
