"""Scale-out end to end: two `spark serve` replicas and two `spark worker` processes on
one PostgreSQL database, each a real process, talked to over loopback HTTP.

1. Agents of two orgs write through both replicas at once while curation jobs are
   queued; each write made through one replica is read back at once through the
   other (the stated bound: visible to the next request on any replica, 0 s).
2. Each worker is shown to take jobs: the other is paused (SIGSTOP) while one is queued.
3. A worker is killed with SIGKILL in mid-job (the test-only ``SPARK_TEST_JOB_DELAY``
   holds it inside the job); once its lease lapses the other worker completes the job.

Then: every acknowledged write is stored exactly once, every trace was curated, every
job is done, each ran its body once (one epoch per curation job), and only the killed
job needed a second attempt.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from spark_memory.config import Settings
from spark_memory.http.client import SparkClient
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.service import Spark
from spark_memory.store.protocol import Job, JobState
from tests.conftest import PostgresDatabases
from tests.support.waiting import wait_until

SPARK = str(Path(sys.executable).with_name("spark"))
LEASE = 2.0  # seconds: how long a killed worker's job waits before it is taken again
ORGS = ("acme", "globex")
TRACES_PER_WRITER = 15

pytestmark = pytest.mark.slow


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    terminated: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.pid, sig)

    def terminate(self) -> None:
        if self.popen.poll() is None and not self.terminated:
            self.terminated = True
            self.popen.send_signal(signal.SIGCONT)  # a paused process cannot exit
            self.popen.terminate()

    def stop(self) -> None:
        self.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class Cluster:
    """The processes of one deployment, all sharing ``env`` (database, embedder)."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "SPARK_HOME": str(folder),
            "SPARK_DATABASE_URL": url,
            "SPARK_EMBEDDER": "hash",
            "SPARK_CURATION_INTERVAL": "0",  # curation runs as jobs, on the workers
            "SPARK_RATE_LIMIT": "0",
            "SPARK_JOB_LEASE": str(LEASE),
        }
        self.procs: list[Proc] = []

    def spawn(self, name: str, args: list[str], **env: str) -> Proc:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [SPARK, *args], env={**self.env, **env}, stdout=out, stderr=subprocess.STDOUT
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def servers(self, *names: str) -> list[str]:
        """Start replicas side by side (each takes seconds to import); their URLs once up."""
        started = []
        for name in names:
            port = _free_port()
            proc = self.spawn(name, ["serve", "--no-kb", "--no-mcp", "--port", str(port)])
            started.append((proc, f"http://127.0.0.1:{port}"))
        for proc, url in started:
            wait_until(lambda p=proc, u=url: _healthy(p, u), f"{proc.name} to serve", 60)
        return [url for _, url in started]

    def worker(self, name: str, **env: str) -> Proc:
        return self.spawn(name, ["worker", "--poll", "0.1"], **env)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()  # all at once: each takes a moment to shut down
        for proc in self.procs:
            proc.stop()


@pytest.fixture
def deployment(postgres: PostgresDatabases, tmp_path: Path) -> Iterator[tuple[Cluster, Spark]]:
    url = postgres.url(tmp_path)
    cluster = Cluster(tmp_path, url)
    settings = Settings.load(environ={}, home=tmp_path, database_url=url, embedder="hash")
    operator = Spark.open(settings)
    try:
        yield cluster, operator
    finally:
        cluster.stop()
        operator.close()
        postgres.drop(tmp_path)


def test_replicas_and_workers_share_one_database(deployment: tuple[Cluster, Spark]) -> None:
    cluster, operator = deployment
    keys = {
        org: operator.create_key(org, "agent", "writer", principal=LOCAL_PRINCIPAL).secret
        for org in ORGS
    }
    w1, w2 = cluster.worker("worker-1"), cluster.worker("worker-2")
    replicas = cluster.servers("serve-a", "serve-b")

    acked = write_through_both_replicas(operator, replicas, keys)
    for worker, other in ((w1, w2), (w2, w1)):
        with paused(operator, other):
            job = wait_done(operator, operator.enqueue_curation(principal=LOCAL_PRINCIPAL))
            assert worker_of(job) == worker.pid

    w2.stop()  # restarted with the hook that holds it inside each job
    doomed = cluster.worker("worker-2-doomed", SPARK_TEST_JOB_DELAY="60")
    with paused(operator, w1):
        killed = operator.enqueue_curation(principal=LOCAL_PRINCIPAL)
        wait_until(
            lambda: worker_of(operator.store.get_job(killed.id)) == doomed.pid, "a lease", 30
        )
        doomed.signal(signal.SIGKILL)
    retried = wait_done(operator, killed, timeout=LEASE + 20)
    assert (retried.attempts, worker_of(retried)) == (2, w1.pid)

    check_every_write_once(operator, acked)
    check_every_job_done_once(operator, retried.id)


# --- phase 1: concurrent writes ------------------------------------------------------------


def write_through_both_replicas(
    operator: Spark, replicas: list[str], keys: dict[str, str]
) -> dict[str, set[str]]:
    """Four writers (two orgs x two replicas) at once, curation queued meanwhile.

    Returns the ids acknowledged per kind. Each memory written through one replica is
    read back through the other straight after the acknowledgement.
    """
    acked: dict[str, set[str]] = {"trace": set(), "memory": set()}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def writer(org: str, mine: str, other: str) -> None:
        via = "a" if mine == replicas[0] else "b"
        try:
            with SparkClient(mine, keys[org]) as here, SparkClient(other, keys[org]) as there:
                for n in range(TRACES_PER_WRITER):
                    task = f"{org} via replica {via}: group rows and sum column b, attempt {n}"
                    receipt = here.record_trace(task, outcome="failed", error="KeyError: 'b'")
                    with lock:
                        acked["trace"].add(receipt.id)
                    if n % 5 == 0:
                        memo = here.create_memory(f"{org} lesson {via} {n}", f"Remember: {task}.")
                        assert there.get_memory(memo.id).id == memo.id  # no replica lag
                        with lock:
                            acked["memory"].add(memo.id)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=(org, mine, other))
        for org in ORGS
        for mine, other in (replicas, replicas[::-1])
    ]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        operator.enqueue_curation(principal=LOCAL_PRINCIPAL)  # coalesced while one waits
        time.sleep(0.2)  # the pace of this load, not a wait for anything
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    assert len(acked["trace"]) == len(ORGS) * 2 * TRACES_PER_WRITER
    return acked


# --- checks ----------------------------------------------------------------------------------


def check_every_write_once(operator: Spark, acked: dict[str, set[str]]) -> None:
    with psycopg.connect(operator.settings.database_url) as conn:
        traces = [r[0] for r in conn.execute("SELECT id FROM traces")]
        memories = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM insights WHERE id = ANY(%s)", [list(acked["memory"])]
            )
        ]
        uncurated = conn.execute(
            "SELECT count(*) FROM traces t LEFT JOIN trace_states s ON s.trace_id = t.id"
            " WHERE s.trace_id IS NULL"
        ).fetchone()
    assert sorted(traces) == sorted(acked["trace"])  # each acknowledged trace, once, no other
    assert sorted(memories) == sorted(acked["memory"])
    assert uncurated == (0,)


def check_every_job_done_once(operator: Spark, killed_id: str) -> None:
    jobs = operator.jobs(limit=10_000)
    assert {j.state for j in jobs} == {JobState.DONE}
    assert {j.id: j.attempts for j in jobs if j.attempts != 1} == {killed_id: 2}
    epochs = {e.id for e in operator.store.list_epochs(limit=10_000)}
    assert sorted(j.result["epoch"] for j in jobs) == sorted(epochs)  # one epoch per job


# --- helpers -----------------------------------------------------------------------------------


@contextlib.contextmanager
def paused(operator: Spark, worker: Proc) -> Iterator[None]:
    """SIGSTOP an idle worker, so the other one takes whatever is queued meanwhile."""
    wait_idle(operator)
    worker.signal(signal.SIGSTOP)
    try:
        yield
    finally:
        worker.signal(signal.SIGCONT)


def wait_idle(operator: Spark) -> None:
    live = [JobState.QUEUED, JobState.RUNNING]
    wait_until(lambda: not operator.jobs(live), "the queue to drain", 30)


def wait_done(operator: Spark, job: Job, timeout: float = 30) -> Job:
    wait_until(lambda: operator.store.get_job(job.id).state is JobState.DONE, f"{job.id}", timeout)
    return operator.store.get_job(job.id)


def worker_of(job: Job) -> int | None:
    """The pid in a worker name (host:pid:nonce), None while no worker took the job."""
    return int(job.lease_owner.split(":")[1]) if job.lease_owner else None


def _healthy(proc: Proc, url: str) -> bool:
    if proc.popen.poll() is not None:
        raise RuntimeError(f"{proc.name} exited:\n{proc.output()}")
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
