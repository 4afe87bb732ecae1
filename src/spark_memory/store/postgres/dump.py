"""Reading a PostgreSQL store's every record for export (see store/dump.py for the format).

One REPEATABLE READ, READ ONLY transaction on its own connection, so the export is
one consistent snapshot while replicas keep writing; rows stream through server-side
cursors, so a large store is never held in memory. Ids sort with ``COLLATE "C"``
(byte order, as SQLite sorts), so both backends export records in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np

from spark_memory.models import Agent, ApiKey, Feedback, Insight, Org, Trace
from spark_memory.store import dump
from spark_memory.store.postgres import rows
from spark_memory.store.postgres.backend import PostgresStore
from spark_memory.store.postgres.connection import Conn, connect, translating
from spark_memory.store.protocol import AuditEntry, EpochEvent, EpochRecord, InsightLink, LinkKind

_BATCH = 1_000
_BY_ID = 'ORDER BY id COLLATE "C"'


def iter_records(store: PostgresStore, org_id: str | None, vectors: bool) -> Iterator[dump.Record]:
    """Every record of ``org_id`` (or of the whole store), in ``dump.KINDS`` order."""
    with connect(store.url) as conn, translating(store.url), conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield from _tenancy(conn, org_id)
        if org_id is None:
            yield from _snippets(conn, vectors)
        yield from _insights(conn, org_id, vectors)
        yield from _traces(conn, org_id)
        yield from _bodies(conn, "feedback", Feedback, org_id)
        yield from _links(conn, org_id)
        if org_id is None:
            yield from _epochs(conn)
        yield from _idempotency(conn, org_id)
        yield from _audit(conn, org_id)


def _rows(conn: Conn, sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    with conn.cursor(name="spark_export") as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(_BATCH):
            yield from batch


def _where_org(org_id: str | None, column: str = "org_id") -> tuple[str, list[Any]]:
    return ("", []) if org_id is None else (f"WHERE {column} = %s", [org_id])


def _vector(value: list[float] | None, wanted: bool) -> np.ndarray[Any, Any] | None:
    return np.asarray(value, dtype=np.float32) if wanted and value is not None else None


def _tenancy(conn: Conn, org_id: str | None) -> Iterator[dump.Record]:
    yield from _bodies(conn, "orgs", Org, org_id, "id", kind="org")
    yield from _bodies(conn, "agents", Agent, org_id, kind="agent")
    yield from _bodies(conn, "api_keys", ApiKey, org_id, "body->>'org_id'", kind="api_key")


def _bodies(
    conn: Conn,
    table: str,
    model: type[Org | Agent | ApiKey | Feedback],
    org_id: str | None,
    column: str = "org_id",
    kind: str | None = None,
) -> Iterator[dump.Record]:
    where, params = _where_org(org_id, column)
    for (body,) in _rows(conn, f"SELECT body::text FROM {table} {where} {_BY_ID}", params):
        data = model.model_validate_json(body).model_dump(mode="json")
        yield dump.Record(kind or table, data)


def _snippets(conn: Conn, vectors: bool) -> Iterator[dump.Record]:
    sql = f"SELECT {rows.SNIPPET_COLUMNS}, embedding::real[] FROM snippets {_BY_ID}"
    for row in _rows(conn, sql, []):
        snippet = rows.snippet_from_row(row[:-1])
        yield dump.Record("snippet", snippet.model_dump(mode="json"), _vector(row[-1], vectors))


def _insights(conn: Conn, org_id: str | None, vectors: bool) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    sql = f"SELECT body::text, embedding::real[] FROM insights {where} {_BY_ID}"
    for body, vector in _rows(conn, sql, params):
        data = Insight.model_validate_json(body).model_dump(mode="json")
        yield dump.Record("insight", data, _vector(vector, vectors))


def _traces(conn: Conn, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id, "t.org_id")
    sql = (
        "SELECT t.body::text, s.epoch_id, s.state FROM traces t"
        f' LEFT JOIN trace_states s ON s.trace_id = t.id {where} ORDER BY t.id COLLATE "C"'
    )
    for body, epoch_id, state in _rows(conn, sql, params):
        curation = None if state is None else {"epoch_id": epoch_id, "state": state}
        trace = Trace.model_validate_json(body).model_dump(mode="json")
        yield dump.Record("trace", trace, extra={"state": curation})


def _links(conn: Conn, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    sql = (
        "SELECT id, kind, source_id, target_id, org_id, epoch_id, created, active, snapshot"
        f" FROM insight_links {where} {_BY_ID}"
    )
    for i, kind, source, target, org, epoch, created, active, snapshot in _rows(conn, sql, params):
        link = InsightLink(i, LinkKind(kind), source, target, org, epoch, created, active, snapshot)
        yield dump.Record("link", dump.link_data(link))


def _epochs(conn: Conn) -> Iterator[dump.Record]:
    for i, started, body in _rows(conn, f"SELECT id, started, body::text FROM epochs {_BY_ID}", []):
        data = json.loads(body)
        epoch = EpochRecord(
            id=i,
            started=started,
            finished=datetime.fromisoformat(data["finished"]),
            counts={str(k): int(v) for k, v in data["counts"].items()},
            events=tuple(EpochEvent(**e) for e in data["events"]),
        )
        yield dump.Record("epoch", dump.epoch_data(epoch))


def _idempotency(conn: Conn, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    sql = (
        f"SELECT org_id, key, result_id, request_hash FROM idempotency {where}"
        ' ORDER BY org_id COLLATE "C", key COLLATE "C"'
    )
    for org, key, result, request in _rows(conn, sql, params):
        data = {"org_id": org, "key": key, "result_id": result, "request_hash": request}
        yield dump.Record("idempotency", data)


def _audit(conn: Conn, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    sql = f"SELECT seq, at, org_id, agent_id, action, target_id, detail FROM audit {where} ORDER BY seq"
    for row in _rows(conn, sql, params):
        yield dump.Record("audit", dump.audit_data(AuditEntry(*row)))
