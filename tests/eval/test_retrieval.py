"""`spark eval retrieval` end to end on the real DS-1000 dev files and a tiny knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.eval.ds1000 import DS1000
from spark_memory.eval.retrieval import _recall, choose_problems, frequent_baseline
from spark_memory.models import Snippet, SnippetKind
from spark_memory.service import Spark

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "ds1000"


def test_recall_counts_distinct_gold_names() -> None:
    assert _recall(["a", "b", "c"], ("a", "z")) == 0.5
    assert _recall([], ("a",)) == 0.0


def test_the_baseline_is_the_most_frequent_gold_of_each_library() -> None:
    targets = DS1000(DATA).api_targets()
    baseline = frequent_baseline(targets.values())
    assert set(baseline) == {t.library for t in targets.values()}
    assert all(len(names) == 10 for names in baseline.values())
    pandas_counts = sum("pandas.DataFrame.groupby" in t.apis_core for t in targets.values())
    assert pandas_counts > 0
    assert "pandas.DataFrame.groupby" in baseline["Pandas"]


def test_eval_retrieval_writes_its_reports(tmp_path: Path) -> None:
    home = tmp_path / "home"
    problems, targets = choose_problems(DS1000(DATA), 6, 1, ["Numpy"])
    assert {p.library for p in problems} == {"Numpy"}
    gold = sorted({api for p in problems for api in targets[p.problem_id].apis_core})
    with Spark.open(Settings.load(home=home, embedder="hash")) as spark:
        snippets = [
            Snippet.build(
                library=name.split(".")[0],
                version="1",
                symbol=name,
                kind=SnippetKind.API,
                title=name,
                text=f"{name} documentation",
            )
            for name in gold
        ]
        spark.store.upsert_snippets(
            snippets, spark.embedder.embed([s.embed_text for s in snippets]), spark.space
        )
    out = tmp_path / "report"
    result = CliRunner().invoke(
        cli,
        [
            "--home",
            str(home),
            "eval",
            "retrieval",
            "--library",
            "Numpy",
            "--sample",
            "6",
            "--seed",
            "1",
            "--no-recommend",
            "--data-dir",
            str(DATA),
            "--out",
            str(out),
        ],
        env={"SPARK_EMBEDDER": "hash"},
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "retrieval.json").read_text())
    assert data["problems"] == 6
    assert data["meta"]["seed"] == 1
    row = data["table"]["library:Numpy"]
    assert set(row) == {"baseline", "bm25", "vector", "hybrid"}
    # every gold name is in this knowledge base, so some of it must be found
    assert row["hybrid"]["recall@10"] > 0
    assert (out / "retrieval.md").read_text().startswith("# Retrieval")
    assert (out / "recall10_by_library.png").stat().st_size > 1000
