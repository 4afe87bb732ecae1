"""The job queue of the PostgreSQL store ("jobs" section of the store protocol).

Workers on any number of machines claim with ``FOR UPDATE OF j SKIP LOCKED``: a
claimer locks the first claimable row nobody else has locked and leases it in the same
transaction, so two workers never take one job and none waits for another. Lanes (jobs
that must not run side by side, like curation epochs) add one transaction-scoped
advisory lock per lane around the "is another job of this lane running?" check, which
row locks alone cannot make exact: two claimers could each lock a different queued
job of one lane and both see the lane idle.

Lease times come from the database server's clock (``clock_timestamp()``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from spark_memory.errors import NotFound
from spark_memory.store.postgres.connection import Conn, Database
from spark_memory.store.protocol import Job, JobSpec, JobState

_COLUMNS = (
    "id, kind, payload, lane, state, attempts, max_attempts, created,"
    " lease_owner, lease_token, lease_expires, finished, result, error"
)
# clock_timestamp() moves on within a transaction: a lease may lapse between
# _fail_abandoned and this, so a job on its last attempt is never a candidate here.
_CLAIMABLE = (
    "((j.state = 'queued' AND j.run_after <= clock_timestamp())"
    " OR (j.state = 'running' AND j.lease_expires < clock_timestamp()"
    " AND j.attempts < j.max_attempts))"
)
_LANE_FREE = (
    "(j.lane = '' OR NOT EXISTS (SELECT 1 FROM jobs r"
    " WHERE r.lane = j.lane AND r.state = 'running' AND r.id <> j.id))"
)
_CANDIDATE = (
    f"SELECT j.id, j.lane FROM jobs j WHERE {_CLAIMABLE} AND {_LANE_FREE}"
    " AND (cardinality(%s::text[]) = 0 OR j.kind = ANY(%s::text[]))"
    " AND NOT (j.id = ANY(%s::text[]))"
    " ORDER BY j.seq LIMIT 1 FOR UPDATE OF j SKIP LOCKED"
)
# How many candidates one claim looks at when lanes turn out busy.
_CANDIDATES = 4


class JobTables:
    """Mixed into PostgresStore, which sets ``_db``."""

    _db: Database

    def enqueue_job(self, spec: JobSpec) -> Job:
        def write(conn: Conn) -> Job:
            if spec.lane:
                _lock_lane(conn, spec.lane)  # so two replicas coalesce onto one job
            found = _one(conn, "id = %s", [spec.id])
            if found is None and spec.lane:
                found = _one(
                    conn,
                    "lane = %s AND kind = %s AND state = 'queued' ORDER BY seq",
                    [spec.lane, spec.kind],
                )
            if found is not None:
                return found
            conn.execute(
                "INSERT INTO jobs (id, kind, payload, lane, state, max_attempts)"
                " VALUES (%s, %s, %s::jsonb, %s, 'queued', %s) ON CONFLICT (id) DO NOTHING",
                [spec.id, spec.kind, json.dumps(spec.payload), spec.lane, spec.max_attempts],
            )
            return _must(conn, spec.id)

        return self._db.write(write)

    def claim_job(self, worker: str, kinds: Sequence[str], lease_seconds: float) -> Job | None:
        def write(conn: Conn) -> Job | None:
            _fail_abandoned(conn)
            passed: list[str] = []
            for _ in range(_CANDIDATES):
                row = conn.execute(_CANDIDATE, [list(kinds), list(kinds), passed]).fetchone()
                if row is None:
                    return None
                job_id, lane = row
                if not lane or _lane_still_free(conn, lane, job_id):
                    return _lease(conn, job_id, worker, lease_seconds)
                passed.append(job_id)
            return None

        return self._db.write(write)

    def acquire_lock(self, name: str, holder: str, lease_seconds: float) -> bool:
        def write(conn: Conn) -> bool:
            row = conn.execute(
                "INSERT INTO locks (name, holder, expires)"
                " VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s))"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " expires = excluded.expires WHERE locks.holder = excluded.holder"
                " OR locks.expires < clock_timestamp() RETURNING holder",
                [name, holder, lease_seconds],
            ).fetchone()
            return row is not None

        return self._db.write(write)

    def release_lock(self, name: str, holder: str) -> None:
        def write(conn: Conn) -> None:
            conn.execute("DELETE FROM locks WHERE name = %s AND holder = %s", [name, holder])

        self._db.write(write)

    def renew_lease(self, job_id: str, token: str, lease_seconds: float) -> bool:
        def write(conn: Conn) -> bool:
            cur = conn.execute(
                "UPDATE jobs SET lease_expires = clock_timestamp() + make_interval(secs => %s)"
                " WHERE id = %s AND lease_token = %s AND state = 'running'",
                [lease_seconds, job_id, token],
            )
            return cur.rowcount == 1

        return self._db.write(write)

    def complete_job(self, job_id: str, token: str, result: dict[str, Any]) -> bool:
        def write(conn: Conn) -> bool:
            cur = conn.execute(
                "UPDATE jobs SET state = 'done', result = %s::jsonb, finished = clock_timestamp(),"
                " lease_expires = NULL WHERE id = %s AND lease_token = %s AND state = 'running'",
                [json.dumps(result), job_id, token],
            )
            if cur.rowcount == 1:
                return True
            # A retried completion of this very lease finds its own record.
            again = conn.execute(
                "SELECT 1 FROM jobs WHERE id = %s AND lease_token = %s AND state = 'done'",
                [job_id, token],
            ).fetchone()
            return again is not None

        return self._db.write(write)

    def fail_job(
        self, job_id: str, token: str, error: str, retry_in: float = 0.0
    ) -> JobState | None:
        def write(conn: Conn) -> JobState | None:
            row = conn.execute(
                "UPDATE jobs SET state = CASE WHEN attempts < max_attempts"
                " THEN 'queued' ELSE 'failed' END, error = %s,"
                " run_after = clock_timestamp() + make_interval(secs => %s),"
                " lease_expires = NULL, finished = CASE WHEN attempts < max_attempts"
                " THEN NULL ELSE clock_timestamp() END"
                " WHERE id = %s AND lease_token = %s AND state = 'running' RETURNING state",
                [error, max(0.0, retry_in), job_id, token],
            ).fetchone()
            return None if row is None else JobState(row[0])

        return self._db.write(write)

    def get_job(self, job_id: str) -> Job:
        found = self._db.query(f"SELECT {_COLUMNS} FROM jobs WHERE id = %s", [job_id])
        if not found:
            raise NotFound(f"no job {job_id!r}")
        return job_from_row(found[0])

    def list_jobs(
        self, states: Sequence[JobState] = (), kinds: Sequence[str] = (), limit: int = 100
    ) -> list[Job]:
        wanted = [s.value for s in states]
        found = self._db.query(
            f"SELECT {_COLUMNS} FROM jobs"
            " WHERE (cardinality(%s::text[]) = 0 OR state = ANY(%s::text[]))"
            " AND (cardinality(%s::text[]) = 0 OR kind = ANY(%s::text[]))"
            " ORDER BY seq LIMIT %s",
            [wanted, wanted, list(kinds), list(kinds), limit],
        )
        return [job_from_row(r) for r in found]


def _lock_lane(conn: Conn, lane: str) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["spark-jobs:" + lane])


def _lane_still_free(conn: Conn, lane: str, job_id: str) -> bool:
    """Re-check under the lane's lock: a claim that committed meanwhile is visible now."""
    _lock_lane(conn, lane)
    busy = conn.execute(
        "SELECT 1 FROM jobs WHERE lane = %s AND state = 'running' AND id <> %s LIMIT 1",
        [lane, job_id],
    ).fetchone()
    return busy is None


def _lease(conn: Conn, job_id: str, worker: str, lease_seconds: float) -> Job:
    row = conn.execute(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = %s,"
        " lease_token = %s, lease_expires = clock_timestamp() + make_interval(secs => %s)"
        f" WHERE id = %s RETURNING {_COLUMNS}",
        [worker, uuid.uuid4().hex, lease_seconds, job_id],
    ).fetchone()
    assert row is not None, "the row is locked by this transaction"
    return job_from_row(row)


def _fail_abandoned(conn: Conn) -> None:
    # A job whose worker died on every attempt would otherwise be taken forever.
    # SKIP LOCKED: a row another claimer holds is that claimer's to settle.
    conn.execute(
        "UPDATE jobs SET state = 'failed', finished = clock_timestamp(), lease_expires = NULL,"
        " error = 'the lease expired on the last attempt (the worker stopped)'"
        " WHERE id IN (SELECT id FROM jobs WHERE state = 'running'"
        " AND lease_expires < clock_timestamp() AND attempts >= max_attempts"
        " FOR UPDATE SKIP LOCKED)"
    )


def _one(conn: Conn, where: str, params: Sequence[Any]) -> Job | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE {where} LIMIT 1", params).fetchone()
    return None if row is None else job_from_row(row)


def _must(conn: Conn, job_id: str) -> Job:
    found = _one(conn, "id = %s", [job_id])
    assert found is not None, "inserted, or found conflicting, in this transaction"
    return found


def job_from_row(row: Sequence[Any]) -> Job:
    (ident, kind, payload, lane, state, attempts, max_attempts, created) = row[:8]
    (owner, token, expires, finished, result, error) = row[8:]
    return Job(
        id=ident,
        kind=kind,
        payload=dict(payload),
        lane=lane,
        state=JobState(state),
        attempts=attempts,
        max_attempts=max_attempts,
        created=created,
        lease_owner=owner,
        lease_token=token,
        lease_expires=expires,
        finished=finished,
        result=dict(result),
        error=error,
    )
