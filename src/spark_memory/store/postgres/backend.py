"""The scale-out store: PostgreSQL with pgvector (HNSW) and full-text search.

Stateless apart from its connection pool, so any number of `spark serve` replicas can
share one database: every query reads committed state, and nothing is cached in the
process that another replica could make stale.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from spark_memory.errors import InvalidInput, NotFound
from spark_memory.models import (
    ChannelHit,
    DocType,
    Insight,
    Principal,
    SearchFilters,
    Snippet,
    Vectors,
)
from spark_memory.store.filters import libraries_column
from spark_memory.store.postgres import fulltext, rows, space
from spark_memory.store.postgres.connection import Conn, Database, prepare
from spark_memory.store.postgres.experience import ExperienceTables
from spark_memory.store.postgres.integrity import problems
from spark_memory.store.postgres.jobs import JobTables
from spark_memory.store.postgres.migrate import Migration
from spark_memory.store.postgres.nearest import nearest
from spark_memory.store.postgres.tables import RecordTables
from spark_memory.store.protocol import RECORD_TABLES, EmbeddingSpace, LibraryStat, WriteResult

_TABLES = {DocType.SNIPPET: "snippets", DocType.INSIGHT: "insights"}

_UPSERT_SNIPPETS = f"""
INSERT INTO snippets (id, library, version, symbol, kind, title, text, embed_text, source,
                      content_hash, embedding, search, apis)
SELECT r.id, r.library, r.version, r.symbol, r.kind, r.title, r.text, r.embed_text, r.source,
       r.content_hash, r.embedding, {rows.tsvector_sql("ABC", ["r.w_symbol", "r.w_title", "r.w_text"])},
       r.apis::jsonb
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
            %s::text[], %s::text[], %s::text[], %s::vector[], %s::text[], %s::text[], %s::text[],
            %s::text[])
     AS r(id, library, version, symbol, kind, title, text, embed_text, source, content_hash,
          embedding, w_symbol, w_title, w_text, apis)
ON CONFLICT (id) DO UPDATE SET
    library = EXCLUDED.library, version = EXCLUDED.version, symbol = EXCLUDED.symbol,
    kind = EXCLUDED.kind, title = EXCLUDED.title, text = EXCLUDED.text,
    embed_text = EXCLUDED.embed_text, source = EXCLUDED.source,
    content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding,
    search = EXCLUDED.search, apis = EXCLUDED.apis
"""

_INSIGHT_SEARCH = rows.tsvector_sql("AACC", ["%s", "%s", "%s", "%s"])
_INSERT_INSIGHT = f"""
INSERT INTO insights (id, org_id, agent_id, scope, status, kind, libraries, content_hash, body,
                      embedding, updated, search)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::vector, %s, {_INSIGHT_SEARCH})
"""
# An update without a vector keeps the stored one: the insight's meaning is unchanged
# by a status or scope change, and re-embedding is the caller's explicit choice.
_UPDATE_INSIGHT = f"""
UPDATE insights SET org_id = %s, agent_id = %s, scope = %s, status = %s, kind = %s,
    libraries = %s, content_hash = %s, body = %s::jsonb,
    embedding = COALESCE(%s::vector, embedding), updated = %s, search = {_INSIGHT_SEARCH}
WHERE id = %s
"""


class PostgresStore(RecordTables, ExperienceTables, JobTables):
    """Implements ``spark_memory.store.protocol.Store`` on a PostgreSQL database."""

    def __init__(
        self, url: str, *, ann_threshold: int = 20_000, min_size: int = 1, max_size: int = 8
    ) -> None:
        # Migrate before pooling: pooled connections register the `vector` type.
        self.applied_migrations: list[Migration] = prepare(url)
        self.url = url
        self._db = Database(url, min_size=min_size, max_size=max_size)
        self.location = self._db.location
        self._ann_threshold = max(1, ann_threshold)

    def close(self) -> None:
        self._db.close()

    def check_integrity(self) -> list[str]:
        return self._db.read(problems)

    def refresh_statistics(self) -> None:
        self._db.write(lambda conn: conn.execute("ANALYZE snippets, insights"))

    # --- embedding space -----------------------------------------------------------------
    def embedding_space(self) -> EmbeddingSpace | None:
        return self._db.read(space.get_space)

    def reset_embedding_space(self, new: EmbeddingSpace) -> None:
        self._db.write(lambda conn: space.reset(conn, new))

    def set_vectors(
        self, doc_type: DocType, ids: Sequence[str], vectors: Vectors, space_: EmbeddingSpace
    ) -> None:
        if len(ids) != len(vectors):
            raise InvalidInput(f"{len(ids)} ids but {len(vectors)} vectors")
        table = _TABLES[doc_type]

        def write(conn: Conn) -> None:
            space.claim_space(conn, space_, vectors)
            conn.execute(
                f"UPDATE {table} t SET embedding = v.embedding"
                " FROM unnest(%s::text[], %s::vector[]) AS v(id, embedding) WHERE t.id = v.id",
                [list(ids), list(vectors)],
            )
            space.ensure_ann_index(conn, table, self._ann_threshold)

        self._db.write(write)

    # --- snippets ----------------------------------------------------------------------------
    def upsert_snippets(
        self, snippets: Sequence[Snippet], vectors: Vectors | None, space_: EmbeddingSpace | None
    ) -> WriteResult:
        if vectors is not None and len(vectors) != len(snippets):
            raise InvalidInput(f"{len(snippets)} snippets but {len(vectors)} vectors")
        if not snippets:
            return WriteResult()

        def write(conn: Conn) -> WriteResult:
            space.claim_space(conn, space_, vectors)
            result = _upsert_snippets(conn, snippets, vectors)
            if vectors is not None:
                space.ensure_ann_index(conn, "snippets", self._ann_threshold)
            return result

        return self._db.write(write)

    def snippet_hashes(self, library: str, version: str) -> dict[str, str]:
        found = self._db.query(
            # "" for a row without a vector: ingest then sees it as changed and embeds it
            "SELECT id, CASE WHEN embedding IS NULL THEN '' ELSE content_hash END"
            " FROM snippets WHERE library = %s AND version = %s",
            [library, version],
        )
        return {str(i): str(h) for i, h in found}

    def get_snippet(self, snippet_id: str) -> Snippet:
        found = self.get_snippets([snippet_id])
        if snippet_id not in found:
            raise NotFound(f"no snippet {snippet_id!r}")
        return found[snippet_id]

    def get_snippets(self, snippet_ids: Sequence[str]) -> dict[str, Snippet]:
        found = self._db.query(
            f"SELECT {rows.SNIPPET_COLUMNS} FROM snippets WHERE id = ANY(%s)", [list(snippet_ids)]
        )
        return {r[0]: rows.snippet_from_row(r) for r in found}

    def delete_snippets(
        self, library: str, version: str | None = None, ids: Sequence[str] | None = None
    ) -> WriteResult:
        where, params = "library = %s", [library]
        if version is not None:
            where, params = where + " AND version = %s", [*params, version]
        if ids is not None:
            where = where + " AND id = ANY(%s)"
        args: list[Any] = params if ids is None else [*params, list(ids)]

        def write(conn: Conn) -> WriteResult:
            return WriteResult(
                deleted=conn.execute(f"DELETE FROM snippets WHERE {where}", args).rowcount
            )

        return self._db.write(write)

    def library_stats(self) -> list[LibraryStat]:
        found = self._db.query(
            "SELECT library, version, kind, n FROM snippet_counts WHERE n > 0"
            " ORDER BY library, version, kind"
        )
        return rows.merge_stats(found)

    def record_counts(self, org_id: str | None) -> dict[str, int]:
        counts = {}
        for table in RECORD_TABLES:
            found = self._db.query(
                f"SELECT count(*) FROM {table} WHERE %s::text IS NULL OR org_id = %s",
                [org_id, org_id],
            )
            counts[table] = int(found[0][0])
        return counts

    def iter_snippets(self, batch: int = 512) -> Iterator[list[Snippet]]:
        last = ""
        while True:
            found = self._db.query(
                f"SELECT {rows.SNIPPET_COLUMNS} FROM snippets WHERE id > %s ORDER BY id LIMIT %s",
                [last, batch],
            )
            if not found:
                return
            last = found[-1][0]
            yield [rows.snippet_from_row(r) for r in found]

    # --- search channels ---------------------------------------------------------------------
    def lexical_search(
        self, query: str, doc_type: DocType, filters: SearchFilters, principal: Principal, k: int
    ) -> list[ChannelHit]:
        words = fulltext.query_words(query)
        if not words:
            return []
        alias, where, params, weights = self._filter(doc_type, filters, principal)
        sql = fulltext.ranked_sql(_TABLES[doc_type], alias, where)
        found = self._db.query(sql, fulltext.ranked_params(words, params, weights, k))
        return [ChannelHit(id=i, rank=n, score=float(s)) for n, (i, s) in enumerate(found, 1)]

    def vector_search(
        self,
        vector: Vectors,
        doc_type: DocType,
        filters: SearchFilters,
        principal: Principal,
        k: int,
    ) -> list[ChannelHit]:
        alias, where, params, _ = self._filter(doc_type, filters, principal)
        return nearest(self._db, _TABLES[doc_type], alias, where, params, vector, k)

    def _filter(
        self, doc_type: DocType, filters: SearchFilters, principal: Principal
    ) -> tuple[str, str, list[Any], list[float]]:
        if doc_type is DocType.SNIPPET:
            where, params = rows.snippet_where(filters, self.library_stats())
            return "s", where, params, rows.SNIPPET_WEIGHTS
        where, params = rows.insight_where(filters, principal)
        return "i", where, params, rows.INSIGHT_WEIGHTS

    # --- insights ----------------------------------------------------------------------------
    def put_insight(
        self, insight: Insight, vector: Vectors | None, space_: EmbeddingSpace | None
    ) -> WriteResult:
        vectors = None if vector is None else np.asarray(vector, dtype=np.float32).reshape(1, -1)

        def write(conn: Conn) -> WriteResult:
            space.claim_space(conn, space_, vectors)
            result = _put_insight(conn, insight, None if vectors is None else vectors[0])
            if vectors is not None:
                space.ensure_ann_index(conn, "insights", self._ann_threshold)
            return result

        return self._db.write(write)

    def get_insight(self, insight_id: str, principal: Principal) -> Insight:
        found = self.get_insights([insight_id], principal)
        if insight_id not in found:
            raise NotFound(f"no insight {insight_id!r}")
        return found[insight_id]

    def get_insights(self, insight_ids: Sequence[str], principal: Principal) -> dict[str, Insight]:
        where, params = rows.visible_where(principal)
        found = self._db.query(
            f"SELECT i.id, i.body::text FROM insights i WHERE i.id = ANY(%s) AND {where}",
            [list(insight_ids), *params],
        )
        return {i: rows.insight_from_body(b) for i, b in found}

    def list_insights(
        self, principal: Principal, filters: SearchFilters, limit: int = 100
    ) -> list[Insight]:
        where, params = rows.insight_where(filters, principal)
        found = self._db.query(
            f"SELECT i.body::text FROM insights i WHERE {where}"
            " ORDER BY i.updated DESC, i.id LIMIT %s",
            [*params, limit],
        )
        return [rows.insight_from_body(b) for (b,) in found]


# --- helpers running inside a transaction ----------------------------------------------------


def _upsert_snippets(
    conn: Conn, snippets: Sequence[Snippet], vectors: Vectors | None
) -> WriteResult:
    ids = list({s.id: None for s in snippets})
    state: dict[str, tuple[str, bool]] = {
        i: (h, v)
        for i, h, v in conn.execute(
            "SELECT id, content_hash, embedding IS NOT NULL FROM snippets"
            " WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [ids],
        )
    }
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    todo: dict[str, tuple[Snippet, Vectors | None]] = {}
    for n, s in enumerate(snippets):
        vector = None if vectors is None else vectors[n]
        verdict = _verdict(state.get(s.id), s, vector)
        counts[verdict] += 1
        if verdict != "unchanged":
            todo[s.id] = (s, vector)
            state[s.id] = (s.content_hash, vector is not None)
    if todo:
        conn.execute(_UPSERT_SNIPPETS, _snippet_columns(list(todo.values())))
    return WriteResult(**counts)


def _verdict(stored: tuple[str, bool] | None, s: Snippet, vector: Vectors | None) -> str:
    """The same rule as the SQLite store: a changed text without a vector drops the old one."""
    if stored is None:
        return "inserted"
    old_hash, has_vector = stored
    if old_hash == s.content_hash and (vector is None or has_vector):
        return "unchanged"
    return "updated"


def _snippet_columns(items: list[tuple[Snippet, Vectors | None]]) -> list[list[Any]]:
    texts = [rows.snippet_search_texts(s) for s, _ in items]
    return [
        [s.id for s, _ in items],
        [s.library for s, _ in items],
        [s.version for s, _ in items],
        [s.symbol for s, _ in items],
        [s.kind.value for s, _ in items],
        [s.title for s, _ in items],
        [s.text for s, _ in items],
        [s.embed_text for s, _ in items],
        [s.source for s, _ in items],
        [s.content_hash for s, _ in items],
        [None if v is None else np.asarray(v, dtype=np.float32) for _, v in items],
        [t[0] for t in texts],
        [t[1] for t in texts],
        [t[2] for t in texts],
        [json.dumps(list(s.apis)) for s, _ in items],
    ]


def _put_insight(conn: Conn, i: Insight, vector: Vectors | None) -> WriteResult:
    body = i.model_dump_json()
    found = conn.execute(
        "SELECT body = %s::jsonb FROM insights WHERE id = %s FOR UPDATE", [body, i.id]
    ).fetchone()
    if found is not None and found[0] and vector is None:
        return WriteResult(unchanged=1)
    values = [
        i.org_id,
        i.agent_id,
        i.scope.value,
        i.status.value,
        i.kind.value,
        libraries_column(i.libraries),
        i.content_hash,
        body,
        vector,
        i.updated,
        *rows.insight_search_texts(i),
    ]
    if found is None:
        conn.execute(_INSERT_INSIGHT, [i.id, *values])
        return WriteResult(inserted=1)
    conn.execute(_UPDATE_INSIGHT, [*values, i.id])
    return WriteResult(updated=1)
