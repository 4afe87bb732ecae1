"""Without pgserver the PostgreSQL tests skip loudly on a laptop and fail under CI=true.

Runs pytest in a child process where `pgserver` cannot be imported (a stub package
shadows it), so the policy in conftest.py is tested the way a developer meets it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.child_pytest import REPO, run_one_test

ONE_TEST = "tests/store/test_contract.py::test_integrity_check_is_clean"


def run_without_pgserver(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    stub = tmp_path / "stub" / "pgserver"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text('raise ImportError("hidden by a test", name="pgserver")\n')
    path = os.pathsep.join([str(stub.parent), str(REPO)])
    return run_one_test(ONE_TEST, ci, {"PYTHONPATH": path})


@pytest.mark.slow
def test_a_developer_without_pgserver_sees_a_loud_skip(tmp_path: Path) -> None:
    done = run_without_pgserver(tmp_path, ci=None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout
    assert "PostgreSQL backend NOT TESTED" in done.stdout
    assert "pgserver is not installed" in done.stdout


@pytest.mark.slow
def test_ci_without_pgserver_fails(tmp_path: Path) -> None:
    done = run_without_pgserver(tmp_path, ci="true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed, 1 error" in done.stdout
    assert "CI=true: the PostgreSQL tests must run in CI" in done.stdout
