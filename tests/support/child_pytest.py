"""Run one test in a child pytest, the way a developer or CI meets a skip policy.

A skip policy (PostgreSQL, the agent CLIs) decides in a conftest whether tests skip
loudly or fail under ``CI=true``; the tests of those policies run pytest again in a
child process with the environment changed, and read what it printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_one_test(
    test: str, ci: str | None, env: Mapping[str, str], *pytest_args: str
) -> subprocess.CompletedProcess[str]:
    """``pytest -q test`` in a child, with ``env`` over this environment; ``CI`` is set to
    ``ci`` (``None``: unset, as on a laptop)."""
    child = {k: v for k, v in os.environ.items() if k != "CI"}
    child.update(env)
    if ci is not None:
        child["CI"] = ci
    args: Sequence[str] = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    return subprocess.run(
        [*args, *pytest_args, test],
        cwd=REPO,
        env=child,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
