"""The learning-loop part of the SQLite store: trace queue, links, epochs, erasure.

Mixed into ``SqliteStore``, which provides the primitives declared at the top.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import numpy as np

from spark_memory.errors import NotFound
from spark_memory.models import ChannelHit, DocType, Insight, InsightStatus, Trace, Vectors, utcnow
from spark_memory.store.protocol import (
    AuditEntry,
    EpochEvent,
    EpochRecord,
    ErasedRecords,
    InsightLink,
    LinkKind,
    TraceState,
    WriteResult,
)
from spark_memory.store.sqlite import records

T = TypeVar("T")
_LINK_COLUMNS = "id, kind, source_id, target_id, org_id, epoch_id, active, created, snapshot"
_CHUNK = 500


class ExperienceTables:
    """Implements the "learning loop" section of ``spark_memory.store.protocol.Store``."""

    _indexes: dict[DocType, Any]

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    def _read(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _ids_for_rows(self, doc_type: DocType, rows: Sequence[Any]) -> dict[int, str]:
        raise NotImplementedError

    # --- the trace queue ------------------------------------------------------------------
    def pending_traces(self, limit: int = 1000) -> list[Trace]:
        rows = self._query(
            "SELECT t.body FROM traces t LEFT JOIN trace_states s ON s.trace_id = t.id"
            " WHERE s.state IS NULL OR s.state = ? ORDER BY t.created, t.id LIMIT ?",
            (TraceState.DEFERRED.value, limit),
        )
        return [Trace.model_validate_json(b) for (b,) in rows]

    def mark_traces(self, trace_ids: Sequence[str], epoch_id: str, state: TraceState) -> None:
        now = utcnow().isoformat()

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO trace_states (trace_id, epoch_id, state, updated) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (trace_id) DO UPDATE SET epoch_id = excluded.epoch_id,"
                " state = excluded.state, updated = excluded.updated",
                [(t, epoch_id, state.value, now) for t in trace_ids],
            )

        self._write(write)

    # --- deletions -------------------------------------------------------------------------
    def delete_trace(self, trace_id: str, org_id: str) -> WriteResult:
        def write(conn: sqlite3.Connection) -> WriteResult:
            cur = conn.execute("DELETE FROM traces WHERE id = ? AND org_id = ?", (trace_id, org_id))
            if cur.rowcount:
                conn.execute("DELETE FROM trace_states WHERE trace_id = ?", (trace_id,))
            return WriteResult(deleted=cur.rowcount)

        return self._write(write)

    def delete_feedback(self, feedback_id: str, org_id: str) -> WriteResult:
        def write(conn: sqlite3.Connection) -> WriteResult:
            cur = conn.execute(
                "DELETE FROM feedback WHERE id = ? AND org_id = ?", (feedback_id, org_id)
            )
            return WriteResult(deleted=cur.rowcount)

        return self._write(write)

    def delete_insight(self, insight_id: str) -> WriteResult:
        def write(conn: sqlite3.Connection) -> WriteResult:
            found = conn.execute("SELECT row FROM insights WHERE id = ?", (insight_id,)).fetchone()
            if found is None:
                return WriteResult()
            seq = records.next_seq(conn)
            conn.execute("DELETE FROM insights WHERE row = ?", (found[0],))
            conn.execute("DELETE FROM insights_fts WHERE rowid = ?", (found[0],))
            # the in-memory vector indexes of every process drop the row at their next sync
            conn.execute(
                "INSERT INTO tombstones (seq, doc_type, row) VALUES (?, 'insight', ?)",
                (seq, found[0]),
            )
            conn.execute(
                "DELETE FROM insight_links WHERE source_id = ? OR target_id = ?",
                (insight_id, insight_id),
            )
            return WriteResult(deleted=1)

        return self._write(write)

    # --- unscoped reads (curation and erasure only) -------------------------------------------
    def feedback_targets(self) -> list[str]:
        return [t for (t,) in self._query("SELECT DISTINCT target_id FROM feedback ORDER BY 1")]

    def unscoped_insights(self, insight_ids: Sequence[str]) -> dict[str, Insight]:
        out: dict[str, Insight] = {}
        ids = list(insight_ids)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = self._query(
                f"SELECT id, body FROM insights WHERE id IN ({_marks(chunk)})", chunk
            )
            out.update((i, records.insight_from_body(b)) for i, b in rows)
        return out

    def unscoped_insights_of(self, org_id: str) -> list[Insight]:
        rows = self._query("SELECT body FROM insights WHERE org_id = ? ORDER BY row", (org_id,))
        return [records.insight_from_body(b) for (b,) in rows]

    def unscoped_insights_since(self, since: datetime | None, limit: int = 10_000) -> list[Insight]:
        rows = self._query(
            "SELECT body FROM insights WHERE updated > ? ORDER BY updated, id LIMIT ?",
            (since.isoformat() if since else "", limit),
        )
        return [records.insight_from_body(b) for (b,) in rows]

    def unscoped_vector_search(
        self, vector: Vectors, k: int, statuses: Sequence[InsightStatus]
    ) -> list[ChannelHit]:
        index = self._indexes[DocType.INSIGHT].current(self._read())
        if index is None or len(index) == 0 or not statuses:
            return []
        wanted = [s.value for s in statuses]
        rows = self._query(f"SELECT row FROM insights WHERE status IN ({_marks(wanted)})", wanted)
        allowed = np.fromiter((r for (r,) in rows), dtype=np.int64, count=len(rows))
        keys, sims = index.search(np.asarray(vector, dtype=np.float32), k, allowed)
        if len(keys) == 0:
            return []
        ids = self._ids_for_rows(DocType.INSIGHT, keys.tolist())
        hits = [(ids[int(r)], float(s)) for r, s in zip(keys, sims, strict=True) if int(r) in ids]
        return [ChannelHit(id=i, rank=n, score=s) for n, (i, s) in enumerate(hits, 1)]

    # --- links -------------------------------------------------------------------------------
    def put_link(self, link: InsightLink) -> WriteResult:
        values = (
            link.id,
            link.kind.value,
            link.source_id,
            link.target_id,
            link.org_id,
            link.epoch_id,
            int(link.active),
            link.created.isoformat(),
            link.snapshot,
        )

        def write(conn: sqlite3.Connection) -> WriteResult:
            old = conn.execute(
                f"SELECT {_LINK_COLUMNS} FROM insight_links WHERE id = ?", (link.id,)
            ).fetchone()
            if old is not None and tuple(old) == values:
                return WriteResult(unchanged=1)
            conn.execute(
                f"INSERT OR REPLACE INTO insight_links ({_LINK_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            return WriteResult(updated=1) if old is not None else WriteResult(inserted=1)

        return self._write(write)

    def links_of(self, insight_ids: Sequence[str]) -> list[InsightLink]:
        ids = list(insight_ids)
        found: dict[str, InsightLink] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = _marks(chunk)
            rows = self._query(
                f"SELECT {_LINK_COLUMNS} FROM insight_links"
                f" WHERE source_id IN ({marks}) OR target_id IN ({marks}) ORDER BY created, id",
                [*chunk, *chunk],
            )
            found.update((r[0], _link_from_row(r)) for r in rows)
        return sorted(found.values(), key=lambda link: (link.created, link.id))

    # --- epochs ------------------------------------------------------------------------------
    def put_epoch(self, epoch: EpochRecord) -> WriteResult:
        body = json.dumps(
            {
                "finished": epoch.finished.isoformat(),
                "counts": epoch.counts,
                "events": [vars(e) for e in epoch.events],
            }
        )

        def write(conn: sqlite3.Connection) -> WriteResult:
            cur = conn.execute(
                "INSERT INTO epochs (id, started, body) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (epoch.id, epoch.started.isoformat(), body),
            )
            return WriteResult(inserted=1) if cur.rowcount else WriteResult(unchanged=1)

        return self._write(write)

    def list_epochs(self, limit: int = 20) -> list[EpochRecord]:
        rows = self._query(
            "SELECT id, started, body FROM epochs ORDER BY started DESC, id DESC LIMIT ?", (limit,)
        )
        return [_epoch_from_row(i, s, b) for i, s, b in rows]

    # --- audit and erasure -------------------------------------------------------------------
    def audit_entry(self, org_id: str, seq: int) -> AuditEntry:
        rows = self._query(
            "SELECT seq, at, org_id, agent_id, action, target_id, detail FROM audit"
            " WHERE org_id = ? AND seq = ?",
            (org_id, seq),
        )
        if not rows:
            raise NotFound(f"no audit entry {seq} in this org")
        s, at, o, a, act, t, d = rows[0]
        return AuditEntry(s, datetime.fromisoformat(at), o, a, act, t, d)

    def erase_records(self, org_id: str, agent_id: str | None) -> ErasedRecords:
        who, params = "org_id = ?", [org_id]
        if agent_id is not None:
            who, params = "org_id = ? AND agent_id = ?", [org_id, agent_id]

        def write(conn: sqlite3.Connection) -> ErasedRecords:
            conn.execute(
                f"DELETE FROM trace_states WHERE trace_id IN (SELECT id FROM traces WHERE {who})",
                params,
            )
            traces = conn.execute(f"DELETE FROM traces WHERE {who}", params).rowcount
            feedback = conn.execute(f"DELETE FROM feedback WHERE {who}", params).rowcount
            audit = conn.execute(f"DELETE FROM audit WHERE {who}", params).rowcount
            idem = links = 0
            if agent_id is None:  # keys and links are recorded per org, not per agent
                idem = conn.execute("DELETE FROM idempotency WHERE org_id = ?", (org_id,)).rowcount
                links = conn.execute(
                    "DELETE FROM insight_links WHERE org_id = ?", (org_id,)
                ).rowcount
            return ErasedRecords(traces, feedback, audit, idem, links)

        return self._write(write)


def _link_from_row(row: Sequence[Any]) -> InsightLink:
    i, kind, source, target, org, epoch, active, created, snapshot = row
    return InsightLink(
        id=i,
        kind=LinkKind(kind),
        source_id=source,
        target_id=target,
        org_id=org,
        epoch_id=epoch,
        created=datetime.fromisoformat(created),
        active=bool(active),
        snapshot=snapshot,
    )


def _epoch_from_row(epoch_id: str, started: str, body: str) -> EpochRecord:
    data = json.loads(body)
    return EpochRecord(
        id=epoch_id,
        started=datetime.fromisoformat(started),
        finished=datetime.fromisoformat(data["finished"]),
        counts={str(k): int(v) for k, v in data["counts"].items()},
        events=tuple(EpochEvent(**e) for e in data["events"]),
    )


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)
