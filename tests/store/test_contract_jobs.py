"""The store contract, jobs section: every backend passes these, unchanged.

Leases are real time on the store's clock, so the expiry tests use leases of a few
tenths of a second and poll until they have lapsed; only a test that a lease still
holds sleeps through its first term (that the time passed is what it asserts on).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from spark_memory.errors import InvalidInput, NotFound
from spark_memory.store.protocol import Job, JobSpec, JobState, Store
from tests.conftest import open_backend
from tests.support.waiting import wait_until

SHORT = 0.3  # seconds: a lease the tests let expire
LONG = 60.0  # seconds: a lease that does not expire during a test


def spec(ident: str, kind: str = "reembed", lane: str = "", attempts: int = 3) -> JobSpec:
    return JobSpec(ident, kind, {"n": ident}, lane=lane, max_attempts=attempts)


def claim(store: Store, worker: str = "w1", lease: float = LONG, *kinds: str) -> Job:
    job = store.claim_job(worker, kinds, lease)
    assert job is not None
    return job


def claim_once_free(store: Store, worker: str = "w1") -> Job:
    """Claim as soon as a lease or a retry delay has lapsed (polling the store's clock)."""
    claimed: list[Job] = []

    def take() -> bool:
        job = store.claim_job(worker, [], LONG)
        if job is not None:
            claimed.append(job)
        return job is not None

    wait_until(take, f"a job for {worker} once the lease lapsed", seconds=10)
    return claimed[0]


def test_enqueue_is_idempotent_by_id(store: Store) -> None:
    first = store.enqueue_job(spec("job-1"))
    assert (first.id, first.kind, first.state, first.attempts) == ("job-1", "reembed", "queued", 0)
    assert first.payload == {"n": "job-1"}
    again = store.enqueue_job(JobSpec("job-1", "reembed", {"n": "other"}))
    assert again == first
    assert store.get_job("job-1") == first
    assert [j.id for j in store.list_jobs()] == ["job-1"]
    with pytest.raises(NotFound):
        store.get_job("job-404")


def test_a_job_nobody_could_run_is_refused() -> None:
    with pytest.raises(InvalidInput):
        JobSpec("", "curation")
    with pytest.raises(InvalidInput):
        JobSpec("job-1", "curation", max_attempts=0)


def test_claims_are_oldest_first_by_kind_and_leased(store: Store) -> None:
    for ident, kind in [("a", "reembed"), ("b", "curation"), ("c", "reembed")]:
        store.enqueue_job(spec(ident, kind))
    job = claim(store, "w1", LONG, "curation")
    assert (job.id, job.state, job.attempts, job.lease_owner) == ("b", "running", 1, "w1")
    assert job.lease_token
    assert job.lease_expires is not None
    assert [claim(store, "w2").id, claim(store, "w3").id] == ["a", "c"]
    assert store.claim_job("w4", [], LONG) is None
    assert [j.id for j in store.list_jobs([JobState.RUNNING], ["reembed"])] == ["a", "c"]


def test_completion_is_recorded_once_and_a_retry_of_it_changes_nothing(store: Store) -> None:
    store.enqueue_job(spec("job-1"))
    job = claim(store)
    assert store.complete_job(job.id, job.lease_token, {"embedded": 3})
    assert store.complete_job(job.id, job.lease_token, {"embedded": 99})  # a retried call
    done = store.get_job(job.id)
    assert (done.state, done.result, done.attempts) == ("done", {"embedded": 3}, 1)
    assert done.finished is not None
    assert done.lease_expires is None
    assert not store.complete_job(job.id, "not-the-token", {})
    assert not store.renew_lease(job.id, job.lease_token, LONG)
    assert store.fail_job(job.id, job.lease_token, "late") is None
    assert store.claim_job("w2", [], LONG) is None


def test_an_expired_lease_is_taken_over_and_the_old_holder_is_refused(store: Store) -> None:
    store.enqueue_job(spec("job-1"))
    dead = claim(store, "w1", SHORT)
    assert store.claim_job("w2", [], LONG) is None  # still leased
    retry = claim_once_free(store, "w2")
    assert (retry.id, retry.attempts, retry.lease_owner) == ("job-1", 2, "w2")
    assert retry.lease_token != dead.lease_token
    assert not store.renew_lease(dead.id, dead.lease_token, LONG)
    assert not store.complete_job(dead.id, dead.lease_token, {"by": "w1"})
    assert store.complete_job(retry.id, retry.lease_token, {"by": "w2"})
    assert store.get_job("job-1").result == {"by": "w2"}


def test_renewing_keeps_the_lease(store: Store) -> None:
    store.enqueue_job(spec("job-1"))
    job = claim(store, "w1", SHORT)
    assert store.renew_lease(job.id, job.lease_token, LONG)
    time.sleep(SHORT + 0.1)  # past the first term: the behaviour asserted is that it holds
    assert store.claim_job("w2", [], LONG) is None
    assert store.complete_job(job.id, job.lease_token, {})


def test_a_failed_attempt_is_retried_until_attempts_run_out(store: Store) -> None:
    store.enqueue_job(spec("job-1", attempts=2))
    first = claim(store)
    assert store.fail_job(first.id, first.lease_token, "boom", retry_in=SHORT) is JobState.QUEUED
    assert store.claim_job("w1", [], LONG) is None  # waits retry_in
    second = claim_once_free(store)
    assert second.attempts == 2
    assert store.fail_job(second.id, second.lease_token, "boom again") is JobState.FAILED
    failed = store.get_job("job-1")
    assert (failed.state, failed.error) == ("failed", "boom again")
    assert store.claim_job("w1", [], LONG) is None


def test_a_job_abandoned_on_its_last_attempt_fails(store: Store) -> None:
    store.enqueue_job(spec("job-1", attempts=1))
    claim(store, "w1", SHORT)
    wait_until(
        lambda: (
            store.claim_job("w2", [], LONG) is None
            and store.get_job("job-1").state is JobState.FAILED
        ),
        "the abandoned job to fail once its lease lapsed",
        seconds=10,
    )
    gone = store.get_job("job-1")
    assert gone.state is JobState.FAILED
    assert "lease expired" in gone.error


def test_a_lane_coalesces_queued_jobs_and_runs_one_at_a_time(store: Store) -> None:
    first = store.enqueue_job(spec("cur-1", "curation", lane="curation"))
    assert store.enqueue_job(spec("cur-2", "curation", lane="curation")).id == first.id
    running = claim(store)
    queued = store.enqueue_job(spec("cur-3", "curation", lane="curation"))
    assert queued.id == "cur-3"  # the lane's job is running, so this is a new one
    assert store.enqueue_job(spec("re-1", "reembed", lane="curation")).id == "re-1"
    store.enqueue_job(spec("other", "reembed"))
    assert claim(store, "w2").id == "other"  # cur-3 and re-1 wait for their lane
    assert store.claim_job("w3", [], LONG) is None
    assert store.complete_job(running.id, running.lease_token, {})
    assert claim(store, "w3").id == "cur-3"


def test_a_lane_job_taken_over_keeps_the_lane(store: Store) -> None:
    store.enqueue_job(spec("cur-1", "curation", lane="curation"))
    claim(store, "w1", SHORT)
    store.enqueue_job(spec("cur-2", "curation", lane="curation"))
    assert claim_once_free(store, "w2").id == "cur-1"  # the expired one, not the queued one
    assert store.claim_job("w3", [], LONG) is None


def test_concurrent_workers_never_take_the_same_job(
    store: Store, backend: str, tmp_path: Path
) -> None:
    jobs = 40
    for n in range(jobs):
        store.enqueue_job(spec(f"job-{n:02}"))
    taken: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(worker: str) -> None:
        handle = open_backend(backend, tmp_path)  # its own connection(s), as a process has
        try:
            while (job := handle.claim_job(worker, [], LONG)) is not None:
                with lock:
                    taken.append((job.id, worker))
                assert handle.complete_job(job.id, job.lease_token, {"by": worker})
        finally:
            handle.close()

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ids = [i for i, _ in taken]
    assert sorted(ids) == [f"job-{n:02}" for n in range(jobs)]  # each exactly once
    done = store.list_jobs([JobState.DONE], limit=100)
    assert len(done) == jobs
    assert all(j.result == {"by": w} for j, (_, w) in zip(done, sorted(taken), strict=True))


def test_concurrent_claims_start_one_job_of_a_lane(
    store: Store, backend: str, tmp_path: Path
) -> None:
    # Two queued jobs of one lane: the first failed and was requeued behind the second.
    store.enqueue_job(spec("cur-1", "curation", lane="curation"))
    first = claim(store)
    store.enqueue_job(spec("cur-2", "curation", lane="curation"))
    assert store.fail_job(first.id, first.lease_token, "retry") is JobState.QUEUED
    handles = [open_backend(backend, tmp_path) for _ in range(4)]
    start = threading.Barrier(len(handles))
    got: list[Job | None] = [None] * len(handles)

    def work(n: int) -> None:
        start.wait()
        got[n] = handles[n].claim_job(f"w{n}", [], LONG)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(handles))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for handle in handles:
        handle.close()
    assert len([j for j in got if j is not None]) == 1
    assert len(store.list_jobs([JobState.RUNNING])) == 1


def test_a_named_lease_has_one_holder_until_released_or_expired(store: Store) -> None:
    assert store.acquire_lock("curation", "a", 60)
    assert not store.acquire_lock("curation", "b", 60)
    assert store.acquire_lock("curation", "a", 60)  # renewal by its holder
    store.release_lock("curation", "b")  # not b's: no effect
    assert not store.acquire_lock("curation", "b", 60)
    store.release_lock("curation", "a")
    assert store.acquire_lock("curation", "b", 0.05)
    wait_until(lambda: store.acquire_lock("curation", "a", 60), "b's lease to lapse", 10)
    assert store.acquire_lock("other", "b", 60)  # names are independent
