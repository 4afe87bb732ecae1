"""A server with a low per-org rate and background curation: 429s with Retry-After per
org, a client that waits them out, and curation epochs counted in /metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from spark_memory.errors import RateLimited
from spark_memory.http.client import SparkClient
from tests.interfaces.server import Server, free_port, seed


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("strict")
    server = Server(home, free_port(), seed(home))
    # kb=True: the seeded store has a knowledge base, so `spark serve` must not build one.
    server.start(kb=True, SPARK_RATE_LIMIT="2", SPARK_RATE_BURST="3", SPARK_CURATION_INTERVAL="0.5")
    yield server
    server.stop()


def burst(server: Server, who: str, n: int) -> list[httpx.Response]:
    body = {"query": "sort an array"}
    return [
        httpx.post(f"{server.url}/v1/search", json=body, headers=server.headers(who))
        for _ in range(n)
    ]


def test_an_org_over_its_rate_gets_429_and_other_orgs_do_not(strict: Server) -> None:
    responses = burst(strict, "writer", 8)
    refused = [r for r in responses if r.status_code == 429]
    # One request: each search is also charged its CPU time (1 unit per 2 ms), so even
    # the other org's second search in a row may exceed this server's burst of 3 units.
    other = burst(strict, "other", 1)
    assert refused
    assert {r.status_code for r in responses} <= {200, 429}
    assert int(refused[0].headers["Retry-After"]) >= 1
    assert refused[0].json()["error"] == "RateLimited"
    assert [r.status_code for r in other] == [200]
    # The wait is what is tested: after the Retry-After it was told, the org is served.
    time.sleep(int(refused[-1].headers["Retry-After"]))
    assert burst(strict, "writer", 1)[0].status_code == 200


def test_the_mcp_endpoint_shares_the_orgs_rate(strict: Server) -> None:
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {**strict.headers("reader"), "Accept": "application/json, text/event-stream"}
    statuses = [
        httpx.post(f"{strict.url}/mcp", json=message, headers=headers).status_code for _ in range(8)
    ]
    assert 429 in statuses


def test_the_client_waits_out_a_429_when_asked_to(strict: Server) -> None:
    # A full bucket after the tests before: a bucket cannot be read without spending it.
    time.sleep(2)
    with SparkClient(strict.url, strict.keys["admin"], retries=0) as impatient:
        errors = [_search_error(impatient) for _ in range(8)]
    assert any(isinstance(e, RateLimited) and e.retry_after >= 1 for e in errors)
    with SparkClient(strict.url, strict.keys["admin"], retries=3) as patient:
        hits = patient.search("sort an array")
    assert hits


def _search_error(client: SparkClient) -> Exception | None:
    try:
        client.search("sort")
    except RateLimited as exc:
        return exc
    return None


def test_background_curation_runs_and_is_counted(strict: Server) -> None:
    deadline = time.monotonic() + 20
    metrics = ""
    while time.monotonic() < deadline and "spark_curation_epochs_total" not in metrics:
        time.sleep(0.5)
        metrics = httpx.get(f"{strict.url}/metrics").text
    assert "spark_curation_epochs_total" in metrics
    assert "spark_rate_limited_total" in metrics
    assert "first run" not in strict.log()  # the store had a knowledge base: none was built
