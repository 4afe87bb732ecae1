"""The dashboard's latency figures, read from the Prometheus text `spark serve` exports."""

from __future__ import annotations

import pytest

from spark_memory.console.latency import latencies, quantile
from spark_memory.http.metrics import Metrics


def test_quantiles_come_from_the_servers_own_histograms() -> None:
    metrics = Metrics()
    for _ in range(90):
        metrics.request("POST", "/v1/search", 200, 0.02)  # bucket (0.01, 0.025]
    for _ in range(10):
        metrics.request("POST", "/v1/search", 200, 0.4)  # bucket (0.25, 0.5]
    metrics.tool_call("recommend", True, 0.003)
    metrics.request("GET", "/healthz", 200, 0.001)
    rows = {r.name: r for r in latencies(metrics.render())}
    assert set(rows) == {"HTTP search", "MCP recommend"}
    search = rows["HTTP search"]
    assert search.count == 100
    assert 10 < search.p50_ms <= 25
    assert 250 < search.p95_ms <= 500
    assert rows["MCP recommend"].p95_ms <= 5


def test_a_quantile_beyond_the_last_bucket_is_its_bound() -> None:
    assert quantile([(1.0, 0.0), (float("inf"), 4.0)], 0.5) == 1.0
    assert quantile([(0.1, 2.0), (0.2, 4.0), (float("inf"), 4.0)], 0.75) == pytest.approx(0.15)


def test_no_calls_no_rows() -> None:
    assert latencies(Metrics().render()) == []
