"""Background work as jobs: curation epochs and re-embedding, run by `spark worker`.

Any process may queue a job (a replica, the CLI, a scheduler); any number of worker
processes take them from the store's queue. The store leases each job to one worker;
the worker renews the lease from a heartbeat thread while it works and records the
result once. A worker that dies stops renewing, and its job is taken again when the
lease lapses, so each job body must be safe to run again after a partial run:

- curation: an epoch marks the traces it consumed; a rerun finds only what is left.
- re-embedding: resets the space and embeds everything; a rerun starts over.

Both kinds share one lane, so they never run side by side (re-embedding drops every
vector, which would leave a concurrent epoch blind), and queueing one while one of the
same kind waits returns the waiting one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from spark_memory.errors import Conflict, Forbidden, SparkError, StoreError
from spark_memory.models import LOCAL_PRINCIPAL, Principal, Role
from spark_memory.service.base import Progress, ServiceBase
from spark_memory.store.protocol import EpochRecord, Job, JobSpec, JobState, Store

CURATION = "curation"
CURATION_LOCK = "curation"  # the lease every epoch holds: one epoch at a time, store-wide
REEMBED = "reembed"
KINDS = (CURATION, REEMBED)
LANE = "maintenance"
RETRY_IN = 30.0  # seconds before a failed attempt is offered again

log = logging.getLogger("spark.worker")


@dataclass
class WorkerReport:
    """What one ``run_worker`` call did."""

    worker: str
    done: int = 0
    failed: int = 0  # attempts that raised (the job may be retried)
    lost: int = 0  # jobs whose lease another worker took over before completion

    def as_dict(self) -> dict[str, Any]:
        return vars(self).copy()


class Jobs(ServiceBase):
    # provided by the façade and the Experience mixin
    curate: Callable[..., EpochRecord]
    reembed: Callable[[Progress | None], int]

    # --- queueing ------------------------------------------------------------------------
    def enqueue_curation(self, *, principal: Principal) -> Job:
        """Queue a curation epoch (coalesced with one already waiting)."""
        if principal.role is not Role.ADMIN:
            raise Forbidden("queueing curation needs an org admin key")
        return self.store.enqueue_job(JobSpec(_job_id(), CURATION, {}, lane=LANE))

    def enqueue_reembed(self, *, principal: Principal) -> Job:
        """Queue re-embedding the whole store with the configured embedder."""
        if principal != LOCAL_PRINCIPAL:
            raise Forbidden("re-embedding changes the whole store; only its operator may")
        payload = {"model": self.space.model, "dim": self.space.dim}
        return self.store.enqueue_job(JobSpec(_job_id(), REEMBED, payload, lane=LANE))

    def jobs(self, states: Sequence[JobState] = (), limit: int = 100) -> list[Job]:
        return self.store.list_jobs(states, KINDS, limit)

    def job(self, job_id: str) -> Job:
        return self.store.get_job(job_id)

    # --- working ---------------------------------------------------------------------------
    def run_worker(
        self,
        *,
        once: bool = False,
        poll: float | None = None,
        stop: threading.Event | None = None,
        worker_id: str | None = None,
        curate_every: float = 0.0,
    ) -> WorkerReport:
        """Take and run jobs until ``stop`` is set, or (``once``) until none is claimable.

        ``curate_every`` > 0 also queues a curation epoch that often; several workers
        doing so still queue one at a time (coalescing).
        """
        stop = stop or threading.Event()
        poll = self.settings.worker_poll if poll is None else poll
        report = WorkerReport(worker_id or _worker_name())
        schedule = _Schedule(curate_every)
        while not stop.is_set():
            try:
                worked = self._step(report, schedule)
            except StoreError as exc:  # e.g. the database restarting: a long-lived worker waits
                if once:
                    raise
                log.warning("store unavailable", extra={"error": exc.message})
                worked = False
            if not worked:
                if once:
                    break
                stop.wait(poll)
        return report

    def _step(self, report: WorkerReport, schedule: _Schedule) -> bool:
        """Queue a due epoch, then take and run one job; False when there was none."""
        if schedule.due():
            self.enqueue_curation(principal=LOCAL_PRINCIPAL)  # the operator's schedule
        job = self.store.claim_job(report.worker, KINDS, self.settings.job_lease)
        if job is None:
            return False
        self._work(job, report)
        return True

    def _work(self, job: Job, report: WorkerReport) -> None:
        log.info("job taken", extra={"job": job.id, "kind": job.kind, "attempt": job.attempts})
        with _Heartbeat(self, job):
            try:
                result = self._run_job(job)
            except Exception as exc:  # noqa: BLE001 - the job's top: record why it failed, keep working
                self._record_failure(job, exc, report)
                return
        if self.store.complete_job(job.id, job.lease_token, result):
            report.done += 1
            log.info("job done", extra={"job": job.id, "result": result})
        else:
            report.lost += 1
            log.warning("job lease lost: another worker's result counts", extra={"job": job.id})

    def _run_job(self, job: Job) -> dict[str, Any]:
        if self.settings.test_job_delay > 0:
            time.sleep(self.settings.test_job_delay)  # tests kill the worker here
        if job.kind == CURATION:
            record = self.curate(principal=LOCAL_PRINCIPAL)
            return {"epoch": record.id, "counts": record.counts}
        if job.kind == REEMBED:
            return self._reembed(job)
        raise SparkError(f"this worker cannot run jobs of kind {job.kind!r}")

    def _reembed(self, job: Job) -> dict[str, Any]:
        wanted = (job.payload.get("model"), job.payload.get("dim"))
        if wanted != (self.space.model, self.space.dim):
            # Another worker, configured with the requested model, may take the retry.
            raise SparkError(
                f"the job asks for {wanted[0]} ({wanted[1]} dims) but this worker embeds with"
                f" {self.space.model} ({self.space.dim} dims)"
            )
        return {"embedded": self.reembed(None), "model": self.space.model}

    def _record_failure(self, job: Job, exc: Exception, report: WorkerReport) -> None:
        report.failed += 1
        message = exc.message if isinstance(exc, SparkError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, SparkError):
            log.exception("job crashed", extra={"job": job.id})
        state = self.store.fail_job(job.id, job.lease_token, message, retry_in=RETRY_IN)
        log.warning(
            "job failed", extra={"job": job.id, "state": state or "lease lost", "error": message}
        )


class _Schedule:
    """Says when a periodic curation epoch is due (never when ``every`` is 0)."""

    def __init__(self, every: float) -> None:
        self._every = every
        self._next = time.monotonic()

    def due(self) -> bool:
        if self._every <= 0 or time.monotonic() < self._next:
            return False
        self._next = time.monotonic() + self._every
        return True


class _Heartbeat:
    """Renews a job's lease every third of its length while the job runs."""

    def __init__(self, jobs: Jobs, job: Job) -> None:
        self._store = jobs.store
        self._job = job
        self._lease = jobs.settings.job_lease
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="spark-job-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._done.wait(self._lease / 3):
            try:
                held = self._store.renew_lease(self._job.id, self._job.lease_token, self._lease)
            except SparkError as exc:  # the store may be back by the next beat
                log.warning(
                    "lease renewal failed", extra={"job": self._job.id, "error": exc.message}
                )
                continue
            if not held:
                log.warning(
                    "lease lost: another worker may run the job too", extra={"job": self._job.id}
                )
                return


@contextmanager
def single_flight(store: Store, name: str, lease: float, what: str) -> Iterator[None]:
    """Run the body only if no other process or request holds the lease ``name``.

    The lease lives in the store, so every replica, CLI and worker sharing it is
    excluded; it is renewed while the body runs and lapses if the holder dies."""
    holder = f"{_worker_name()}:{uuid.uuid4().hex[:12]}"
    if not store.acquire_lock(name, holder, lease):
        raise Conflict(
            f"{what} is already running (another request, CLI or worker); try again when it"
            " has finished"
        )
    done = threading.Event()

    def renew() -> None:
        while not done.wait(lease / 3):
            try:
                if not store.acquire_lock(name, holder, lease):
                    log.warning("lease lost while running", extra={"lock": name})
                    return
            except SparkError as exc:  # the store may be back by the next beat
                log.warning("lease renewal failed", extra={"lock": name, "error": exc.message})

    beat = threading.Thread(target=renew, name=f"spark-lock-{name}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        done.set()
        beat.join()
        store.release_lock(name, holder)


def _job_id() -> str:
    return f"job_{uuid.uuid4().hex}"


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
