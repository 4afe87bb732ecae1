"""Finding 9, the cause: a maximum-size write burns CPU time that its size alone did not
pay for, and while it runs every other org's search waits on the same interpreter.
A request's measured CPU time is charged to its org's rate after the work, so an org
whose writes burnt its budget waits (429, Retry-After) while other orgs are served, on
one server or across replicas sharing PostgreSQL."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp.types import CallToolResult

from mcp import Client
from spark_memory.errors import RateLimited
from spark_memory.http.fair_share import InFlight
from spark_memory.http.limits import COST_BYTES
from spark_memory.models import MAX_TEXT_CHARS
from spark_memory.store.protocol import Store
from tests.conftest import PostgresDatabases
from tests.hardening.conftest import postgres_replicas
from tests.interfaces.server import Server, free_port, seed
from tests.mcp.agent import over_http

RATE = "0.01"  # units per second: nothing worth counting refills during a test


def large_trace() -> bytes:
    """A trace of four near-maximum fields of code-like text: its screening takes CPU."""
    rng = random.Random(7)
    words = ["df", "groupby", "transform", "sum", "merge", "axis", "np.mean", "plot"]

    def field() -> str:
        lines: list[str] = []
        while sum(len(x) + 1 for x in lines) < MAX_TEXT_CHARS - 200:
            lines.append(" ".join(rng.choice(words) for _ in range(8)) + f" = {rng.random()}")
        return "\n".join(lines)

    body = {"task": "a large trace", "outcome": "failed"}
    body |= {name: field() for name in ("code", "test_output", "error", "correction")}
    return json.dumps(body).encode()


def burst_for(body: bytes) -> str:
    """A bucket that holds the write's size cost and one unit more: without its CPU time
    charged, the org could still search once afterwards."""
    return str(math.ceil(1 + len(body) / COST_BYTES) + 1)


def post(url: str, path: str, key: str, content: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return httpx.post(f"{url}{path}", content=content, headers=headers, timeout=120)


SEARCH = json.dumps({"query": "sort an array"}).encode()


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[Server]:
    body = large_trace()
    server = Server(tmp_path, free_port(), seed(tmp_path))
    server.start(SPARK_RATE_LIMIT=RATE, SPARK_RATE_BURST=burst_for(body))
    yield server
    server.stop()


def test_an_org_whose_write_burnt_its_cpu_budget_waits_while_another_is_served(
    strict: Server,
) -> None:
    body = large_trace()
    written = post(strict.url, "/v1/traces", strict.keys["writer"], body)
    assert written.status_code == 200, written.text
    after = post(strict.url, "/v1/search", strict.keys["writer"], SEARCH)
    other = post(strict.url, "/v1/search", strict.keys["other"], SEARCH)
    assert after.status_code == 429, after.text  # the size left one unit; the CPU took it
    assert after.json()["error"] == "RateLimited"
    assert "CPU" in after.json()["message"]
    # the bucket is below zero: the wait is for more than the one unit a search costs
    assert int(after.headers["Retry-After"]) > 1 / float(RATE)
    assert other.status_code == 200, other.text
    assert other.json()["hits"]


def test_an_mcp_tool_call_is_charged_its_cpu_time_too(tmp_path: Path) -> None:
    body = large_trace()
    fields = json.loads(body)
    room = int(burst_for(body)) + 4  # the MCP session's own small requests spend a few units
    server = Server(tmp_path, free_port(), seed(tmp_path))
    server.start(SPARK_RATE_LIMIT=RATE, SPARK_RATE_BURST=str(room))

    async def record(client: Client) -> CallToolResult:
        await client.list_tools()  # the client checks a result against the tool's schema
        return await client.call_tool("record_trace", fields)

    try:
        recorded = over_http(server.url, server.keys["writer"], record)
        after = post(server.url, "/v1/search", server.keys["writer"], SEARCH)
        other = post(server.url, "/v1/search", server.keys["other"], SEARCH)
    finally:
        server.stop()
    assert not recorded.is_error, recorded.content
    assert after.status_code == 429, after.text  # the tool's screening time was charged
    assert "CPU" in after.json()["message"]
    assert other.status_code == 200, other.text


def test_small_requests_are_not_held_back_by_their_cpu_time(tmp_path: Path) -> None:
    server = Server(tmp_path, free_port(), seed(tmp_path))
    server.start(SPARK_RATE_LIMIT=RATE, SPARK_RATE_BURST="40")
    try:
        statuses = [
            post(server.url, "/v1/search", server.keys["reader"], SEARCH).status_code
            for _ in range(4)
        ]
    finally:
        server.stop()
    assert statuses == [200, 200, 200, 200]  # a search takes a few units, not the bucket


def test_a_charge_takes_the_stores_bucket_below_zero(store: Store) -> None:
    store.charge_rate("org-a", 6.0, 1.0, 4.0)  # four banked, six spent: two owed
    wait = store.spend_rate("org-a", 1.0, 1.0, 4.0)
    assert 2.5 < wait <= 3.0  # the debt and the unit asked for, at 1 unit per second
    assert store.spend_rate("org-b", 1.0, 1.0, 4.0) == 0.0  # another org's bucket is whole


def test_an_org_runs_one_large_request_at_a_time_in_a_process() -> None:
    running = InFlight(1)
    running.enter("acme")
    with pytest.raises(RateLimited) as refused:
        running.enter("acme")
    assert refused.value.retry_after >= 1
    running.enter("globex")  # another org's large request is not held back
    running.leave("acme")
    running.enter("acme")  # the first one answered: the next may run


@pytest.fixture
def replicas(
    postgres: PostgresDatabases, tmp_path: Path
) -> Iterator[tuple[list[str], dict[str, str]]]:
    limits = {"SPARK_RATE_LIMIT": RATE, "SPARK_RATE_BURST": burst_for(large_trace())}
    with postgres_replicas(postgres, tmp_path, ["acme", "globex"], **limits) as replicas:
        yield replicas


@pytest.mark.slow
def test_two_replicas_on_postgres_share_the_cpu_charge(
    replicas: tuple[list[str], dict[str, str]],
) -> None:
    (first, second), keys = replicas
    written = post(first, "/v1/traces", keys["acme"], large_trace())
    assert written.status_code == 200, written.text
    elsewhere = post(second, "/v1/search", keys["acme"], SEARCH)
    other = post(second, "/v1/search", keys["globex"], SEARCH)
    assert elsewhere.status_code == 429, elsewhere.text  # the other replica saw the charge
    assert int(elsewhere.headers["Retry-After"]) > 1 / float(RATE)
    assert other.status_code == 200, other.text
