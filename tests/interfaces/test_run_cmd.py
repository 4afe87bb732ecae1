"""`spark run -- COMMAND`: the outcome becomes a trace tied to what the session was served,
and a verified vote on each of those ids; the command's exit code passes through."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mcp import Client
from spark_memory.cli.main import cli
from spark_memory.cli.run_cmd import classify, failing_tests, first_error
from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL, Outcome
from spark_memory.store.sqlite import SqliteStore
from tests.interfaces.server import SPARK, Server, seed
from tests.mcp.agent import data, over_stdio

PYTEST_OUTPUT = """\
tests/test_x.py F.
=================================== FAILURES ===================================
___________________________________ test_sum ___________________________________
    def test_sum():
>       df["s"] = df.groupby("a")["b"].sum()
E       ValueError: cannot reindex on an axis with duplicate labels
tests/test_x.py:4: ValueError
=========================== short test summary info ============================
FAILED tests/test_x.py::test_sum - ValueError: cannot reindex on an axis with duplicate labels
ERROR tests/test_y.py::test_setup
========================= 1 failed, 1 passed in 0.12s ==========================
"""

UNITTEST_OUTPUT = """\
======================================================================
FAIL: test_mean (pkg.tests.TestStats)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "pkg/tests.py", line 9, in test_mean
AssertionError: 2.5 != 3
"""


def test_failing_tests_and_the_error_are_read_from_pytest_and_unittest_output() -> None:
    assert failing_tests(PYTEST_OUTPUT) == [
        "tests/test_x.py::test_sum",
        "tests/test_y.py::test_setup",
    ]
    assert (
        first_error(PYTEST_OUTPUT) == "ValueError: cannot reindex on an axis with duplicate labels"
    )
    assert failing_tests(UNITTEST_OUTPUT) == ["pkg.tests.TestStats.test_mean"]
    assert first_error(UNITTEST_OUTPUT) == "AssertionError: 2.5 != 3"


@pytest.mark.parametrize(
    ("command", "code", "outcome"),
    [
        (["pytest", "-x"], 0, Outcome.PASSED),
        (["pytest", "-x"], 1, Outcome.FAILED),
        (["python", "-m", "pytest"], 5, Outcome.UNKNOWN),
        (["python", "-m", "pytest"], 2, Outcome.ERROR),
        (["make", "test"], 2, Outcome.FAILED),
        (["nosuchcommand"], 127, Outcome.ERROR),
        (["sleep", "9"], -9, Outcome.ERROR),
    ],
)
def test_exit_codes_become_outcomes(command: list[str], code: int, outcome: Outcome) -> None:
    assert classify(command, code) == outcome


def run(*args: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(cli, [*args], env=env)


def test_a_local_run_credits_what_the_mcp_session_served(tmp_path: Path) -> None:
    seed(tmp_path)
    session = f"local-{uuid.uuid4().hex[:6]}"
    env = {"SPARK_HOME": str(tmp_path), "SPARK_EMBEDDER": "hash", "SPARK_SESSION": session}

    async def ask(client: Client) -> Any:
        return data(await client.call_tool("recommend", {"task": "unique values of a series"}))

    cited = over_stdio(SPARK, env, ask)["cited_ids"]
    failing = run(
        "run", "--", sys.executable, "-c", "raise SystemExit('ValueError: boom')", env=env
    )
    passing = run("run", "--", sys.executable, "-c", "print('all good')", env=env)
    assert failing.exit_code == 1
    assert passing.exit_code == 0
    assert "all good" in passing.output
    assert f"{len(cited)} verified vote" in passing.output
    store = SqliteStore(Settings.load(environ={}, home=tmp_path).db_path)
    try:
        traces = store.list_traces(LOCAL_PRINCIPAL.org_id)
        votes = {t: [f.verified for f in store.list_feedback(t)] for t in cited}
    finally:
        store.close()
    assert [t.outcome for t in sorted(traces, key=lambda t: t.created)] == [
        Outcome.FAILED,
        Outcome.PASSED,
    ]
    assert all(set(t.served_ids) == set(cited) for t in traces)
    assert traces[0].environment["python"]
    # The second run re-tested the same advice: its vote replaced the first.
    assert all(v == [Outcome.FAILED, Outcome.PASSED] for v in votes.values())


def test_a_remote_run_is_recorded_by_the_server(server: Server) -> None:
    session = f"remote-{uuid.uuid4().hex[:6]}"
    with server.client("writer", session=session) as spark:
        rec = spark.recommend("sort an array and get the indices")
    env = {"SPARK_API_KEY": server.keys["writer"], "SPARK_SESSION": session}
    result = run("--server", server.url, "run", "--", sys.executable, "-c", "pass", env=env)
    assert result.exit_code == 0
    assert f"{len(rec.citations)} verified vote" in result.output


def test_a_command_that_cannot_start_is_recorded_as_an_error(tmp_path: Path) -> None:
    env = {"SPARK_HOME": str(tmp_path), "SPARK_EMBEDDER": "hash", "SPARK_SESSION": "s"}
    result = run("run", "--", "no-such-command-anywhere", env=env)
    assert result.exit_code == 127
    assert "cannot run 'no-such-command-anywhere'" in result.output
    assert "recorded this run (error)" in result.output


def test_a_run_that_cannot_be_recorded_still_returns_the_commands_exit_code(server: Server) -> None:
    env = {"SPARK_API_KEY": "", "SPARK_SESSION": "s"}
    result = run("--server", server.url, "run", "--", sys.executable, "-c", "exit(3)", env=env)
    assert result.exit_code == 3
    assert "not recorded" in result.output
