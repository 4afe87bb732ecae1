"""The job queue of the SQLite store ("jobs" section of the store protocol).

Every claim, renewal and completion runs in the single writer's ``BEGIN IMMEDIATE``
transaction, which SQLite serialises across processes too: a claim reads the queue and
leases one job with nothing able to change the queue in between, so no locking beyond
SQLite's own is needed. Times are Unix seconds from this machine's clock, which every
process sharing the file also reads.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from spark_memory.errors import NotFound
from spark_memory.store.protocol import Job, JobSpec, JobState

T = TypeVar("T")

_COLUMNS = (
    "id, kind, payload, lane, state, attempts, max_attempts, created,"
    " lease_owner, lease_token, lease_expires, finished, result, error"
)
# A job another worker may take: queued and due, or leased to a worker that stopped
# renewing. Parameters: now, now.
_CLAIMABLE = (
    "((j.state = 'queued' AND j.run_after <= ?) OR (j.state = 'running' AND j.lease_expires < ?))"
)
# One job per lane at a time: none of its lane may be running, itself aside (an expired
# lease of its own is what is being taken over).
_LANE_FREE = (
    "(j.lane = '' OR NOT EXISTS (SELECT 1 FROM jobs r"
    " WHERE r.lane = j.lane AND r.state = 'running' AND r.seq <> j.seq))"
)


class JobTables:
    """Mixed into SqliteStore, which provides the two primitives below."""

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    # --- named leases ----------------------------------------------------------------------
    def acquire_lock(self, name: str, holder: str, lease_seconds: float) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            now = time.time()
            conn.execute(
                "INSERT INTO locks (name, holder, expires) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " expires = excluded.expires WHERE locks.holder = excluded.holder"
                " OR locks.expires < ?",
                (name, holder, now + lease_seconds, now),
            )
            row = conn.execute("SELECT holder FROM locks WHERE name = ?", (name,)).fetchone()
            return bool(row[0] == holder)

        return self._write(write)

    def release_lock(self, name: str, holder: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM locks WHERE name = ? AND holder = ?", (name, holder))

        self._write(write)

    # --- jobs ------------------------------------------------------------------------------
    def enqueue_job(self, spec: JobSpec) -> Job:
        def write(conn: sqlite3.Connection) -> Job:
            found = _one(conn, "id = ?", [spec.id])
            if found is None and spec.lane:
                found = _one(
                    conn,
                    "lane = ? AND kind = ? AND state = 'queued' ORDER BY seq",
                    [spec.lane, spec.kind],
                )
            if found is not None:
                return found
            now = time.time()
            values = [spec.id, spec.kind, json.dumps(spec.payload), spec.lane, spec.max_attempts]
            conn.execute(
                "INSERT INTO jobs (id, kind, payload, lane, state, max_attempts, created,"
                " run_after) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
                [*values, now, now],
            )
            return _must(conn, spec.id)

        return self._write(write)

    def claim_job(self, worker: str, kinds: Sequence[str], lease_seconds: float) -> Job | None:
        def write(conn: sqlite3.Connection) -> Job | None:
            now = time.time()
            _fail_abandoned(conn, now)
            kind_sql, kind_params = _kinds(kinds)
            row = conn.execute(
                f"SELECT j.id FROM jobs j WHERE {_CLAIMABLE} AND {_LANE_FREE} {kind_sql}"
                " ORDER BY j.seq LIMIT 1",
                [now, now, *kind_params],
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?,"
                " lease_token = ?, lease_expires = ? WHERE id = ?",
                [worker, uuid.uuid4().hex, now + lease_seconds, row[0]],
            )
            return _must(conn, row[0])

        return self._write(write)

    def renew_lease(self, job_id: str, token: str, lease_seconds: float) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE jobs SET lease_expires = ?"
                " WHERE id = ? AND lease_token = ? AND state = 'running'",
                [time.time() + lease_seconds, job_id, token],
            )
            return cur.rowcount == 1

        return self._write(write)

    def complete_job(self, job_id: str, token: str, result: dict[str, Any]) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE jobs SET state = 'done', result = ?, finished = ?, lease_expires = NULL"
                " WHERE id = ? AND lease_token = ? AND state = 'running'",
                [json.dumps(result), time.time(), job_id, token],
            )
            if cur.rowcount == 1:
                return True
            # A retried completion of this very lease finds its own record.
            again = conn.execute(
                "SELECT 1 FROM jobs WHERE id = ? AND lease_token = ? AND state = 'done'",
                [job_id, token],
            ).fetchone()
            return again is not None

        return self._write(write)

    def fail_job(
        self, job_id: str, token: str, error: str, retry_in: float = 0.0
    ) -> JobState | None:
        def write(conn: sqlite3.Connection) -> JobState | None:
            now = time.time()
            row = conn.execute(
                "UPDATE jobs SET state = CASE WHEN attempts < max_attempts"
                " THEN 'queued' ELSE 'failed' END, error = ?, run_after = ?, lease_expires = NULL,"
                " finished = CASE WHEN attempts < max_attempts THEN NULL ELSE ? END"
                " WHERE id = ? AND lease_token = ? AND state = 'running' RETURNING state",
                [error, now + max(0.0, retry_in), now, job_id, token],
            ).fetchone()
            return None if row is None else JobState(row[0])

        return self._write(write)

    def get_job(self, job_id: str) -> Job:
        rows = self._query(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id])
        if not rows:
            raise NotFound(f"no job {job_id!r}")
        return job_from_row(rows[0])

    def list_jobs(
        self, states: Sequence[JobState] = (), kinds: Sequence[str] = (), limit: int = 100
    ) -> list[Job]:
        where: list[str] = ["1"]
        params: list[Any] = []
        if states:
            where.append(f"state IN ({_marks(states)})")
            params.extend(s.value for s in states)
        if kinds:
            where.append(f"kind IN ({_marks(kinds)})")
            params.extend(kinds)
        rows = self._query(
            f"SELECT {_COLUMNS} FROM jobs WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?",
            [*params, limit],
        )
        return [job_from_row(r) for r in rows]


def _fail_abandoned(conn: sqlite3.Connection, now: float) -> None:
    # A job whose worker died on every attempt would otherwise be taken forever.
    conn.execute(
        "UPDATE jobs SET state = 'failed', finished = ?, lease_expires = NULL,"
        " error = 'the lease expired on the last attempt (the worker stopped)'"
        " WHERE state = 'running' AND lease_expires < ? AND attempts >= max_attempts",
        [now, now],
    )


def _kinds(kinds: Sequence[str]) -> tuple[str, list[str]]:
    if not kinds:
        return "", []
    return f"AND j.kind IN ({_marks(kinds)})", list(kinds)


def _one(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> Job | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE {where} LIMIT 1", params).fetchone()
    return None if row is None else job_from_row(row)


def _must(conn: sqlite3.Connection, job_id: str) -> Job:
    found = _one(conn, "id = ?", [job_id])
    assert found is not None, "written in this very transaction"
    return found


def job_from_row(row: Sequence[Any]) -> Job:
    (ident, kind, payload, lane, state, attempts, max_attempts, created) = row[:8]
    (owner, token, expires, finished, result, error) = row[8:]
    return Job(
        id=ident,
        kind=kind,
        payload=json.loads(payload),
        lane=lane,
        state=JobState(state),
        attempts=attempts,
        max_attempts=max_attempts,
        created=_time(created),
        lease_owner=owner,
        lease_token=token,
        lease_expires=None if expires is None else _time(expires),
        finished=None if finished is None else _time(finished),
        result=json.loads(result),
        error=error,
    )


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)
