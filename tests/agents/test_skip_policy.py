"""Without the agent CLIs the real-agent tests skip on a laptop and fail under CI=true.

Runs pytest in a child process with ``$SPARK_AGENTS_BIN`` pointing at an empty folder,
so the policy in tests/agents/conftest.py is tested the way a developer meets it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.child_pytest import run_one_test

ONE_TEST = "tests/agents/test_tool_results.py::test_codex_gives_its_model_the_advice"


def run_without_agents(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    # tmp_path holds no claude, codex or node
    return run_one_test(ONE_TEST, ci, {"SPARK_AGENTS_BIN": str(tmp_path)}, "-rs")


@pytest.mark.slow
def test_a_developer_without_the_agents_sees_a_skip(tmp_path: Path) -> None:
    done = run_without_agents(tmp_path, ci=None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 skipped" in done.stdout
    assert "run scripts/agents-setup" in done.stdout


@pytest.mark.slow
def test_ci_without_the_agents_fails(tmp_path: Path) -> None:
    done = run_without_agents(tmp_path, ci="true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "3 error" in done.stdout
    assert "CI=true: the real-agent tests must run in CI" in done.stdout
