"""The CLI's fast paths: input errors before anything heavy loads, JSON errors for
scripts, `-k`, and `spark search`/`spark ask` answered by a running `spark serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from spark_memory.cli.ask_cmd import DEFAULT_BUDGET, MODES
from spark_memory.cli.main import cli
from spark_memory.coach.models import DEFAULT_BUDGET_TOKENS, Mode
from tests.interfaces.conftest import server
from tests.interfaces.server import SPARK, Server

__all__ = ["server"]

HEAVY = ("numpy", "pydantic", "spark_memory.service", "spark_memory.http.client", "fastapi")


@pytest.mark.parametrize(
    "args",
    [
        ["search", "   "],
        ["ask", ""],
        ["search", "groupby", "--version", "pandas"],
        ["ask", "a task", "--env", "pandas"],
        ["search", "groupby", "-k", "many"],
        ["nosuchcommand"],
    ],
)
def test_input_errors_exit_2_before_anything_heavy_loads(args: list[str], tmp_path: Path) -> None:
    code = (
        "import sys; from click.testing import CliRunner;"
        "from spark_memory.cli.main import cli;"
        f"r = CliRunner().invoke(cli, {args!r});"
        "print(r.exit_code);"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    env = {**os.environ, "SPARK_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    exit_code, loaded = [*proc.stdout.splitlines(), ""][:2]
    assert exit_code == "2"
    assert loaded.strip() == ""
    assert not (tmp_path / "spark.db").exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search", " ", "--json"], 2, "the query is empty"),
        (["search", "groupby", "--json", "--version", "x"], 2, "expected LIB=VERSION"),
        (["ask", "", "--json"], 2, "the task is empty"),
        (["search", "groupby", "--json", "--library", "polars"], 2, "unknown library polars"),
    ],
)
def test_json_errors_are_json_with_the_same_exit_codes(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    env = {"SPARK_HOME": str(tmp_path), "SPARK_EMBEDDER": "hash", "SPARK_API_KEY": ""}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == code
    error = json.loads(result.stdout)["error"]
    assert message in error
    plain = CliRunner().invoke(cli, [a for a in args if a != "--json"], env=env)
    assert plain.exit_code == code
    assert f"error: {message}" in plain.output or message in plain.output


def test_ask_repeats_the_coachs_modes_and_default_budget() -> None:
    assert set(MODES) == {m.value for m in Mode}
    assert DEFAULT_BUDGET == DEFAULT_BUDGET_TOKENS


def served_env(server: Server) -> dict[str, str]:
    # No SPARK_EMBEDDER=hash: the local path would refuse the store's hash vectors, so
    # an answer can only come through the server published in server.json.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARK_")}
    return {**env, "SPARK_HOME": str(server.home), "SPARK_API_KEY": server.keys["reader"]}


def spark(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SPARK, *args], env=env, capture_output=True, text=True, timeout=120)


def test_search_and_ask_answer_through_a_running_server(server: Server) -> None:
    env = served_env(server)
    found = spark(env, "search", "unique values of an array", "-k", "2", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert len(hits) == 2
    assert "numpy.unique" in [h["symbol"] for h in hits]
    readable = spark(env, "search", "merge two frames like a database join")
    assert readable.stdout.splitlines()[0].startswith(" 1. pandas.DataFrame.merge")
    asked = spark(env, "ask", "count how often each value occurs in a pandas Series")
    assert asked.returncode == 0, asked.stderr
    assert "pandas.Series.value_counts" in asked.stdout
    assert "Sources:" in asked.stdout
    assert "mode: extractive" in asked.stdout


def test_a_refusal_through_the_server_keeps_its_exit_code(server: Server) -> None:
    env = served_env(server)
    refused = spark(env, "search", "groupby", "--library", "polars", "--json")
    assert refused.returncode == 2
    assert "polars" in json.loads(refused.stdout)["error"]
    too_long = spark(env, "ask", "x" * 9_000)
    assert too_long.returncode == 2
    assert too_long.stderr.startswith("error: ")


def test_without_a_key_the_cli_uses_the_local_store(server: Server) -> None:
    env = {**served_env(server), "SPARK_API_KEY": "", "SPARK_EMBEDDER": "hash"}
    found = spark(env, "search", "unique values of an array", "--json")
    assert found.returncode == 0, found.stderr
    assert "numpy.unique" in [h["symbol"] for h in json.loads(found.stdout)]
