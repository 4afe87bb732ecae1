"""`spark eval retrieval` end to end on the real DS-1000 dev files and a tiny knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.eval.ds1000 import DS1000
from spark_memory.eval.retrieval import (
    RetrievalBench,
    _recall,
    choose_problems,
    distinctive_apis,
    frequent_baseline,
)
from spark_memory.models import Snippet, SnippetKind
from spark_memory.service import Spark

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "ds1000"


def test_recall_counts_distinct_gold_names() -> None:
    assert _recall([("a",), ("b",), ("c",)], ("a", "z")) == 0.5
    assert _recall([], ("a",)) == 0.0
    # one result standing for several names (a page and its aliases) covers each
    assert _recall([("a", "z")], ("a", "z")) == 1.0


def test_distinctive_apis_are_the_rare_ones_of_their_library() -> None:
    targets = DS1000(DATA).api_targets()
    rare = distinctive_apis(targets.values())
    assert "pandas.DataFrame.loc" not in rare["Pandas"]  # plumbing of many solutions
    pandas = [t for t in targets.values() if t.library == "Pandas"]
    for api in sorted(rare["Pandas"])[:20]:
        users = sum(api in t.apis_core for t in pandas)
        assert 0 < users < 0.05 * len(pandas)


def test_a_result_counts_for_its_aliases_and_a_section_for_what_it_teaches(
    tmp_path: Path,
) -> None:
    pages = [
        Snippet.build(
            library="pandas",
            version="1",
            symbol="pandas.api.typing.DataFrameGroupBy.sum",
            kind=SnippetKind.API,
            title="sum",
            text="sum()\n\nCompute sum of group values.\n\n"
            "Inherited from pandas.core.groupby.GroupBy.sum.",
        ),
        Snippet.build(
            library="pandas",
            version="1",
            symbol="pandas.core.groupby.GroupBy.sum",
            kind=SnippetKind.API,
            title="sum",
            text="sum()\n\nCompute sum of group values.",
        ),
        Snippet.build(
            library="pandas",
            version="1",
            symbol="user_guide/groupby#transformation",
            kind=SnippetKind.GUIDE,
            title="Group by > Transformation",
            text="Group by > Transformation\n\nAPIs: pandas.DataFrame.groupby\n\n"
            "```\ndf.groupby('a')['b'].transform('sum')\n```",
        ),
    ]
    with Spark.open(Settings.load(home=tmp_path, embedder="hash")) as spark:
        spark.store.upsert_snippets(
            pages, spark.embedder.embed([p.embed_text for p in pages]), spark.space
        )
        items = RetrievalBench(spark)._items([p.id for p in pages] + ["ins_unknown"])
    assert len(items) == 3  # the inherited copy and its origin are one API
    assert "pandas.api.typing.DataFrameGroupBy.sum" in items[0]
    assert "pandas.core.groupby.GroupBy.sum" in items[0]
    assert items[1] == ("pandas.DataFrame.groupby",)
    assert items[2] == ("lesson:ins_unknown",)


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
            "--off-topic",
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
    assert "distinctive_recall@10" in row["hybrid"]
    kb = data["meta"]["knowledge_base"]
    assert kb["snippets"] == len(gold)
    assert kb["guides"] is False
    # with unrelated lessons in a copy of the store, no lesson displaces documentation
    planted = data["conditions"]["off-topic lessons"]["table"]["library:Numpy"]
    assert "lessons@10" in planted["hybrid"]
    assert planted["hybrid"]["recall@10"] == row["hybrid"]["recall@10"]
    assert not (home / "spark.db").read_bytes().count(b"Pin the base image")  # a copy
    assert (out / "retrieval.md").read_text().startswith("# Retrieval")
    assert (out / "recall10_by_library.png").stat().st_size > 1000
