"""Curation and re-embedding as jobs, run by the worker loop in this process."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.errors import Forbidden, StoreError
from spark_memory.models import LOCAL_PRINCIPAL, Principal, Role, Snippet, SnippetKind, Vectors
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.service import Spark
from spark_memory.service.jobs import CURATION, REEMBED
from spark_memory.store.protocol import JobState, Store
from spark_memory.store.sqlite import SqliteStore
from tests.support.waiting import wait_until

ADMIN = Principal(org_id="acme", agent_id="lead", role=Role.ADMIN)
WRITER = Principal(org_id="acme", agent_id="bot", role=Role.WRITER)


class BrokenEmbedder(HashEmbedder):
    """Fails the way a bug would: not with a Spark error."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        raise RuntimeError("embedder bug")


def make_spark(store: Store, home: Path, embedder: HashEmbedder | None = None) -> Spark:
    settings = Settings.load(environ={}, home=home, worker_poll=0.05)
    return Spark(settings, store, embedder or HashEmbedder())


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[Spark]:
    service = make_spark(SqliteStore(tmp_path / "spark.db"), tmp_path)
    yield service
    service.close()


def record_traces(spark: Spark, n: int) -> None:
    for i in range(n):
        spark.record_trace(f"sum column b by group a, attempt {i}", principal=WRITER)


def test_a_curation_job_runs_one_epoch(store: Store, tmp_path: Path) -> None:
    spark = make_spark(store, tmp_path)  # the fixture closes the store
    record_traces(spark, 3)
    job = spark.enqueue_curation(principal=ADMIN)
    assert (
        spark.enqueue_curation(principal=LOCAL_PRINCIPAL).id == job.id
    )  # coalesced while it waits
    report = spark.run_worker(once=True, worker_id="w1")
    assert (report.done, report.failed, report.lost) == (1, 0, 0)
    done = spark.store.get_job(job.id)
    assert (done.state, done.lease_owner, done.attempts) == (JobState.DONE, "w1", 1)
    assert done.result["epoch"] == spark.store.list_epochs(1)[0].id
    assert done.result["counts"]["traces"] == 3
    assert spark.store.pending_traces() == []


def numpy_snippets(n: int) -> list[Snippet]:
    return [
        Snippet.build(
            library="numpy",
            version="1.26.4",
            symbol=f"numpy.f{i}",
            kind=SnippetKind.API,
            title=f"f{i}",
            text="doc",
        )
        for i in range(n)
    ]


def test_a_reembed_job_uses_the_model_it_was_queued_for(spark: Spark, tmp_path: Path) -> None:
    snippets = numpy_snippets(3)
    spark.store.upsert_snippets(snippets, None, None)
    job = spark.enqueue_reembed(principal=LOCAL_PRINCIPAL)
    assert job.payload == {"model": spark.space.model, "dim": spark.space.dim}
    assert spark.run_worker(once=True).done == 1
    assert spark.store.get_job(job.id).result == {"embedded": 3, "model": spark.space.model}
    assert spark.store.snippet_hashes("numpy", "1.26.4") == {s.id: s.content_hash for s in snippets}

    other = spark.enqueue_reembed(principal=LOCAL_PRINCIPAL)
    elsewhere = make_spark(SqliteStore(tmp_path / "spark.db"), tmp_path, HashEmbedder(dim=32))
    try:
        assert elsewhere.run_worker(once=True).failed == 1
    finally:
        elsewhere.close()
    failed = spark.store.get_job(other.id)
    assert failed.state is JobState.QUEUED  # offered again later, to a matching worker
    assert "32 dims" in failed.error


def test_a_crashing_job_is_recorded_and_the_worker_goes_on(tmp_path: Path) -> None:
    spark = make_spark(SqliteStore(tmp_path / "spark.db"), tmp_path, BrokenEmbedder())
    try:
        spark.store.upsert_snippets(numpy_snippets(1), None, None)
        job = spark.enqueue_reembed(principal=LOCAL_PRINCIPAL)
        report = spark.run_worker(once=True)
        assert (report.done, report.failed) == (0, 1)
        assert spark.store.get_job(job.id).error == "RuntimeError: embedder bug"
    finally:
        spark.close()


def test_only_admins_queue_curation_and_only_the_operator_reembeds(spark: Spark) -> None:
    with pytest.raises(Forbidden):
        spark.enqueue_curation(principal=WRITER)
    with pytest.raises(Forbidden):
        spark.enqueue_reembed(principal=ADMIN)
    assert spark.jobs() == []


def test_the_worker_stops_when_asked_and_can_schedule_epochs(spark: Spark) -> None:
    stop = threading.Event()
    reports = []
    thread = threading.Thread(
        target=lambda: reports.append(spark.run_worker(stop=stop, curate_every=3600))
    )
    thread.start()
    try:
        wait_until(lambda: spark.jobs([JobState.DONE]), "the worker to finish the job", 10)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert reports[0].done == 1
    assert [j.kind for j in spark.jobs()] == [CURATION]


def test_a_long_lived_worker_outlives_its_store_going_away(spark: Spark) -> None:
    spark.store.close()  # every call now raises StoreError, as an unreachable database does
    with pytest.raises(StoreError):
        spark.run_worker(once=True)
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    # curate_every: queueing the epoch fails too, not only taking a job
    report = spark.run_worker(stop=stop, poll=0.01, curate_every=0.05)
    assert report.done == 0  # waited, did not crash


@pytest.fixture
def _restore_logging() -> Iterator[None]:
    # `spark worker` points Spark's loggers at the stderr of the moment (CliRunner's).
    logger = logging.getLogger("spark")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.mark.usefixtures("_restore_logging")
def test_spark_worker_command(tmp_path: Path) -> None:
    env = {"SPARK_HOME": str(tmp_path), "SPARK_EMBEDDER": "hash", "SPARK_DATABASE_URL": ""}
    runner = CliRunner(env=env)
    result = runner.invoke(cli, ["worker", "--enqueue", CURATION, "--once", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["done"] == 1
    result = runner.invoke(cli, ["worker", "--list", "--json"])
    assert result.exit_code == 0, result.output
    [listed] = json.loads(result.stdout)
    assert (listed["kind"], listed["state"]) == (CURATION, "done")
    assert "lease_token" not in listed
    result = runner.invoke(cli, ["worker", "--enqueue", REEMBED, "--list"])
    assert "queued reembed job" in result.output
