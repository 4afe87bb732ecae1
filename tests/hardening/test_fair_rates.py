"""Finding 9: limits ignored cost (a maximum-size write spent one token, like a search)
and lived in each process, so N replicas multiplied an org's rate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from spark_memory.errors import RateLimited
from spark_memory.http.limits import COST_BYTES, RateLimiter, request_cost
from spark_memory.store.protocol import Store
from tests.conftest import PostgresDatabases
from tests.hardening.conftest import postgres_replicas


def test_a_request_costs_by_its_size() -> None:
    assert request_cost({}) == 1.0
    assert request_cost({"content-length": str(COST_BYTES * 10)}) == 11.0
    limiter = RateLimiter(rate=1.0, burst=20, clock=lambda: 0.0)
    limiter.check("big", request_cost({"content-length": str(1 << 20)}))  # capped at the burst
    with pytest.raises(RateLimited) as refused:
        limiter.check("big")  # one maximum-size write spent the whole bucket
    assert refused.value.retry_after == pytest.approx(1.0)
    for _ in range(20):
        limiter.check("small")  # another org is untouched: twenty searches


def test_the_store_keeps_one_bucket_per_org(store: Store) -> None:
    assert store.spend_rate("org-a", 3.0, 1.0, 4.0) == 0.0
    wait = store.spend_rate("org-a", 3.0, 1.0, 4.0)
    assert 1.5 < wait <= 2.0  # 1 unit left, 2 more needed at 1 unit per second
    assert store.spend_rate("org-b", 4.0, 1.0, 4.0) == 0.0
    time.sleep(0.3)  # the refill over time on the store's clock is what is tested
    assert store.spend_rate("org-a", 1.0, 1.0, 4.0) == 0.0


@pytest.fixture
def replicas(postgres: PostgresDatabases, tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    limits = {"SPARK_RATE_LIMIT": "0.1", "SPARK_RATE_BURST": "6"}
    with postgres_replicas(postgres, tmp_path, ["acme"], **limits) as (urls, keys):
        yield urls, keys["acme"]


@pytest.mark.slow
def test_two_replicas_on_postgres_share_one_orgs_rate(replicas: tuple[list[str], str]) -> None:
    urls, key = replicas
    headers = {"Authorization": f"Bearer {key}"}
    started = time.monotonic()
    statuses = [
        httpx.post(f"{urls[n % 2]}/v1/search", json={"query": "sort"}, headers=headers).status_code
        for n in range(16)
    ]
    elapsed = time.monotonic() - started
    accepted = statuses.count(200)
    assert set(statuses) <= {200, 429}
    # one bucket of 6 plus what refills meanwhile; two private buckets would accept 12+
    assert accepted <= 6 + int(elapsed * 0.1) + 1, (statuses, elapsed)
    assert accepted < 12, (statuses, elapsed)
