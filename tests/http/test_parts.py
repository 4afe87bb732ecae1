"""The HTTP package's parts on their own: error mapping, rate buckets, the session ledger,
metrics text. No server: these are plain objects with plain inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spark_memory import errors
from spark_memory.errors import InvalidInput, RateLimited, SparkError
from spark_memory.http.errors import from_response, from_validation, http_error
from spark_memory.http.limits import RateLimiter
from spark_memory.http.metrics import Metrics
from spark_memory.models import Principal
from spark_memory.service.sessions import Ledger, local_session, session_name

ALICE = Principal(org_id="acme", agent_id="acme/alice")
BOB = Principal(org_id="globex", agent_id="globex/bob")


def leaves() -> list[type[SparkError]]:
    found, todo = [], [SparkError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", leaves(), ids=lambda c: c.__name__)
def test_every_error_survives_the_wire(cls: type[SparkError]) -> None:
    exc = RateLimited("slow down", retry_after=2.2) if cls is RateLimited else cls("why")
    status, body, headers = http_error(exc)
    back = from_response(status, body.model_dump(), headers.get("Retry-After"))
    assert status == cls.http_status
    assert type(back) is cls
    assert back.message == exc.message
    if cls is RateLimited:
        assert headers["Retry-After"] == "3"
    if cls is errors.Unauthorized:
        assert headers["WWW-Authenticate"].startswith("Bearer")


def test_a_body_without_an_error_name_maps_by_status() -> None:
    assert isinstance(from_response(404, None), errors.NotFound)
    assert type(from_response(418, {"detail": "teapot"})) is SparkError


def test_schema_violations_read_like_field_reasons() -> None:
    exc = from_validation(
        [{"loc": ("body", "query"), "msg": "String should have at most 8000 characters"}]
    )
    assert isinstance(exc, InvalidInput)
    assert exc.message == "query: String should have at most 8000 characters"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_org_has_its_own_bucket_that_refills() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.check("acme")
    with pytest.raises(RateLimited) as refused:
        limiter.check("acme")
    limiter.check("globex")
    assert refused.value.retry_after == pytest.approx(0.5)
    clock.now += 0.5
    limiter.check("acme")


def test_a_zero_rate_means_unlimited() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    for _ in range(100):
        limiter.check("acme")


def test_the_ledger_gives_what_was_served_since_the_last_run(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.served(ALICE, "s", ["snp_a", "ins_b"])
    ledger.served(ALICE, "s", ["ins_c", "snp_a"])
    ledger.served(BOB, "s", ["ins_bob"])
    first = ledger.since_last_run(ALICE, "s")
    ledger.mark_run(ALICE, "s", first, "trc_1")
    assert first == ["ins_c", "snp_a", "ins_b"]  # most recent first, once each
    assert ledger.since_last_run(ALICE, "s") == first  # a re-run tests the same advice
    ledger.served(ALICE, "s", ["ins_d"])
    assert ledger.since_last_run(ALICE, "s") == ["ins_d"]
    assert ledger.since_last_run(ALICE, "other") == []
    assert ledger.since_last_run(BOB, "s") == ["ins_bob"]


def test_the_ledger_skips_a_torn_line_and_compacts(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.served(ALICE, "s", ["ins_a"])
    path = next(tmp_path.iterdir())
    with path.open("a") as handle:
        handle.write('{"t": 1e12, "served": ["ins_')  # a write cut short by a crash
        handle.write("\n")
    ledger.served(ALICE, "s", ["ins_b"])
    assert ledger.since_last_run(ALICE, "s") == ["ins_b", "ins_a"]
    for n in range(5000):
        ledger.served(ALICE, "s", [f"ins_{n:05d}" * 4])
    assert path.stat().st_size < 300 * 1024
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_session_names(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "src" / "deep").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    from_root = local_session({}, project)
    assert local_session({}, project / "src" / "deep") == from_root
    assert from_root.startswith("proj.")
    assert local_session({"SPARK_SESSION": "mine"}, project) == "mine"
    assert session_name(None) == "default"
    with pytest.raises(InvalidInput):
        session_name("two words")


def test_metrics_render_prometheus_text() -> None:
    metrics = Metrics()
    metrics.request("POST", "/v1/search", 200, 0.02)
    metrics.request("POST", "/v1/search", 200, 7.0)
    metrics.tool_call("search", False, 0.001)
    metrics.epoch({"created": 2, "merged": 1}, 0.3)
    text = metrics.render()
    assert 'spark_http_requests_total{method="POST",route="/v1/search",status="200"} 2' in text
    assert 'spark_http_request_duration_seconds_bucket{route="/v1/search",le="0.025"} 1' in text
    assert 'spark_http_request_duration_seconds_bucket{route="/v1/search",le="+Inf"} 2' in text
    assert 'spark_mcp_tool_calls_total{outcome="error",tool="search"} 1' in text or (
        'spark_mcp_tool_calls_total{tool="search",outcome="error"} 1' in text
    )
    assert 'spark_curation_events_total{action="created"} 2' in text
    assert "# TYPE spark_curation_epochs_total counter" in text


def test_the_client_loads_no_server_module() -> None:
    """`pip install` users embed the client: it must not drag in the service or FastAPI."""
    code = (
        "import sys, spark_memory.http.client\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith("
        "('spark_memory.service', 'spark_memory.store', 'spark_memory.learning', "
        "'spark_memory.coach', 'fastapi', 'starlette')))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == ""
