"""Finding 5: any token was accepted as an HTTP method and became a /metrics label
(2,000 requests with 8 KB method names: 16 MB of metrics in 2.9 s)."""

from __future__ import annotations

import random
import string

import httpx

from spark_memory.http.metrics import MAX_SERIES, Metrics
from tests.interfaces.server import Server


def _series(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name + "{")]


def test_a_method_flood_does_not_grow_the_metrics(server: Server) -> None:
    rng = random.Random(5)
    before = httpx.get(f"{server.url}/metrics").text
    with httpx.Client(timeout=10) as client:
        for _ in range(300):
            method = "".join(rng.choice(string.ascii_uppercase) for _ in range(2000))
            client.request(method, f"{server.url}/v1/search")
            client.request(method, f"{server.url}/no/such/{rng.random()}")
    after = httpx.get(f"{server.url}/metrics").text
    requests = _series(after, "spark_http_requests_total")
    assert len(requests) - len(_series(before, "spark_http_requests_total")) <= 4
    assert len(after) - len(before) < 4_000  # not 300 x 2 KB labels
    assert any('method="other"' in line for line in requests)


def test_every_metric_holds_at_most_max_series_label_sets() -> None:
    metrics = Metrics()
    for n in range(MAX_SERIES * 3):
        metrics.tool_call(f"tool-{n}", True, 0.01)
    text = metrics.render()
    assert len(_series(text, "spark_mcp_tool_calls_total")) == MAX_SERIES + 1
    assert 'spark_mcp_tool_calls_total{tool="other",outcome="other"}' in text
