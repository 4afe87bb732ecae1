"""Counters and latency histograms in the Prometheus text format, for ``GET /metrics``.

Labels are route templates, tool names, methods and status codes, never org or agent
ids: the label sets stay small and the metrics reveal nothing about tenants.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = tuple[tuple[str, str], ...]
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_SERIES = 500  # per metric


class _Histogram:
    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.total += seconds
        for n, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[n] += 1
                return
        self.counts[-1] += 1


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._histograms: dict[str, dict[Labels, _Histogram]] = defaultdict(dict)
        self._help: dict[str, tuple[str, str]] = {}

    # --- what the server reports ---------------------------------------------------------
    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        # Any token parses as an HTTP method: an unknown one is "other", never its text.
        known = method if method in _METHODS else "other"
        labels = (("method", known), ("route", route), ("status", str(status)))
        self.inc("spark_http_requests_total", labels, "HTTP requests by route and status")
        self.observe(
            "spark_http_request_duration_seconds",
            (("route", route),),
            seconds,
            "HTTP request latency by route",
        )

    def tool_call(self, tool: str, ok: bool, seconds: float) -> None:
        labels = (("tool", tool), ("outcome", "ok" if ok else "error"))
        self.inc("spark_mcp_tool_calls_total", labels, "MCP tool calls by tool and outcome")
        self.observe(
            "spark_mcp_tool_duration_seconds", (("tool", tool),), seconds, "MCP tool latency"
        )

    def rate_limited(self) -> None:
        self.inc("spark_rate_limited_total", (), "requests refused with 429")

    def epoch(self, counts: Mapping[str, int], seconds: float) -> None:
        """One curation epoch the server queued has finished, with its decision counts."""
        self.inc("spark_curation_epochs_total", (), "curation epochs the server queued, done")
        for action, count in counts.items():
            self.inc(
                "spark_curation_events_total",
                (("action", action),),
                "curation decisions by action (created, merged, rejected, ...)",
                count,
            )
        self.observe(
            "spark_curation_epoch_duration_seconds", (), seconds, "curation epoch duration"
        )

    def epoch_failed(self) -> None:
        self.inc("spark_curation_failures_total", (), "background curation epochs that failed")

    # --- primitives ----------------------------------------------------------------------------
    def inc(self, name: str, labels: Labels, help_text: str, value: float = 1.0) -> None:
        with self._lock:
            self._help.setdefault(name, ("counter", help_text))
            series = self._counters[name]
            labels = _bounded(series, labels)
            series[labels] = series.get(labels, 0.0) + value

    def observe(self, name: str, labels: Labels, seconds: float, help_text: str) -> None:
        with self._lock:
            self._help.setdefault(name, ("histogram", help_text))
            series = self._histograms[name]
            series.setdefault(_bounded(series, labels), _Histogram()).observe(seconds)

    def render(self) -> str:
        with self._lock:
            lines: list[str] = []
            for name in sorted(self._help):
                kind, help_text = self._help[name]
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
                if kind == "counter":
                    lines += _counter_lines(name, self._counters[name].items())
                else:
                    for labels, hist in sorted(self._histograms[name].items()):
                        lines += _histogram_lines(name, labels, hist)
            return "\n".join(lines) + "\n"


def _bounded(series: Mapping[Labels, object], labels: Labels) -> Labels:
    """``labels``, or every value "other" once a metric holds MAX_SERIES label sets.

    Label values come from a fixed vocabulary (route templates, tool names, methods), so
    the cap is a backstop: whatever a client sends, a metric never holds more series."""
    if labels in series or len(series) < MAX_SERIES:
        return labels
    return tuple((key, "other") for key, _ in labels)


def _counter_lines(name: str, series: Iterable[tuple[Labels, float]]) -> list[str]:
    return [f"{name}{_fmt(labels)} {value:g}" for labels, value in sorted(series)]


def _histogram_lines(name: str, labels: Labels, hist: _Histogram) -> list[str]:
    out = []
    cumulative = 0
    for bound, count in zip((*BUCKETS, float("inf")), hist.counts, strict=True):
        cumulative += count
        le = "+Inf" if bound == float("inf") else f"{bound:g}"
        out.append(f"{name}_bucket{_fmt((*labels, ('le', le)))} {cumulative}")
    out.append(f"{name}_sum{_fmt(labels)} {hist.total:.6f}")
    out.append(f"{name}_count{_fmt(labels)} {cumulative}")
    return out


def _fmt(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
