"""Finding 8: idempotency keys were per org, not per agent and verb. Another agent's key
silently dropped your write and returned that agent's private insight id; a memory's
key on a trace stored no trace; and the raw key (client free text) was stored."""

from __future__ import annotations

import httpx
import pytest

from spark_memory.errors import Conflict
from spark_memory.service import Spark
from spark_memory.store.sqlite import SqliteStore
from spark_memory.store.sqlite.dump import iter_records
from tests.interfaces.server import Server
from tests.learning.conftest import TASK, spark, writer

__all__ = ["spark"]

ALICE, BOB = writer("org-a", "alice"), writer("org-a", "bob")


def test_another_agents_key_does_not_drop_my_write(spark: Spark) -> None:
    theirs = spark.create_memory(
        "Alice's lesson", "Use transform.", scope="private", idempotency_key="k-1", principal=ALICE
    )
    mine = spark.create_memory("Bob's lesson", "Use argsort.", idempotency_key="k-1", principal=BOB)
    assert mine.status == "created"
    assert mine.id != theirs.id
    assert spark.get_memory(mine.id, principal=BOB).title == "Bob's lesson"


def test_a_memorys_key_on_a_trace_still_stores_the_trace(spark: Spark) -> None:
    memory = spark.create_memory("Lesson", "Use transform.", idempotency_key="k-2", principal=ALICE)
    trace = spark.record_trace(TASK, outcome="failed", idempotency_key="k-2", principal=ALICE)
    assert trace.status == "created"
    assert trace.id != memory.id
    assert spark.store.get_trace(trace.id, ALICE).task == TASK


def test_a_key_reused_with_another_body_is_a_conflict(spark: Spark) -> None:
    first = spark.record_trace(TASK, outcome="failed", idempotency_key="k-3", principal=ALICE)
    again = spark.record_trace(TASK, outcome="failed", idempotency_key="k-3", principal=ALICE)
    assert (again.id, again.status) == (first.id, "unchanged")
    with pytest.raises(Conflict, match="different request"):
        spark.record_trace(TASK, outcome="passed", idempotency_key="k-3", principal=ALICE)


def test_the_raw_key_is_never_stored(spark: Spark) -> None:
    key = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
    spark.record_trace(TASK, idempotency_key=key, principal=ALICE)
    assert isinstance(spark.store, SqliteStore)
    dumped = "".join(str(record) for record in iter_records(spark.store, "org-a", False))
    assert "idempotency" in dumped
    assert key not in dumped


def test_a_reused_key_with_another_body_is_409_over_http(server: Server) -> None:
    headers = {**server.headers("writer"), "Idempotency-Key": "http-k-1"}
    url = f"{server.url}/v1/traces"
    first = httpx.post(url, json={"task": "sort an array", "outcome": "failed"}, headers=headers)
    assert first.status_code == 200
    other = httpx.post(url, json={"task": "sort a list", "outcome": "failed"}, headers=headers)
    assert other.status_code == 409
    assert "different request" in other.json()["message"]
