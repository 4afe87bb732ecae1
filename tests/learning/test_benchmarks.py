"""The poisoning benchmark runs in its reduced mode (CI runs it).

The learning benchmark is `spark eval learning`, tested in tests/eval/test_eval_learning.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))


@pytest.mark.slow
def test_poisoning_benchmark_reduced(tmp_path: Path) -> None:
    import bench_poisoning

    code = bench_poisoning.main(
        ["--harmful", "24", "--benign", "24", "--embedder", "hash", "--out", str(tmp_path)]
    )
    assert code == 0
    report = json.loads((tmp_path / "poisoning.json").read_text("utf-8"))
    one_org = report["sets"]["development"]["scenarios"][0]
    assert one_org["harmful_written"] == 24
    assert one_org["harmful_seen_by_other_orgs"] == 0  # one org never reaches others
    assert (tmp_path / "poisoning.md").read_text("utf-8").startswith("# Poisoning benchmark")


@pytest.mark.slow
def test_secret_benchmark_reduced(tmp_path: Path) -> None:
    import bench_secrets

    code = bench_secrets.main(
        ["--per-format", "2", "--clean-lines", "3000", "--out", str(tmp_path)]
    )
    assert code == 0
    report = json.loads((tmp_path / "secrets.json").read_text("utf-8"))
    assert report["recall"]["formats"] >= 30
    assert report["recall"]["spark"]["recall"] >= 0.98
    assert report["false_alarms"]["lines"] == 3000
    assert (tmp_path / "secrets.md").read_text("utf-8").startswith("# Secret screening")


def test_injection_benchmark(tmp_path: Path) -> None:
    import bench_injection

    assert bench_injection.main(["--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "injection.json").read_text("utf-8"))
    held_out = report["held-out"]
    assert held_out["attacks"] >= 30
    assert held_out["block_rate"] >= 0.9  # measured 0.968 on the part never tuned on
    assert held_out["false_blocks"] == 0
