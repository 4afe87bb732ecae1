"""The learning and poisoning benchmarks run in their reduced modes (CI runs these).

They execute real DS-1000 answers in the pinned environment, so they need the data
split beside the repository and ``$SPARK_EVAL_ENV`` (``scripts/test`` creates it).
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
def test_learning_benchmark_sample(tmp_path: Path) -> None:
    learning_traces = pytest.importorskip("learning_traces")
    from spark_memory.eval.environment import env_python

    if not learning_traces.DEFAULT_DATA.is_dir():
        pytest.skip(f"no DS-1000 data at {learning_traces.DEFAULT_DATA}")
    if not env_python(learning_traces.DEFAULT_ENV).is_file():
        pytest.skip(f"no pinned DS-1000 environment at {learning_traces.DEFAULT_ENV}")
    import bench_learning

    args = ["--sample", "4", "--embedder", "hash", "--out", str(tmp_path)]
    assert bench_learning.main(args) == 0
    report = json.loads((tmp_path / "learning-sample-recommend.json").read_text("utf-8"))
    assert report["origins"] == 4
    assert report["traces"] > 0
    assert set(report["after"]["newcomer"]) == {"Surface", "Semantic", "Difficult-Rewrite"}
    assert report["before"]["newcomer"]["Surface"]["hit_at_3"] == 0.0  # nothing learned yet
    assert report["curation"]["traces_in"] == report["traces"]
