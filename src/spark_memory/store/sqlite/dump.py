"""Reading a SQLite store's every record for export (see store/dump.py for the format).

Reads through its own read-only connection, in one transaction, so an export is one
consistent snapshot even while the store's writer keeps writing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spark_memory.models import Agent, ApiKey, Feedback, Insight, Org, Trace
from spark_memory.store import dump
from spark_memory.store.protocol import (
    AuditEntry,
    EpochEvent,
    EpochRecord,
    InsightLink,
    LinkKind,
)
from spark_memory.store.sqlite import records
from spark_memory.store.sqlite.backend import SqliteStore
from spark_memory.store.sqlite.connection import connect

_BATCH = 1_000


def iter_records(store: SqliteStore, org_id: str | None, vectors: bool) -> Iterator[dump.Record]:
    """Every record of ``org_id`` (or of the whole store), in ``dump.KINDS`` order."""
    conn = connect(store.path, readonly=True)
    try:
        conn.execute("BEGIN")  # one snapshot for the whole export
        yield from _tenancy(conn, org_id)
        if org_id is None:
            yield from _snippets(conn, vectors)
        yield from _insights(conn, org_id, vectors)
        yield from _traces(conn, org_id)
        yield from _feedback(conn, org_id)
        yield from _links(conn, org_id)
        if org_id is None:
            yield from _epochs(conn)
        yield from _idempotency(conn, org_id)
        yield from _audit(conn, org_id)
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, sql: str, params: list[Any]) -> Iterator[Any]:
    cursor = conn.execute(sql, params)
    while batch := cursor.fetchmany(_BATCH):
        yield from batch


def _where_org(org_id: str | None, column: str = "org_id") -> tuple[str, list[Any]]:
    return ("", []) if org_id is None else (f"WHERE {column} = ?", [org_id])


def _tenancy(conn: sqlite3.Connection, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id, "id")
    for (body,) in _rows(conn, f"SELECT body FROM orgs {where} ORDER BY id", params):
        yield dump.Record("org", Org.model_validate_json(body).model_dump(mode="json"))
    where, params = _where_org(org_id)
    for (body,) in _rows(conn, f"SELECT body FROM agents {where} ORDER BY id", params):
        yield dump.Record("agent", Agent.model_validate_json(body).model_dump(mode="json"))
    for (body,) in _rows(conn, "SELECT body FROM api_keys ORDER BY id", []):
        key = ApiKey.model_validate_json(body)
        if org_id is None or key.org_id == org_id:
            yield dump.Record("api_key", key.model_dump(mode="json"))


def _snippets(conn: sqlite3.Connection, vectors: bool) -> Iterator[dump.Record]:
    sql = f"SELECT {records.SNIPPET_COLUMNS}, embedding FROM snippets ORDER BY id"
    for row in _rows(conn, sql, []):
        snippet = records.snippet_from_row(row[:-1])
        vector = records.unblob(row[-1]) if vectors and row[-1] is not None else None
        yield dump.Record("snippet", snippet.model_dump(mode="json"), vector)


def _insights(conn: sqlite3.Connection, org_id: str | None, vectors: bool) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    sql = f"SELECT body, embedding FROM insights {where} ORDER BY id"
    for body, blob in _rows(conn, sql, params):
        vector = records.unblob(blob) if vectors and blob is not None else None
        insight = Insight.model_validate_json(body)
        yield dump.Record("insight", insight.model_dump(mode="json"), vector)


def _traces(conn: sqlite3.Connection, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id, "t.org_id")
    sql = (
        "SELECT t.body, s.epoch_id, s.state FROM traces t"
        f" LEFT JOIN trace_states s ON s.trace_id = t.id {where} ORDER BY t.id"
    )
    for body, epoch_id, state in _rows(conn, sql, params):
        curation = None if state is None else {"epoch_id": epoch_id, "state": state}
        trace = Trace.model_validate_json(body).model_dump(mode="json")
        yield dump.Record("trace", trace, extra={"state": curation})


def _feedback(conn: sqlite3.Connection, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    sql = f"SELECT body FROM feedback {where} ORDER BY id"
    for (body,) in _rows(conn, sql, params):
        yield dump.Record("feedback", Feedback.model_validate_json(body).model_dump(mode="json"))


def _links(conn: sqlite3.Connection, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    sql = (
        "SELECT id, kind, source_id, target_id, org_id, epoch_id, active, created, snapshot"
        f" FROM insight_links {where} ORDER BY id"
    )
    for i, kind, source, target, org, epoch, active, created, snapshot in _rows(conn, sql, params):
        link = InsightLink(
            i, LinkKind(kind), source, target, org, epoch, datetime.fromisoformat(created),
            bool(active), snapshot,
        )  # fmt: skip
        yield dump.Record("link", dump.link_data(link))


def _epochs(conn: sqlite3.Connection) -> Iterator[dump.Record]:
    for i, started, body in _rows(conn, "SELECT id, started, body FROM epochs ORDER BY id", []):
        data = json.loads(body)
        epoch = EpochRecord(
            id=i,
            started=datetime.fromisoformat(started),
            finished=datetime.fromisoformat(data["finished"]),
            counts={str(k): int(v) for k, v in data["counts"].items()},
            events=tuple(EpochEvent(**e) for e in data["events"]),
        )
        yield dump.Record("epoch", dump.epoch_data(epoch))


def _idempotency(conn: sqlite3.Connection, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    columns = "org_id, key, result_id, request_hash"
    sql = f"SELECT {columns} FROM idempotency {where} ORDER BY org_id, key"
    for org, key, result, request in _rows(conn, sql, params):
        data = {"org_id": org, "key": key, "result_id": result, "request_hash": request}
        yield dump.Record("idempotency", data)


def _audit(conn: sqlite3.Connection, org_id: str | None) -> Iterator[dump.Record]:
    where, params = _where_org(org_id)
    sql = (
        "SELECT seq, at, org_id, agent_id, action, target_id, detail"
        f" FROM audit {where} ORDER BY seq"
    )
    for seq, at, org, agent, action, target, detail in _rows(conn, sql, params):
        entry = AuditEntry(seq, datetime.fromisoformat(at), org, agent, action, target, detail)
        yield dump.Record("audit", dump.audit_data(entry))
