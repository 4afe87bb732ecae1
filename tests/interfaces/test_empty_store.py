"""An empty store says so, where it is, and what fills it; `spark stats` counts records."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL, Outcome
from spark_memory.service import Spark


def run(home: Path, *args: str) -> tuple[int, str]:
    env = {"SPARK_HOME": str(home), "SPARK_EMBEDDER": "hash", "SPARK_DATABASE_URL": ""}
    result = CliRunner(env=env).invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_search_of_an_empty_store_names_it_and_the_command_that_fills_it(
    tmp_path: Path,
) -> None:
    code, out = run(tmp_path, "search", "indices that sort an array")
    assert code == 0
    assert f"knowledge base at {tmp_path / 'spark.db'} is empty" in out
    assert "spark kb ingest" in out


def test_stats_count_insights_traces_feedback_and_agents(tmp_path: Path) -> None:
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=tmp_path)
    with Spark.open(settings) as spark:
        spark.create_key("acme", "bot", "writer", principal=LOCAL_PRINCIPAL)
        spark.record_trace("a task", outcome=Outcome.PASSED, principal=LOCAL_PRINCIPAL)
        spark.record_trace("another", outcome=Outcome.FAILED, principal=LOCAL_PRINCIPAL)
    code, out = run(tmp_path, "stats", "--json")
    assert code == 0, out
    records = json.loads(out)["records"]
    assert records == {"insights": 0, "traces": 2, "feedback": 0, "agents": 1}
    code, out = run(tmp_path, "stats")
    assert "insights: 0  traces: 2  feedback: 0  agents: 1" in out
