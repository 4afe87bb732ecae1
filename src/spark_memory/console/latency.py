"""Search and recommend latency, p50 and p95, read from the server's Prometheus text.

`spark serve` keeps request and MCP tool latencies as histograms (``/metrics``); the
console reads the same text rather than the HTTP layer's objects, so it depends on the
exported format only. Quantiles are estimated inside each bucket by linear
interpolation, as Prometheus's ``histogram_quantile`` does: they are as coarse as the
buckets, and cover this process since it started.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (metric, label, value) -> what the dashboard calls it
SERIES = {
    ("spark_http_request_duration_seconds", "route", "/v1/search"): "HTTP search",
    ("spark_http_request_duration_seconds", "route", "/v1/recommend"): "HTTP recommend",
    ("spark_mcp_tool_duration_seconds", "tool", "search"): "MCP search",
    ("spark_mcp_tool_duration_seconds", "tool", "recommend"): "MCP recommend",
}
_BUCKET = re.compile(r"^(?P<name>\w+)_bucket\{(?P<labels>[^}]*)\} (?P<count>[0-9.e+]+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Latency:
    name: str
    count: int
    p50_ms: float
    p95_ms: float


def latencies(text: str) -> list[Latency]:
    """One row per series in ``SERIES`` that has observations, in ``SERIES`` order."""
    buckets: dict[str, list[tuple[float, float]]] = {}
    for line in text.splitlines():
        found = _BUCKET.match(line)
        if found is None:
            continue
        labels = dict(_LABEL.findall(found["labels"]))
        le = labels.pop("le", "")
        for (metric, key, value), name in SERIES.items():
            if found["name"] == metric and labels.get(key) == value:
                bound = float("inf") if le == "+Inf" else float(le)
                buckets.setdefault(name, []).append((bound, float(found["count"])))
    out = []
    for name in SERIES.values():
        series = sorted(buckets.get(name, []))
        total = series[-1][1] if series else 0
        if total:
            p50, p95 = quantile(series, 0.50), quantile(series, 0.95)
            out.append(Latency(name, int(total), p50 * 1000, p95 * 1000))
    return out


def quantile(cumulative: list[tuple[float, float]], q: float) -> float:
    """The q-quantile of a histogram given as (upper bound, cumulative count), ascending."""
    rank = q * cumulative[-1][1]
    lower, below = 0.0, 0.0
    for bound, count in cumulative:
        if count >= rank:
            if bound == float("inf"):
                return lower  # beyond the last finite bucket: its bound is all we know
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower
