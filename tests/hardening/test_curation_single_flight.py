"""Finding 9 (part): `POST /v1/curate` bypassed the job lease; four concurrent calls each
re-processed the same 40 traces. Every epoch now holds one store-wide lease, however
it was started (HTTP, CLI, worker)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import httpx

from spark_memory.config import Settings
from spark_memory.errors import Conflict
from spark_memory.learning.generalise import DeterministicGeneraliser, Group, Lesson
from spark_memory.service import Spark
from spark_memory.service.jobs import CURATION_LOCK
from spark_memory.store.sqlite import SqliteStore
from tests.interfaces.server import Server
from tests.learning.conftest import OTHER_TASK, admin, failed_then_fixed, register, spark
from tests.support.waiting import wait_until

__all__ = ["spark"]


class _Held(DeterministicGeneraliser):
    """Holds an epoch open, as a slow LLM would, until ``release()`` holds: the epochs
    started together overlap for certain. (Were they not single-flight, every epoch
    would be held until the deadline, and the test would fail on their count.)"""

    def __init__(self, release: Callable[[], bool]) -> None:
        self.release = release

    def generalise(self, group: Group) -> Lesson:
        with contextlib.suppress(AssertionError):
            wait_until(self.release, "the other curate calls to be refused", seconds=10)
        return super().generalise(group)


def test_concurrent_curate_calls_make_one_epoch(spark: Spark) -> None:
    people = [admin(org, f"{org}-{n}") for org in ("org-a", "org-b") for n in (1, 2)]
    for who in people:
        register(spark, who, 0.9)
        failed_then_fixed(spark, who)
        failed_then_fixed(spark, who, OTHER_TASK)
    outcomes: list[str] = []
    spark._generaliser = _Held(lambda: outcomes.count("conflict") == 3)
    start = threading.Barrier(4)

    def call() -> None:
        start.wait()
        try:
            spark.curate(principal=people[0])
            outcomes.append("epoch")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "epoch"]
    assert len(spark.store.list_epochs(limit=10)) == 1
    spark.curate(principal=people[0])  # the lease was given back
    assert len(spark.store.list_epochs(limit=10)) == 2


def test_a_worker_and_http_wait_for_an_epoch_held_elsewhere(server: Server) -> None:
    store = SqliteStore(server.home / "spark.db")
    try:
        assert store.acquire_lock(CURATION_LOCK, "another-replica", 60)
        url = f"{server.url}/v1/curate"
        busy = httpx.post(url, headers=server.headers("admin"), timeout=30)
        assert busy.status_code == 409
        assert "already running" in busy.json()["message"]

        settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=server.home)
        with Spark.open(settings) as worker:
            worker.enqueue_curation(principal=admin("acme", "lead"))
            report = worker.run_worker(once=True)
        assert (report.done, report.failed) == (0, 1)  # retried later, not run twice

        store.release_lock(CURATION_LOCK, "another-replica")
        assert httpx.post(url, headers=server.headers("admin"), timeout=30).status_code == 200
    finally:
        store.close()
