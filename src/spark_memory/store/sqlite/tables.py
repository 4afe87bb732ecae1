"""Plain record tables of the SQLite store: traces, feedback, tenancy, idempotency, audit."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from spark_memory.errors import NotFound
from spark_memory.models import Agent, ApiKey, Feedback, Org, Principal, Trace
from spark_memory.store.protocol import AuditEntry, IdempotentWrite, WriteResult

T = TypeVar("T")


class RecordTables:
    """Mixed into SqliteStore, which provides the two primitives below."""

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    def _insert_once(self, table: str, columns: dict[str, Any]) -> WriteResult:
        """Insert a record keyed by its id; the same id again is an acknowledged no-op."""
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)

        def write(conn: sqlite3.Connection) -> WriteResult:
            cur = conn.execute(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                list(columns.values()),
            )
            return WriteResult(inserted=1) if cur.rowcount else WriteResult(unchanged=1)

        return self._write(write)

    def _replace(self, table: str, columns: dict[str, Any]) -> WriteResult:
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")

        def write(conn: sqlite3.Connection) -> WriteResult:
            conn.execute(
                f"INSERT INTO {table} ({names}) VALUES ({marks})"
                f" ON CONFLICT (id) DO UPDATE SET {updates}",
                list(columns.values()),
            )
            return WriteResult(updated=1)

        return self._write(write)

    # --- traces and feedback -------------------------------------------------------------
    def add_trace(self, trace: Trace) -> WriteResult:
        return self._insert_once(
            "traces",
            {
                "id": trace.id,
                "org_id": trace.org_id,
                "agent_id": trace.agent_id,
                "created": trace.created.isoformat(),
                "body": trace.model_dump_json(),
            },
        )

    def get_trace(self, trace_id: str, principal: Principal) -> Trace:
        rows = self._query(
            "SELECT body FROM traces WHERE id = ? AND org_id = ?", (trace_id, principal.org_id)
        )
        if not rows:
            raise NotFound(f"no trace {trace_id!r}")
        return Trace.model_validate_json(rows[0][0])

    def list_traces(
        self, org_id: str, since: datetime | None = None, limit: int = 1000
    ) -> list[Trace]:
        rows = self._query(
            "SELECT body FROM traces WHERE org_id = ? AND created > ? ORDER BY created LIMIT ?",
            (org_id, since.isoformat() if since else "", limit),
        )
        return [Trace.model_validate_json(b) for (b,) in rows]

    def add_feedback(self, feedback: Feedback) -> WriteResult:
        return self._insert_once(
            "feedback",
            {
                "id": feedback.id,
                "target_id": feedback.target_id,
                "org_id": feedback.org_id,
                "agent_id": feedback.agent_id,
                "created": feedback.created.isoformat(),
                "body": feedback.model_dump_json(),
            },
        )

    def list_feedback(self, target_id: str) -> list[Feedback]:
        rows = self._query(
            "SELECT body FROM feedback WHERE target_id = ? ORDER BY created", (target_id,)
        )
        return [Feedback.model_validate_json(b) for (b,) in rows]

    # --- tenancy ---------------------------------------------------------------------------
    def put_org(self, org: Org) -> WriteResult:
        return self._replace("orgs", {"id": org.id, "body": org.model_dump_json()})

    def put_agent(self, agent: Agent) -> WriteResult:
        return self._replace(
            "agents", {"id": agent.id, "org_id": agent.org_id, "body": agent.model_dump_json()}
        )

    def get_agent(self, agent_id: str) -> Agent:
        rows = self._query("SELECT body FROM agents WHERE id = ?", (agent_id,))
        if not rows:
            raise NotFound(f"no agent {agent_id!r}")
        return Agent.model_validate_json(rows[0][0])

    def put_api_key(self, key: ApiKey) -> WriteResult:
        return self._replace(
            "api_keys", {"id": key.id, "key_hash": key.key_hash, "body": key.model_dump_json()}
        )

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        rows = self._query("SELECT body FROM api_keys WHERE key_hash = ?", (key_hash,))
        return ApiKey.model_validate_json(rows[0][0]) if rows else None

    def revoke_api_key(self, key_id: str) -> WriteResult:
        rows = self._query("SELECT body FROM api_keys WHERE id = ?", (key_id,))
        if not rows:
            raise NotFound(f"no API key {key_id!r}")
        key = ApiKey.model_validate_json(rows[0][0]).model_copy(update={"revoked": True})
        return self.put_api_key(key)

    # --- idempotency and audit ----------------------------------------------------------------
    # --- rates ---------------------------------------------------------------------------------
    shares_rates = False  # one machine's processes could share it, but its writer is precious

    def spend_rate(self, org_id: str, cost: float, rate: float, burst: float) -> float:
        def write(conn: sqlite3.Connection) -> float:
            now = time.time()
            row = conn.execute(
                "SELECT tokens, at FROM rate_buckets WHERE org_id = ?", (org_id,)
            ).fetchone()
            tokens = burst if row is None else min(burst, row[0] + (now - row[1]) * rate)
            if tokens < cost:
                return (cost - tokens) / rate
            conn.execute(
                "INSERT INTO rate_buckets (org_id, tokens, at) VALUES (?, ?, ?) ON CONFLICT"
                " (org_id) DO UPDATE SET tokens = excluded.tokens, at = excluded.at",
                (org_id, tokens - cost, now),
            )
            return 0.0

        return self._write(write)

    def charge_rate(self, org_id: str, cost: float, rate: float, burst: float) -> None:
        def write(conn: sqlite3.Connection) -> None:
            now = time.time()
            conn.execute(
                "INSERT INTO rate_buckets (org_id, tokens, at) VALUES (?, ?, ?) ON CONFLICT"
                " (org_id) DO UPDATE SET tokens = min(?, tokens + (excluded.at - at) * ?)"
                " - ?, at = excluded.at",
                (org_id, burst - cost, now, burst, rate, cost),
            )

        self._write(write)

    def recall_idempotent(self, org_id: str, key: str) -> IdempotentWrite | None:
        rows = self._query(
            "SELECT result_id, request_hash FROM idempotency WHERE org_id = ? AND key = ?",
            (org_id, key),
        )
        return IdempotentWrite(str(rows[0][0]), str(rows[0][1])) if rows else None

    def remember_idempotent(
        self, org_id: str, key: str, result_id: str, request_hash: str = ""
    ) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO idempotency (org_id, key, result_id, request_hash)"
                " VALUES (?, ?, ?, ?)",
                (org_id, key, result_id, request_hash),
            )

        self._write(write)

    def audit(self, entry: AuditEntry) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO audit (at, org_id, agent_id, action, target_id, detail)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.at.isoformat(),
                    entry.org_id,
                    entry.agent_id,
                    entry.action,
                    entry.target_id,
                    entry.detail,
                ),
            )

        self._write(write)

    def audit_log(self, org_id: str, limit: int = 100) -> list[AuditEntry]:
        rows = self._query(
            "SELECT seq, at, org_id, agent_id, action, target_id, detail FROM audit"
            " WHERE org_id = ? ORDER BY seq DESC LIMIT ?",
            (org_id, limit),
        )
        return [
            AuditEntry(seq, datetime.fromisoformat(at), o, a, act, t, d)
            for seq, at, o, a, act, t, d in rows
        ]
