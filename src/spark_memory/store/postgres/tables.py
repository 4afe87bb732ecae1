"""Plain record tables of the PostgreSQL store: traces, feedback, tenancy, idempotency, audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from spark_memory.errors import NotFound
from spark_memory.models import Agent, ApiKey, Feedback, Org, Principal, Trace
from spark_memory.store.postgres.connection import Conn, Database
from spark_memory.store.protocol import AuditEntry, IdempotentWrite, WriteResult


class RecordTables:
    """Mixed into PostgresStore, which sets ``_db``."""

    _db: Database

    def _insert_once(self, table: str, columns: dict[str, Any]) -> WriteResult:
        """Insert a record keyed by its id; the same id again is an acknowledged no-op."""
        names = ", ".join(columns)
        marks = ", ".join(_mark(c) for c in columns)

        def write(conn: Conn) -> WriteResult:
            cur = conn.execute(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                list(columns.values()),
            )
            return WriteResult(inserted=1) if cur.rowcount else WriteResult(unchanged=1)

        return self._db.write(write)

    def _replace(self, table: str, columns: dict[str, Any]) -> WriteResult:
        names = ", ".join(columns)
        marks = ", ".join(_mark(c) for c in columns)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "id")

        def write(conn: Conn) -> WriteResult:
            conn.execute(
                f"INSERT INTO {table} ({names}) VALUES ({marks})"
                f" ON CONFLICT (id) DO UPDATE SET {updates}",
                list(columns.values()),
            )
            return WriteResult(updated=1)

        return self._db.write(write)

    def _bodies(self, sql: str, params: Sequence[Any]) -> list[str]:
        return [str(b) for (b,) in self._db.query(sql, params)]

    # --- traces and feedback -------------------------------------------------------------
    def add_trace(self, trace: Trace) -> WriteResult:
        return self._insert_once(
            "traces",
            {
                "id": trace.id,
                "org_id": trace.org_id,
                "agent_id": trace.agent_id,
                "created": trace.created,
                "body": trace.model_dump_json(),
            },
        )

    def get_trace(self, trace_id: str, principal: Principal) -> Trace:
        found = self._bodies(
            "SELECT body::text FROM traces WHERE id = %s AND org_id = %s",
            [trace_id, principal.org_id],
        )
        if not found:
            raise NotFound(f"no trace {trace_id!r}")
        return Trace.model_validate_json(found[0])

    def list_traces(
        self, org_id: str, since: datetime | None = None, limit: int = 1000
    ) -> list[Trace]:
        after = "AND created > %s" if since is not None else ""
        params = [org_id, since, limit] if since is not None else [org_id, limit]
        found = self._bodies(
            f"SELECT body::text FROM traces WHERE org_id = %s {after} ORDER BY created, id LIMIT %s",
            params,
        )
        return [Trace.model_validate_json(b) for b in found]

    def add_feedback(self, feedback: Feedback) -> WriteResult:
        return self._insert_once(
            "feedback",
            {
                "id": feedback.id,
                "target_id": feedback.target_id,
                "org_id": feedback.org_id,
                "agent_id": feedback.agent_id,
                "created": feedback.created,
                "body": feedback.model_dump_json(),
            },
        )

    def list_feedback(self, target_id: str) -> list[Feedback]:
        found = self._bodies(
            "SELECT body::text FROM feedback WHERE target_id = %s ORDER BY created, id",
            [target_id],
        )
        return [Feedback.model_validate_json(b) for b in found]

    # --- tenancy ---------------------------------------------------------------------------
    def put_org(self, org: Org) -> WriteResult:
        return self._replace("orgs", {"id": org.id, "body": org.model_dump_json()})

    def put_agent(self, agent: Agent) -> WriteResult:
        return self._replace(
            "agents", {"id": agent.id, "org_id": agent.org_id, "body": agent.model_dump_json()}
        )

    def get_agent(self, agent_id: str) -> Agent:
        found = self._bodies("SELECT body::text FROM agents WHERE id = %s", [agent_id])
        if not found:
            raise NotFound(f"no agent {agent_id!r}")
        return Agent.model_validate_json(found[0])

    def put_api_key(self, key: ApiKey) -> WriteResult:
        return self._replace(
            "api_keys", {"id": key.id, "key_hash": key.key_hash, "body": key.model_dump_json()}
        )

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        found = self._bodies("SELECT body::text FROM api_keys WHERE key_hash = %s", [key_hash])
        return ApiKey.model_validate_json(found[0]) if found else None

    def revoke_api_key(self, key_id: str) -> WriteResult:
        def write(conn: Conn) -> WriteResult:
            # In one statement, so a concurrent put of the same key cannot undo it.
            cur = conn.execute(
                "UPDATE api_keys SET body = jsonb_set(body, '{revoked}', 'true') WHERE id = %s",
                [key_id],
            )
            if not cur.rowcount:
                raise NotFound(f"no API key {key_id!r}")
            return WriteResult(updated=1)

        return self._db.write(write)

    # --- idempotency and audit ----------------------------------------------------------------
    # --- rates ---------------------------------------------------------------------------------
    shares_rates = True  # every replica reads the same database

    def spend_rate(self, org_id: str, cost: float, rate: float, burst: float) -> float:
        params = {"org": org_id, "cost": cost, "rate": rate, "burst": burst}

        def write(conn: Conn) -> float:
            # One statement, row-locked: concurrent replicas spend one after the other.
            spent = conn.execute(
                "INSERT INTO rate_buckets AS b (org_id, tokens, at)"
                " VALUES (%(org)s, %(burst)s - %(cost)s, clock_timestamp())"
                " ON CONFLICT (org_id) DO UPDATE SET"
                " tokens = LEAST(%(burst)s, b.tokens + EXTRACT(EPOCH FROM excluded.at - b.at)"
                " * %(rate)s) - %(cost)s, at = excluded.at"
                " WHERE LEAST(%(burst)s, b.tokens + EXTRACT(EPOCH FROM excluded.at - b.at)"
                " * %(rate)s) >= %(cost)s RETURNING b.tokens",
                params,
            ).fetchone()
            if spent is not None:
                return 0.0
            row = conn.execute(
                "SELECT LEAST(%(burst)s, tokens + EXTRACT(EPOCH FROM clock_timestamp() - at)"
                " * %(rate)s) FROM rate_buckets WHERE org_id = %(org)s",
                params,
            ).fetchone()
            available = float(row[0]) if row else burst
            return max((cost - available) / rate, 1e-3)

        return self._db.write(write)

    def charge_rate(self, org_id: str, cost: float, rate: float, burst: float) -> None:
        params = {"org": org_id, "cost": cost, "rate": rate, "burst": burst}

        def write(conn: Conn) -> None:
            conn.execute(
                "INSERT INTO rate_buckets AS b (org_id, tokens, at)"
                " VALUES (%(org)s, %(burst)s - %(cost)s, clock_timestamp())"
                " ON CONFLICT (org_id) DO UPDATE SET"
                " tokens = LEAST(%(burst)s, b.tokens + EXTRACT(EPOCH FROM excluded.at - b.at)"
                " * %(rate)s) - %(cost)s, at = excluded.at",
                params,
            )

        self._db.write(write)

    def recall_idempotent(self, org_id: str, key: str) -> IdempotentWrite | None:
        found = self._db.query(
            "SELECT result_id, request_hash FROM idempotency WHERE org_id = %s AND key = %s",
            [org_id, key],
        )
        return IdempotentWrite(str(found[0][0]), str(found[0][1])) if found else None

    def remember_idempotent(
        self, org_id: str, key: str, result_id: str, request_hash: str = ""
    ) -> None:
        def write(conn: Conn) -> None:
            conn.execute(
                "INSERT INTO idempotency (org_id, key, result_id, request_hash)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [org_id, key, result_id, request_hash],
            )

        self._db.write(write)

    def audit(self, entry: AuditEntry) -> None:
        def write(conn: Conn) -> None:
            conn.execute(
                "INSERT INTO audit (at, org_id, agent_id, action, target_id, detail)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    entry.at,
                    entry.org_id,
                    entry.agent_id,
                    entry.action,
                    entry.target_id,
                    entry.detail,
                ],
            )

        self._db.write(write)

    def audit_log(self, org_id: str, limit: int = 100) -> list[AuditEntry]:
        found = self._db.query(
            "SELECT seq, at, org_id, agent_id, action, target_id, detail FROM audit"
            " WHERE org_id = %s ORDER BY seq DESC LIMIT %s",
            [org_id, limit],
        )
        return [AuditEntry(*row) for row in found]


def _mark(column: str) -> str:
    return "%s::jsonb" if column == "body" else "%s"
