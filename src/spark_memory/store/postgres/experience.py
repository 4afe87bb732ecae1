"""The learning-loop part of the PostgreSQL store: trace queue, links, epochs, erasure.

Mixed into ``PostgresStore``, which sets ``_db``. Mirrors the SQLite store's
``experience_tables`` so the learning-loop contract tests pass unchanged on both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from spark_memory.errors import NotFound
from spark_memory.models import ChannelHit, Insight, InsightStatus, Trace, Vectors, utcnow
from spark_memory.store.postgres.connection import Conn, Database
from spark_memory.store.postgres.nearest import nearest
from spark_memory.store.postgres.rows import insight_from_body
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

_LINK_COLUMNS = "id, kind, source_id, target_id, org_id, epoch_id, active, created, snapshot"


class ExperienceTables:
    """Implements the "learning loop" section of ``spark_memory.store.protocol.Store``."""

    _db: Database

    def _insights(self, sql: str, params: Sequence[Any]) -> list[Insight]:
        return [insight_from_body(b) for (b,) in self._db.query(sql, params)]

    # --- the trace queue ------------------------------------------------------------------
    def pending_traces(self, limit: int = 1000) -> list[Trace]:
        found = self._db.query(
            "SELECT t.body::text FROM traces t LEFT JOIN trace_states s ON s.trace_id = t.id"
            " WHERE s.state IS NULL OR s.state = %s ORDER BY t.created, t.id LIMIT %s",
            [TraceState.DEFERRED.value, limit],
        )
        return [Trace.model_validate_json(b) for (b,) in found]

    def mark_traces(self, trace_ids: Sequence[str], epoch_id: str, state: TraceState) -> None:
        def write(conn: Conn) -> None:
            conn.execute(
                "INSERT INTO trace_states (trace_id, epoch_id, state, updated)"
                " SELECT t, %s, %s, %s FROM unnest(%s::text[]) AS t"
                " ON CONFLICT (trace_id) DO UPDATE SET epoch_id = EXCLUDED.epoch_id,"
                " state = EXCLUDED.state, updated = EXCLUDED.updated",
                [epoch_id, state.value, utcnow(), list(dict.fromkeys(trace_ids))],
            )

        self._db.write(write)

    # --- deletions -------------------------------------------------------------------------
    def delete_trace(self, trace_id: str, org_id: str) -> WriteResult:
        def write(conn: Conn) -> WriteResult:
            cur = conn.execute(
                "DELETE FROM traces WHERE id = %s AND org_id = %s", [trace_id, org_id]
            )
            if cur.rowcount:
                conn.execute("DELETE FROM trace_states WHERE trace_id = %s", [trace_id])
            return WriteResult(deleted=cur.rowcount)

        return self._db.write(write)

    def delete_feedback(self, feedback_id: str, org_id: str) -> WriteResult:
        def write(conn: Conn) -> WriteResult:
            cur = conn.execute(
                "DELETE FROM feedback WHERE id = %s AND org_id = %s", [feedback_id, org_id]
            )
            return WriteResult(deleted=cur.rowcount)

        return self._db.write(write)

    def delete_insight(self, insight_id: str) -> WriteResult:
        def write(conn: Conn) -> WriteResult:
            # The row carries its own search vector and embedding: one DELETE is enough.
            cur = conn.execute("DELETE FROM insights WHERE id = %s", [insight_id])
            if not cur.rowcount:
                return WriteResult()
            conn.execute(
                "DELETE FROM insight_links WHERE source_id = %s OR target_id = %s",
                [insight_id, insight_id],
            )
            return WriteResult(deleted=1)

        return self._db.write(write)

    # --- unscoped reads (curation and erasure only) -------------------------------------------
    def feedback_targets(self) -> list[str]:
        return [
            str(t) for (t,) in self._db.query("SELECT DISTINCT target_id FROM feedback ORDER BY 1")
        ]

    def unscoped_insights(self, insight_ids: Sequence[str]) -> dict[str, Insight]:
        found = self._insights(
            "SELECT body::text FROM insights WHERE id = ANY(%s)", [list(insight_ids)]
        )
        return {i.id: i for i in found}

    def unscoped_insights_of(self, org_id: str) -> list[Insight]:
        return self._insights(
            "SELECT body::text FROM insights WHERE org_id = %s ORDER BY ord", [org_id]
        )

    def unscoped_insights_since(self, since: datetime | None, limit: int = 10_000) -> list[Insight]:
        after = "WHERE updated > %s" if since is not None else ""
        params: list[Any] = [since, limit] if since is not None else [limit]
        return self._insights(
            f"SELECT body::text FROM insights {after} ORDER BY updated, id LIMIT %s", params
        )

    def unscoped_vector_search(
        self, vector: Vectors, k: int, statuses: Sequence[InsightStatus]
    ) -> list[ChannelHit]:
        if not statuses:
            return []
        wanted = [s.value for s in statuses]
        return nearest(self._db, "insights", "i", "i.status = ANY(%s)", [wanted], vector, k)

    # --- links -------------------------------------------------------------------------------
    def put_link(self, link: InsightLink) -> WriteResult:
        values = (
            link.id,
            link.kind.value,
            link.source_id,
            link.target_id,
            link.org_id,
            link.epoch_id,
            link.active,
            link.created,
            link.snapshot,
        )
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _LINK_COLUMNS.split(", ")[1:])

        def write(conn: Conn) -> WriteResult:
            old = conn.execute(
                f"SELECT {_LINK_COLUMNS} FROM insight_links WHERE id = %s FOR UPDATE", [link.id]
            ).fetchone()
            if old is not None and tuple(old) == values:
                return WriteResult(unchanged=1)
            conn.execute(
                f"INSERT INTO insight_links ({_LINK_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                f" ON CONFLICT (id) DO UPDATE SET {updates}",
                values,
            )
            return WriteResult(updated=1) if old is not None else WriteResult(inserted=1)

        return self._db.write(write)

    def links_of(self, insight_ids: Sequence[str]) -> list[InsightLink]:
        ids = list(insight_ids)
        found = self._db.query(
            f"SELECT {_LINK_COLUMNS} FROM insight_links"
            " WHERE source_id = ANY(%s) OR target_id = ANY(%s) ORDER BY created, id",
            [ids, ids],
        )
        return [_link_from_row(r) for r in found]

    # --- epochs ------------------------------------------------------------------------------
    def put_epoch(self, epoch: EpochRecord) -> WriteResult:
        body = json.dumps(
            {
                "finished": epoch.finished.isoformat(),
                "counts": epoch.counts,
                "events": [vars(e) for e in epoch.events],
            }
        )

        def write(conn: Conn) -> WriteResult:
            cur = conn.execute(
                "INSERT INTO epochs (id, started, body) VALUES (%s, %s, %s::jsonb)"
                " ON CONFLICT DO NOTHING",
                [epoch.id, epoch.started, body],
            )
            return WriteResult(inserted=1) if cur.rowcount else WriteResult(unchanged=1)

        return self._db.write(write)

    def list_epochs(self, limit: int = 20) -> list[EpochRecord]:
        found = self._db.query(
            "SELECT id, started, body::text FROM epochs ORDER BY started DESC, id DESC LIMIT %s",
            [limit],
        )
        return [_epoch_from_row(i, s, b) for i, s, b in found]

    # --- audit and erasure -------------------------------------------------------------------
    def audit_entry(self, org_id: str, seq: int) -> AuditEntry:
        found = self._db.query(
            "SELECT seq, at, org_id, agent_id, action, target_id, detail FROM audit"
            " WHERE org_id = %s AND seq = %s",
            [org_id, seq],
        )
        if not found:
            raise NotFound(f"no audit entry {seq} in this org")
        return AuditEntry(*found[0])

    def erase_records(self, org_id: str, agent_id: str | None) -> ErasedRecords:
        who, params = "org_id = %s", [org_id]
        if agent_id is not None:
            who, params = "org_id = %s AND agent_id = %s", [org_id, agent_id]

        def write(conn: Conn) -> ErasedRecords:
            conn.execute(
                f"DELETE FROM trace_states WHERE trace_id IN (SELECT id FROM traces WHERE {who})",
                params,
            )
            traces = conn.execute(f"DELETE FROM traces WHERE {who}", params).rowcount
            feedback = conn.execute(f"DELETE FROM feedback WHERE {who}", params).rowcount
            audit = conn.execute(f"DELETE FROM audit WHERE {who}", params).rowcount
            idem = links = 0
            if agent_id is None:  # keys and links are recorded per org, not per agent
                idem = conn.execute("DELETE FROM idempotency WHERE org_id = %s", [org_id]).rowcount
                links = conn.execute(
                    "DELETE FROM insight_links WHERE org_id = %s", [org_id]
                ).rowcount
            return ErasedRecords(traces, feedback, audit, idem, links)

        return self._db.write(write)


def _link_from_row(row: Sequence[Any]) -> InsightLink:
    i, kind, source, target, org, epoch, active, created, snapshot = row
    return InsightLink(
        id=i,
        kind=LinkKind(kind),
        source_id=source,
        target_id=target,
        org_id=org,
        epoch_id=epoch,
        created=created,
        active=bool(active),
        snapshot=snapshot,
    )


def _epoch_from_row(epoch_id: str, started: datetime, body: str) -> EpochRecord:
    data = json.loads(body)
    return EpochRecord(
        id=epoch_id,
        started=started,
        finished=datetime.fromisoformat(data["finished"]),
        counts={str(k): int(v) for k, v in data["counts"].items()},
        events=tuple(EpochEvent(**e) for e in data["events"]),
    )
