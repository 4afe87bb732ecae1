"""The `spark` command line on a real SQLite store, as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from spark_memory.cli.main import LAZY_COMMANDS, cli, load_command
from spark_memory.config import Settings
from spark_memory.errors import EmbeddingMismatch
from spark_memory.models import LOCAL_PRINCIPAL, Snippet, SnippetKind
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.service import Spark

DOCS = [
    (
        "pandas",
        "1.5.3",
        "pandas.Series.value_counts",
        "Return a Series containing counts of unique values.",
    ),
    (
        "pandas",
        "1.5.3",
        "pandas.DataFrame.groupby",
        "Group DataFrame using a mapper or by a Series of columns.",
    ),
    (
        "pandas",
        "1.5.3",
        "pandas.DataFrame.merge",
        "Merge DataFrame objects with a database-style join.",
    ),
    ("numpy", "1.26.4", "numpy.argsort", "Returns the indices that would sort an array."),
    ("numpy", "1.26.4", "numpy.unique", "Find the unique elements of an array."),
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPARK_HOME", str(tmp_path))
    monkeypatch.setenv("SPARK_EMBEDDER", "hash")
    with Spark.open(Settings.load()) as spark:
        snippets = [
            Snippet.build(
                library=lib,
                version=ver,
                symbol=sym,
                kind=SnippetKind.API,
                title=sym.rsplit(".", 1)[-1],
                text=text,
            )
            for lib, ver, sym, text in DOCS
        ]
        vectors = spark.embedder.embed([s.embed_text for s in snippets])
        spark.store.upsert_snippets(snippets, vectors, spark.space)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def fingerprint(home: Path) -> tuple[int, list[str]]:
    with Spark.open(Settings.load(home=home)) as spark:
        stats = spark.stats()
        ids = sorted(s.id for batch in spark.store.iter_snippets() for s in batch)
    return stats.snippets, ids


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in ("search", "stats", "reembed", *LAZY_COMMANDS):
        assert f"\n  {command} " in result.output


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_a_lazily_loaded_command_is_the_one_its_help_line_describes(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    assert LAZY_COMMANDS[name][1] == command.get_short_help_str(limit=10_000)
    result = run(name, "--help")
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {name}" in result.output  # CliRunner names the group "cli"


def test_help_loads_none_of_the_heavy_modules() -> None:
    # `spark --help` must start fast: the service, HTTP stack and harness stay unloaded.
    code = (
        "import sys; from click.testing import CliRunner;"
        "from spark_memory.cli.main import cli;"
        "assert CliRunner().invoke(cli, ['--help']).exit_code == 0;"
        "print(' '.join(m for m in ('spark_memory.service', 'spark_memory.http.client',"
        " 'spark_memory.eval.execution', 'fastapi', 'onnxruntime') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_search_prints_readable_and_json_results(home: Path) -> None:
    result = run("search", "count the unique values of a series")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith(" 1. pandas.Series.value_counts")
    data = json.loads(run("search", "sort indices", "--json", "--library", "numpy").output)
    assert data[0]["symbol"] == "numpy.argsort"
    assert {d["library"] for d in data} == {"numpy"}
    assert set(data[0]["channels"]) <= {"bm25", "vector"}
    assert "bm25: rank 1" in run("search", "argsort indices", "--explain").output


def test_stats_reports_counts_per_library(home: Path) -> None:
    data = json.loads(run("stats", "--json").output)
    assert data["snippets"] == 5
    assert {(lib["library"], lib["snippets"]) for lib in data["libraries"]} == {
        ("numpy", 2),
        ("pandas", 3),
    }
    assert data["embedding"]["model"] == "spark-test-hash-256"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "   "], "the query is empty"),
        (["search", "x" * 9_000], "the limit is 8000"),
        (
            ["search", "groupby", "--library", "polars"],
            "unknown library polars; known: numpy, pandas",
        ),
        (["search", "groupby", "--k", "0"], "k must be between 1 and 200"),
        (["search", "groupby", "--k", "many"], "'many' is not a valid integer"),
        (["search", "groupby", "--version", "pandas"], "expected LIB=VERSION"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    home: Path, args: list[str], message: str
) -> None:
    before = fingerprint(home)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output
    assert fingerprint(home) == before


def test_a_corrupt_database_is_reported_and_left_alone(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "other"
    bad.mkdir()
    (bad / "spark.db").write_bytes(b"\x00garbage" * 512)
    result = CliRunner().invoke(cli, ["--home", str(bad), "search", "groupby"])
    assert result.exit_code == 1
    assert "not a SQLite database" in result.output
    assert (bad / "spark.db").read_bytes() == b"\x00garbage" * 512


def test_changing_model_needs_an_explicit_reembed(home: Path) -> None:
    with Spark.open(Settings.load(), embedder=HashEmbedder(dim=8)) as spark:
        with pytest.raises(EmbeddingMismatch, match="run `spark reembed`"):
            spark.search("groupby", principal=LOCAL_PRINCIPAL)
        assert spark.reembed() == 5
        assert (
            spark.search("group by columns", k=1, principal=LOCAL_PRINCIPAL)[0].symbol
            == "pandas.DataFrame.groupby"
        )
    result = CliRunner().invoke(cli, ["search", "groupby"])
    assert result.exit_code == 2
    assert "spark reembed" in result.output
    assert run("reembed", "--yes").exit_code == 0
    assert run("search", "groupby").exit_code == 0


def test_the_installed_command_starts_fast(home: Path) -> None:
    exe = Path(sys.executable).with_name("spark")
    assert exe.exists(), "the console script is not installed"
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_EMBEDDER": "hash"}
    subprocess.run([exe, "--help"], env=env, check=True, capture_output=True)
    start = time.perf_counter()
    proc = subprocess.run([exe, "--help"], env=env, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert "search" in proc.stdout
    print(f"spark --help took {elapsed * 1000:.0f} ms")  # reported, not asserted (noisy machine)


def test_explain_shows_the_guides_use_of_a_result(
    home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A how-to section's prior shows as ``used`` with its factor, not as a rank."""
    guides = tmp_path_factory.mktemp("guides")
    (guides / "counting.md").write_text(
        "# Counting\n\n## Count unique values\n\nCount the unique values of a series with"
        " `Series.value_counts`:\n\n```python\ns.value_counts()\n```\n",
        "utf-8",
    )
    ingest = run("kb", "ingest", "--guides", str(guides), "--library", "pandas",
                 "--doc-version", "1.5.3")  # fmt: skip
    assert ingest.exit_code == 0, ingest.output
    out = run("search", "count the unique values of a series", "--explain").output
    section = out.split("counting#count-unique-values", 1)[1].split("\n 2.", 1)[0]
    assert "used 1.2" in section, out
    assert "rank None" not in out
