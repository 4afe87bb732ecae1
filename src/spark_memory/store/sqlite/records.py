"""Row <-> model conversion and the SQL clauses the SQLite backend shares."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from spark_memory.errors import EmbeddingMismatch, InvalidInput
from spark_memory.models import Insight, InsightStatus, Principal, SearchFilters, Snippet, Vectors
from spark_memory.store.protocol import EmbeddingSpace, LibraryStat

SNIPPET_COLUMNS = (
    "id, library, version, symbol, kind, title, text, embed_text, source, content_hash"
)


def snippet_from_row(row: Sequence[Any]) -> Snippet:
    keys = SNIPPET_COLUMNS.split(", ")
    return Snippet.model_validate(dict(zip(keys, row, strict=True)))


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


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:4])


def pick_version(available: Sequence[str], wanted: str | None) -> str:
    """The stored version to serve: the caller's, else the nearest below, else above."""
    if wanted is not None and wanted in available:
        return wanted
    ordered = sorted(available, key=_version_key)
    if wanted is None:
        return ordered[-1]
    key = _version_key(wanted)
    below = [v for v in ordered if _version_key(v) <= key]
    return below[-1] if below else ordered[0]


def snippet_filter_sql(
    filters: SearchFilters, stats: Sequence[LibraryStat]
) -> tuple[str, list[Any]]:
    """WHERE-clause fragment (alias ``s``) for library, version and kind filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.libraries:
        clauses.append(f"s.library IN ({_marks(filters.libraries)})")
        params.extend(filters.libraries)
    if filters.kinds:
        clauses.append(f"s.kind IN ({_marks(filters.kinds)})")
        params.extend(filters.kinds)
    version_sql, version_params = _version_sql(filters, stats)
    if version_sql:
        clauses.append(version_sql)
        params.extend(version_params)
    return (" AND ".join(clauses) or "1"), params


def _version_sql(filters: SearchFilters, stats: Sequence[LibraryStat]) -> tuple[str, list[Any]]:
    # One version per library is served, so several stored versions never show the
    # same symbol twice; libraries with a single stored version need no clause.
    versions: dict[str, list[str]] = {}
    for stat in stats:
        versions.setdefault(stat.library, []).append(stat.version)
    parts: list[str] = []
    params: list[Any] = []
    pinned: set[str] = set()
    for library, available in versions.items():
        wanted = filters.versions.get(library)
        if len(available) == 1 and wanted is None:
            continue
        parts.append("(s.library = ? AND s.version = ?)")
        params.extend([library, pick_version(available, wanted)])
        pinned.add(library)
    if not parts:
        return "", []
    others = [lib for lib in versions if lib not in pinned]
    if others:
        parts.append(f"s.library IN ({_marks(others)})")
        params.extend(others)
    return "(" + " OR ".join(parts) + ")", params


def insight_filter_sql(filters: SearchFilters, principal: Principal) -> tuple[str, list[Any]]:
    """Visibility, status, scope and library clauses (alias ``i``); scopes live here."""
    me = {"org": principal.org_id, "agent": principal.agent_id}
    clauses = [
        "(i.scope = 'public' OR (i.scope = 'org' AND i.org_id = ?)"
        " OR (i.scope = 'private' AND i.org_id = ? AND i.agent_id = ?))"
    ]
    params: list[Any] = [me["org"], me["org"], me["agent"]]
    statuses = [s.value for s in filters.statuses]
    status_marks = _marks(statuses) if statuses else "''"
    clauses.append(
        f"(i.status IN ({status_marks})"
        " OR (i.status = 'quarantined' AND i.org_id = ? AND i.agent_id = ?))"
    )
    params.extend([*statuses, me["org"], me["agent"]])
    if filters.scopes:
        clauses.append(f"i.scope IN ({_marks(filters.scopes)})")
        params.extend(s.value for s in filters.scopes)
    if filters.libraries:
        likes = " OR ".join("i.libraries LIKE ?" for _ in filters.libraries)
        clauses.append(f"(i.libraries = ' ' OR {likes})")
        params.extend(f"% {lib} %" for lib in filters.libraries)
    if filters.kinds:
        clauses.append(f"i.kind IN ({_marks(filters.kinds)})")
        params.extend(filters.kinds)
    return " AND ".join(clauses), params


def visible_sql(principal: Principal) -> tuple[str, list[Any]]:
    """Visibility of one insight fetched by id: any status but others' quarantine."""
    every = SearchFilters(statuses=[s for s in InsightStatus if s != InsightStatus.QUARANTINED])
    return insight_filter_sql(every, principal)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)
