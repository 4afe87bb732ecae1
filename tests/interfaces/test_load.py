"""Sixteen concurrent simulated agents on loopback (benchmarks/bench_load.py, bounded).

80% reads, 20% writes, at most 800 operations or 20 seconds; every acknowledged write
must be in the store after the server is killed with SIGKILL, and no request may get a
5xx. Latencies are printed (p50/p99 per verb), not asserted: CI machines vary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

pytestmark = pytest.mark.load


def test_sixteen_agents_lose_no_acknowledged_write(tmp_path: Path) -> None:
    import bench_load

    args = ["--agents", "16", "--seconds", "20", "--max-ops", "800", "--baseline-ops", "60"]
    code = bench_load.main([*args, "--snippets", "300", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "load.json").read_text("utf-8"))
    assert report["server_errors"] == 0
    assert report["lost"] == {"traces": 0, "insights": 0, "feedback": 0}
    assert report["errors"] == {}
    assert code == 0
    counts = {row["verb"]: row["count"] for row in report["verbs"]}
    assert all(n > 0 for n in counts.values()), counts
    reads = sum(n for v, n in counts.items() if v in bench_load.READS)
    assert 0.7 < reads / sum(counts.values()) < 0.9
    assert sum(report["acknowledged"].values()) > 50
