"""The embedded store: one SQLite file, WAL, one writer thread, FTS5, in-memory vectors."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from spark_memory.errors import CorruptStore, InvalidInput, NotFound, StoreError, StoreUnavailable
from spark_memory.models import (
    ChannelHit,
    DocType,
    Insight,
    Principal,
    SearchFilters,
    Snippet,
    Vectors,
)
from spark_memory.store import lexical
from spark_memory.store.protocol import RECORD_TABLES, EmbeddingSpace, LibraryStat, WriteResult
from spark_memory.store.sqlite import migrate, records
from spark_memory.store.sqlite.connection import UNAVAILABLE, Writer, connect
from spark_memory.store.sqlite.experience_tables import ExperienceTables
from spark_memory.store.sqlite.indexes import SyncedIndex
from spark_memory.store.sqlite.jobs import JobTables
from spark_memory.store.sqlite.tables import RecordTables

T = TypeVar("T")
_SQLITE_HEADER = b"SQLite format 3\x00"
_BM25_SNIPPETS = "bm25(snippets_fts, 4.0, 2.0, 1.0)"
# Lexical queries: the first _CANDIDATE_TERMS content words of the text, of which the
# _QUERY_TERMS most informative (rarest, but present) are searched.
_CANDIDATE_TERMS = 96
_QUERY_TERMS = 24
_DF_CACHE_SIZE = 200_000
# Allowed-row sets kept per filter (one per org and filter shape in use; 8 bytes a row).
_ALLOWED_CACHE_SIZE = 16
# Matches ranked before a filter is applied (see _ranked_then_filtered).
_PREFILTER_POOL = 400

AllowedRows = np.ndarray[Any, np.dtype[np.int64]]
_BM25_INSIGHTS = "bm25(insights_fts, 3.0, 3.0, 1.0, 1.0)"


class SqliteStore(RecordTables, ExperienceTables, JobTables):
    """Implements ``spark_memory.store.protocol.Store`` on one SQLite file."""

    def __init__(self, path: Path, *, ann_threshold: int = 20_000) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # SPARK_HOME is a file, or under one, or not writable
            raise StoreError(
                f"cannot use {self.path.parent} as the store's folder: {exc.strerror};"
                " set SPARK_HOME to a directory you can write"
            ) from exc
        _check_header(self.path)
        self._writer = Writer(self.path)
        try:
            self._writer.submit(migrate.apply_pending)
        except StoreError as exc:
            self._writer.close()
            raise CorruptStore(f"{self.path} is not a usable Spark store: {exc}") from exc
        self._local = threading.local()
        self._all_reads: list[sqlite3.Connection] = []
        self._reads_lock = threading.Lock()
        folder = self.path.with_name(self.path.name + ".vectors")
        self._indexes = {
            DocType.SNIPPET: SyncedIndex(DocType.SNIPPET, folder / "snippet", ann_threshold),
            DocType.INSIGHT: SyncedIndex(DocType.INSIGHT, None, ann_threshold),
        }
        self._stats_cache: tuple[int, list[LibraryStat]] = (-1, [])
        self._df_cache: tuple[int, dict[str, int]] = (-1, {})
        self._allowed_cache: dict[tuple[str, tuple[Any, ...]], tuple[int, AllowedRows]] = {}
        self._allowed_lock = threading.Lock()

    # --- plumbing ------------------------------------------------------------------------
    def _read(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._reads_lock:
                self._all_reads.append(conn)
        return conn

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._read().execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise _translate(exc) from exc

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return self._writer.submit(fn)

    def close(self) -> None:
        self._writer.close()
        with self._reads_lock:
            for conn in self._all_reads:
                conn.close()
            self._all_reads.clear()

    def check_integrity(self) -> list[str]:
        rows = self._query("PRAGMA integrity_check")
        return [r[0] for r in rows if r[0] != "ok"]

    def refresh_statistics(self) -> None:
        # The lexical channel needs no statistics here (FTS5 counts itself); the planner
        # gains from fresh ones for the filtered joins.
        self._write(lambda conn: conn.execute("PRAGMA optimize"))

    # --- embedding space -----------------------------------------------------------------
    def embedding_space(self) -> EmbeddingSpace | None:
        return records.get_space(self._read())

    def reset_embedding_space(self, space: EmbeddingSpace) -> None:
        def write(conn: sqlite3.Connection) -> None:
            records.next_seq(conn)
            conn.execute("UPDATE snippets SET embedding = NULL")
            conn.execute("UPDATE insights SET embedding = NULL")
            records.set_space(conn, space)

        self._write(write)

    def set_vectors(
        self, doc_type: DocType, ids: Sequence[str], vectors: Vectors, space: EmbeddingSpace
    ) -> None:
        table = "snippets" if doc_type is DocType.SNIPPET else "insights"

        def write(conn: sqlite3.Connection) -> None:
            records.claim_space(conn, space, vectors)
            seq = records.next_seq(conn)
            conn.executemany(
                f"UPDATE {table} SET embedding = ?, seq = ? WHERE id = ?",
                [(records.blob(v), seq, i) for i, v in zip(ids, vectors, strict=True)],
            )

        self._write(write)

    # --- snippets --------------------------------------------------------------------------
    def upsert_snippets(
        self, snippets: Sequence[Snippet], vectors: Vectors | None, space: EmbeddingSpace | None
    ) -> WriteResult:
        if vectors is not None and len(vectors) != len(snippets):
            raise InvalidInput(f"{len(snippets)} snippets but {len(vectors)} vectors")
        if not snippets:
            return WriteResult()

        def write(conn: sqlite3.Connection) -> WriteResult:
            records.claim_space(conn, space, vectors)
            seq = records.next_seq(conn)
            counts = {"inserted": 0, "updated": 0, "unchanged": 0}
            for i, snippet in enumerate(snippets):
                vector = None if vectors is None else vectors[i]
                counts[_upsert_snippet(conn, snippet, vector, seq)] += 1
            return WriteResult(**counts)

        return self._write(write)

    def snippet_hashes(self, library: str, version: str) -> dict[str, str]:
        rows = self._query(
            # "" for a row without a vector: ingest then sees it as changed and embeds it
            "SELECT id, CASE WHEN embedding IS NULL THEN '' ELSE content_hash END"
            " FROM snippets WHERE library = ? AND version = ?",
            (library, version),
        )
        return dict(rows)

    def get_snippet(self, snippet_id: str) -> Snippet:
        found = self.get_snippets([snippet_id])
        if snippet_id not in found:
            raise NotFound(f"no snippet {snippet_id!r}")
        return found[snippet_id]

    def get_snippets(self, snippet_ids: Sequence[str]) -> dict[str, Snippet]:
        out: dict[str, Snippet] = {}
        for chunk in _chunks(list(snippet_ids), 500):
            rows = self._query(
                f"SELECT {records.SNIPPET_COLUMNS} FROM snippets WHERE id IN ({_marks(chunk)})",
                chunk,
            )
            out.update((r[0], records.snippet_from_row(r)) for r in rows)
        return out

    def delete_snippets(
        self, library: str, version: str | None = None, ids: Sequence[str] | None = None
    ) -> WriteResult:
        where, params = "library = ?", [library]
        if version is not None:
            where, params = where + " AND version = ?", [*params, version]

        def write(conn: sqlite3.Connection) -> WriteResult:
            seq = records.next_seq(conn)
            if ids is None:
                rows = [
                    r for (r,) in conn.execute(f"SELECT row FROM snippets WHERE {where}", params)
                ]
            else:
                rows = []
                for chunk in _chunks(list(ids), 500):
                    rows += [
                        r
                        for (r,) in conn.execute(
                            f"SELECT row FROM snippets WHERE {where} AND id IN ({_marks(chunk)})",
                            [*params, *chunk],
                        )
                    ]
            _delete_rows(conn, "snippets", DocType.SNIPPET, rows, seq)
            return WriteResult(deleted=len(rows))

        return self._write(write)

    def library_stats(self) -> list[LibraryStat]:
        seq = records.read_seq(self._read())
        if self._stats_cache[0] == seq:
            return self._stats_cache[1]
        rows = self._query(
            "SELECT library, version, kind, count(*) FROM snippets"
            " GROUP BY library, version, kind ORDER BY library, version"
        )
        merged: dict[tuple[str, str], dict[str, int]] = {}
        for library, version, kind, n in rows:
            merged.setdefault((library, version), {})[kind] = n
        stats = [LibraryStat(lib, ver, sum(k.values()), k) for (lib, ver), k in merged.items()]
        self._stats_cache = (seq, stats)
        return stats

    def record_counts(self, org_id: str | None) -> dict[str, int]:
        counts = {}
        for table in RECORD_TABLES:
            row = self._query(
                f"SELECT count(*) FROM {table} WHERE ?1 IS NULL OR org_id = ?1", [org_id]
            )
            counts[table] = int(row[0][0])
        return counts

    def iter_snippets(self, batch: int = 512) -> Iterator[list[Snippet]]:
        last = 0
        while True:
            rows = self._query(
                f"SELECT row, {records.SNIPPET_COLUMNS} FROM snippets WHERE row > ?"
                " ORDER BY row LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [records.snippet_from_row(r[1:]) for r in rows]

    # --- search channels -------------------------------------------------------------------
    def lexical_search(
        self, query: str, doc_type: DocType, filters: SearchFilters, principal: Principal, k: int
    ) -> list[ChannelHit]:
        if doc_type is DocType.SNIPPET:
            match = self._snippet_match(query)
        else:
            match = lexical.fts5_query(query)
        if not match:
            return []
        if doc_type is DocType.SNIPPET:
            where, params = records.snippet_filter_sql(filters, self.library_stats())
            if where == "1":
                return self._ranked_snippets(match, k)
            found = self._ranked_then_filtered(match, where, params, k)
            if found is not None:
                return found
            sql = (
                f"SELECT s.id, {_BM25_SNIPPETS} AS rank FROM snippets_fts"
                " JOIN snippets s ON s.row = snippets_fts.rowid"
                f" WHERE snippets_fts MATCH ? AND {where} ORDER BY rank LIMIT ?"
            )
        else:
            where, params = records.insight_filter_sql(filters, principal)
            sql = (
                f"SELECT i.id, {_BM25_INSIGHTS} AS rank FROM insights_fts"
                " JOIN insights i ON i.row = insights_fts.rowid"
                f" WHERE insights_fts MATCH ? AND {where} ORDER BY rank LIMIT ?"
            )
        rows = self._query(sql, [match, *params, k])
        return [ChannelHit(id=i, rank=n, score=-float(s)) for n, (i, s) in enumerate(rows, 1)]

    def _ranked_snippets(self, match: str, k: int) -> list[ChannelHit]:
        # Unfiltered: rank inside FTS5 alone and join only the top k, instead of joining
        # every matching row to the snippets table before sorting.
        top = self._fts_top(match, k)
        ids = self._ids_for_rows(DocType.SNIPPET, [r for r, _ in top]) if top else {}
        hits = [(ids[r], -float(score)) for r, score in top if r in ids]
        return [ChannelHit(id=i, rank=n, score=sc) for n, (i, sc) in enumerate(hits, 1)]

    def _fts_top(self, match: str, limit: int) -> list[Any]:
        """``(rowid, bm25)`` of the best ``limit`` snippet matches, ranked inside FTS5."""
        return self._query(
            f"SELECT rowid, {_BM25_SNIPPETS} AS rank FROM snippets_fts"
            " WHERE snippets_fts MATCH ? ORDER BY rank LIMIT ?",
            [match, limit],
        )

    def _ranked_then_filtered(
        self, match: str, where: str, params: Sequence[Any], k: int
    ) -> list[ChannelHit] | None:
        """The filtered top k from FTS5's unfiltered best few hundred, or None.

        BM25 is the same with or without the filter (its statistics span the table), so
        when the best ``_PREFILTER_POOL`` matches hold k allowed rows, or are all the
        matches, their allowed rows in rank order are the exact answer — at the cost of
        ranking inside FTS5 alone (half the time of joining every match first, measured
        at 100k snippets with a version filter). Selective filters fall back (None).
        """
        pool = max(_PREFILTER_POOL, 4 * k)
        top = self._fts_top(match, pool)
        rows = [r for r, _ in top]
        # The few hundred rows by key, then the filter. A join with a VALUES list, once
        # ``PRAGMA optimize`` after an ingest had given the planner statistics, built a
        # Bloom filter by scanning every snippet (78 ms at 64k: the coach's median went
        # from 88 to 230 ms); left free, the planner scanned the library/version index.
        kept = dict(
            self._query(
                f"SELECT s.row, s.id FROM snippets s WHERE s.row IN ({_marks(rows)}) AND {where}",
                [*rows, *params],
            )
            if rows
            else []
        )
        hits = [(kept[r], -float(score)) for r, score in top if r in kept][:k]
        if len(hits) < k and len(top) == pool:
            return None
        return [ChannelHit(id=i, rank=n, score=sc) for n, (i, sc) in enumerate(hits, 1)]

    def _snippet_match(self, query: str) -> str:
        words = lexical.terms(query, limit=_CANDIDATE_TERMS)
        total = sum(s.snippets for s in self.library_stats())
        return lexical.fts5_or(
            lexical.informative(words, self._doc_freqs(words, total), total, _QUERY_TERMS)
        )

    def _doc_freqs(self, words: Sequence[str], total: int) -> dict[str, int]:
        """Documents containing each word, cached until the snippet count changes."""
        if self._df_cache[0] != total or len(self._df_cache[1]) > _DF_CACHE_SIZE:
            self._df_cache = (total, {})
        cache = self._df_cache[1]
        for word in words:
            if word not in cache:
                rows = self._query(
                    "SELECT count(*) FROM snippets_fts WHERE snippets_fts MATCH ?", [f'"{word}"']
                )
                cache[word] = int(rows[0][0])
        return cache

    def vector_search(
        self,
        vector: Vectors,
        doc_type: DocType,
        filters: SearchFilters,
        principal: Principal,
        k: int,
    ) -> list[ChannelHit]:
        index = self._indexes[doc_type].current(self._read())
        if index is None or len(index) == 0:
            return []
        allowed = self._allowed_rows(doc_type, filters, principal)
        keys, sims = index.search(np.asarray(vector, dtype=np.float32), k, allowed)
        if len(keys) == 0:
            return []
        ids = self._ids_for_rows(doc_type, keys.tolist())
        hits = [(ids[int(r)], float(s)) for r, s in zip(keys, sims, strict=True) if int(r) in ids]
        return [ChannelHit(id=i, rank=n, score=s) for n, (i, s) in enumerate(hits, 1)]

    def _allowed_rows(
        self, doc_type: DocType, filters: SearchFilters, principal: Principal
    ) -> AllowedRows | None:
        if doc_type is DocType.SNIPPET:
            where, params = records.snippet_filter_sql(filters, self.library_stats())
            if where == "1":
                return None  # the whole knowledge base is public
            sql = f"SELECT s.row FROM snippets s WHERE {where}"
        else:
            where, params = records.insight_filter_sql(filters, principal)
            sql = f"SELECT i.row FROM insights i WHERE {where}"
        return self._cached_rows(sql, params)

    def _cached_rows(self, sql: str, params: Sequence[Any]) -> AllowedRows:
        # Rebuilding the allowed set cost ~30 ms per search at 100k snippets (a version
        # filter keeps most rows); it only changes when the store does, i.e. with seq.
        seq = records.read_seq(self._read())
        key = (sql, tuple(params))
        with self._allowed_lock:
            hit = self._allowed_cache.get(key)
            if hit is not None and hit[0] == seq:
                return hit[1]
        rows = self._query(sql, params)
        allowed = np.fromiter((r for (r,) in rows), dtype=np.int64, count=len(rows))
        allowed.flags.writeable = False  # shared between searches
        with self._allowed_lock:
            self._allowed_cache.pop(key, None)
            self._allowed_cache[key] = (seq, allowed)
            while len(self._allowed_cache) > _ALLOWED_CACHE_SIZE:
                del self._allowed_cache[next(iter(self._allowed_cache))]
        return allowed

    def _ids_for_rows(self, doc_type: DocType, rows: Sequence[Any]) -> dict[int, str]:
        table = "snippets" if doc_type is DocType.SNIPPET else "insights"
        keys = [int(r) for r in rows]
        found = self._query(f"SELECT row, id FROM {table} WHERE row IN ({_marks(keys)})", keys)
        return {int(r): i for r, i in found}

    # --- insights ------------------------------------------------------------------------------
    def put_insight(
        self, insight: Insight, vector: Vectors | None, space: EmbeddingSpace | None
    ) -> WriteResult:
        vectors = None if vector is None else np.asarray(vector, dtype=np.float32).reshape(1, -1)

        def write(conn: sqlite3.Connection) -> WriteResult:
            records.claim_space(conn, space, vectors)
            seq = records.next_seq(conn)
            return _put_insight(conn, insight, None if vectors is None else vectors[0], seq)

        return self._write(write)

    def get_insight(self, insight_id: str, principal: Principal) -> Insight:
        found = self.get_insights([insight_id], principal)
        if insight_id not in found:
            raise NotFound(f"no insight {insight_id!r}")
        return found[insight_id]

    def get_insights(self, insight_ids: Sequence[str], principal: Principal) -> dict[str, Insight]:
        where, params = records.visible_sql(principal)
        out: dict[str, Insight] = {}
        for chunk in _chunks(list(insight_ids), 500):
            rows = self._query(
                f"SELECT i.id, i.body FROM insights i WHERE i.id IN ({_marks(chunk)}) AND {where}",
                [*chunk, *params],
            )
            out.update((i, records.insight_from_body(b)) for i, b in rows)
        return out

    def list_insights(
        self, principal: Principal, filters: SearchFilters, limit: int = 100
    ) -> list[Insight]:
        where, params = records.insight_filter_sql(filters, principal)
        rows = self._query(
            f"SELECT i.body FROM insights i WHERE {where} ORDER BY i.updated DESC LIMIT ?",
            [*params, limit],
        )
        return [records.insight_from_body(b) for (b,) in rows]


# --- write helpers (run on the writer thread, inside its transaction) ---------------------


def _upsert_snippet(conn: sqlite3.Connection, s: Snippet, vector: Vectors | None, seq: int) -> str:
    found = conn.execute(
        "SELECT row, content_hash, embedding IS NOT NULL FROM snippets WHERE id = ?", (s.id,)
    ).fetchone()
    emb = None if vector is None else records.blob(vector)
    if found is None:
        cur = conn.execute(
            "INSERT INTO snippets (id, library, version, symbol, kind, title, text, embed_text,"
            " source, content_hash, embedding, seq, apis)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.id,
                s.library,
                s.version,
                s.symbol,
                s.kind.value,
                s.title,
                s.text,
                s.embed_text,
                s.source,
                s.content_hash,
                emb,
                seq,
                json.dumps(list(s.apis)),
            ),
        )
        _index_snippet(conn, int(cur.lastrowid or 0), s)
        return "inserted"
    row, old_hash, has_vector = found
    if old_hash == s.content_hash and (emb is None or has_vector):
        return "unchanged"
    conn.execute(
        "UPDATE snippets SET library = ?, version = ?, symbol = ?, kind = ?, title = ?, text = ?,"
        " embed_text = ?, source = ?, content_hash = ?, embedding = ?, seq = ?, apis = ?"
        " WHERE row = ?",
        (
            s.library,
            s.version,
            s.symbol,
            s.kind.value,
            s.title,
            s.text,
            s.embed_text,
            s.source,
            s.content_hash,
            emb,
            seq,
            json.dumps(list(s.apis)),
            row,
        ),
    )
    if emb is None:  # the old vector no longer describes the text
        conn.execute(
            "INSERT INTO tombstones (seq, doc_type, row) VALUES (?, 'snippet', ?)", (seq, row)
        )
    conn.execute("DELETE FROM snippets_fts WHERE rowid = ?", (row,))
    _index_snippet(conn, row, s)
    return "updated"


def _index_snippet(conn: sqlite3.Connection, row: int, s: Snippet) -> None:
    conn.execute(
        "INSERT INTO snippets_fts (rowid, symbol, title, body) VALUES (?, ?, ?, ?)",
        (row, lexical.symbol_terms(s.symbol), s.title, s.text),
    )


def _put_insight(
    conn: sqlite3.Connection, i: Insight, vector: Vectors | None, seq: int
) -> WriteResult:
    found = conn.execute("SELECT row, body FROM insights WHERE id = ?", (i.id,)).fetchone()
    body = i.model_dump_json()
    libraries = " " + " ".join(i.libraries) + " "
    emb = None if vector is None else records.blob(vector)
    values = (
        i.org_id,
        i.agent_id,
        i.scope.value,
        i.status.value,
        i.kind.value,
        libraries,
        i.content_hash,
        body,
        emb,
        i.updated.isoformat(),
        seq,
    )
    if found is None:
        cur = conn.execute(
            "INSERT INTO insights (org_id, agent_id, scope, status, kind, libraries, content_hash,"
            " body, embedding, updated, seq, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, i.id),
        )
        row = int(cur.lastrowid or 0)
        result = WriteResult(inserted=1)
    elif found[1] == body and emb is None:
        return WriteResult(unchanged=1)
    else:
        row = found[0]
        if emb is None:
            emb_row = conn.execute(
                "SELECT embedding FROM insights WHERE row = ?", (row,)
            ).fetchone()
            values = (*values[:8], emb_row[0], *values[9:])
        conn.execute(
            "UPDATE insights SET org_id = ?, agent_id = ?, scope = ?, status = ?, kind = ?,"
            " libraries = ?, content_hash = ?, body = ?, embedding = ?, updated = ?, seq = ?"
            " WHERE row = ?",
            (*values, row),
        )
        conn.execute("DELETE FROM insights_fts WHERE rowid = ?", (row,))
        result = WriteResult(updated=1)
    conn.execute(
        "INSERT INTO insights_fts (rowid, title, query, content, tags) VALUES (?, ?, ?, ?, ?)",
        (row, i.title, i.query, i.content, " ".join(i.tags)),
    )
    return result


def _delete_rows(
    conn: sqlite3.Connection, table: str, doc_type: DocType, rows: list[int], seq: int
) -> None:
    for chunk in _chunks(rows, 500):
        marks = _marks(chunk)
        conn.execute(f"DELETE FROM {table} WHERE row IN ({marks})", chunk)
        conn.execute(f"DELETE FROM {table}_fts WHERE rowid IN ({marks})", chunk)
        conn.executemany(
            "INSERT INTO tombstones (seq, doc_type, row) VALUES (?, ?, ?)",
            [(seq, doc_type.value, r) for r in chunk],
        )


def _check_header(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as f:
        head = f.read(16)
    if head != _SQLITE_HEADER:
        raise CorruptStore(f"{path} is not a SQLite database (damaged or not a Spark store)")


def _translate(exc: sqlite3.DatabaseError) -> StoreError:
    if "malformed" in str(exc) or "not a database" in str(exc):
        return CorruptStore(f"the database file is damaged: {exc}")
    if "fts5" in str(exc):
        return StoreError(f"full-text query failed: {exc}")
    if any(cue in str(exc) for cue in UNAVAILABLE):
        return StoreUnavailable(f"the store cannot write: {exc}")
    return StoreError(f"database error: {exc}")


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = ["SqliteStore"]
