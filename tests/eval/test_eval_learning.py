"""`spark eval learning` end to end on two real Origin problems, executed in the pinned env.

The hash embedder keeps it fast; what is checked is what a reader of the report
relies on: the files, the split, the counts adding up, nothing cited before
curation, and the user's own store left alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from spark_memory.cli.main import cli

TYPES = {"Surface", "Semantic", "Difficult-Rewrite"}


def run(home: Path, env: Path, data_dir: Path, out: Path) -> dict[str, Any]:
    args = ["--home", str(home), "eval", "learning", "--sample", "2", "--embedder", "hash"]
    args += ["--env", str(env), "--data-dir", str(data_dir), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"report: {out / 'learning.md'}" in result.output
    report: dict[str, Any] = json.loads((out / "learning.json").read_text("utf-8"))
    return report


@pytest.mark.slow
def test_eval_learning_sample_writes_a_report_and_reuses_verdicts(
    tmp_path: Path, data_dir: Path, pinned_python: Path
) -> None:
    home, out = tmp_path / "home", tmp_path / "report"
    env = pinned_python.parent.parent
    report = run(home, env, data_dir, out)

    for name in ("learning.md", "hit3_newcomer.png", "hit3_members.png", "noise_newcomer.png"):
        assert (out / name).stat().st_size > 0, name
    meta = report["meta"]
    assert "Origin problems only" in meta["split"]
    assert "family = (library, origin problem)" in meta["split"]
    assert (meta["seed"], meta["sample"], meta["mode"]) == (7, 2, "sample")
    assert meta["spark_version"]
    assert meta["embedder"].startswith("spark-test-hash")
    markdown = (out / "learning.md").read_text("utf-8")
    assert "**Split:** experience is learned from Origin problems only" in markdown

    assert report["origins"] == 2
    assert report["attempts"] == 2 * len(report["agents"]) == report["traces"]
    assert report["curation"]["traces_in"] == report["traces"]
    assert sum(report["questions"].values()) > 0
    for asker in ("newcomer", "members"):
        assert set(report["before"][asker]) == TYPES
        for kind in TYPES:
            before, after = report["before"][asker][kind], report["after"][asker][kind]
            assert before["hit_at_3"] == 0.0  # nothing is learned before curation
            assert before["cited"] == 0
            for value in (after["hit_at_3"], after["hit_at_1"], after["noise"]):
                assert 0.0 <= value <= 1.0
            assert after["hit_at_1"] <= after["hit_at_3"] <= after["coverage"] <= 1.0
    assert report["executed_now"] > 0
    # the run's store was temporary: the user's home gets the verdict cache, no database
    assert (home / "eval-cache" / "learning-executions.json").is_file()
    assert not (home / "spark.db").exists()

    again = run(home, env, data_dir, tmp_path / "again")
    assert again["executed_now"] == 0  # every verdict came from the cache
    assert again["origin_ids"] == report["origin_ids"]  # the seed fixes the sample
    assert again["attempts_passed"] == report["attempts_passed"]
