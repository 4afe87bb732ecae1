"""`spark ask`: the coach from the command line, over a real store in a temp home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from spark_memory.cli.main import cli
from tests.coach.conftest import APPEND_ERROR, open_spark

TASK = "In pandas, how do I replace rare values using value_counts() and where?"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    open_spark(tmp_path).close()
    return tmp_path


def run(home: Path, *args: str) -> Result:
    env = {"SPARK_HOME": str(home), "SPARK_EMBEDDER": "hash", "SPARK_LLM_BASE_URL": ""}
    return CliRunner().invoke(cli, ["ask", *args], env=env)


def test_prints_a_readable_recommendation(home: Path) -> None:
    result = run(home, TASK, "--env", "pandas=1.5.3")
    assert result.exit_code == 0, result.output
    assert "Steps:" in result.output
    assert "Sources:" in result.output
    assert "pandas.Series.value_counts" in result.output
    assert "intent: " in result.output
    assert "mode: extractive" in result.output


def test_json_is_the_typed_recommendation(home: Path) -> None:
    result = run(home, TASK, "--env", "pandas=1.5.3", "--json", "--budget", "300")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mode"] == "extractive"
    assert data["tokens"]["budget"] == 300
    assert data["tokens"]["used"] <= 300
    assert data["intent"]["versions"] == {"pandas": "1.5.3"}
    assert all(c["reason"] for c in data["citations"])


def test_code_file_and_error(home: Path, tmp_path: Path) -> None:
    code = tmp_path / "job.py"
    code.write_text("import pandas as pd\ndf = df.append(row)\n")
    result = run(home, "add a row", "--code", str(code), "--error", APPEND_ERROR, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["intent"]["error_signature"] == APPEND_ERROR
    assert data["queries"][0]["purpose"] == "error"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "the task is empty"),
        ([TASK, "--budget", "5"], "budget_tokens"),
        ([TASK, "--env", "pandas"], "expected PKG=VERSION"),
        ([TASK, "--mode", "llm"], "no LLM configured"),
    ],
)
def test_bad_input_exits_with_a_message(home: Path, args: list[str], message: str) -> None:
    result = run(home, *args)
    assert result.exit_code == (1 if "LLM" in message else 2)
    assert message in result.output
