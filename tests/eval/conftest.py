"""Fixtures for the DS-1000 tests: the shared data and the pinned execution environment.

The harness tests that execute real problems need the pinned environment (several
GB: torch, tensorflow). They look for it at $SPARK_EVAL_ENV, then /work/ds1000-env,
and are skipped with a loud reason when neither exists; CI sets SPARK_EVAL_ENV.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from spark_memory.eval.environment import env_python

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ds1000"
DEFAULT_ENV = Path("/work/ds1000-env")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    folder = Path(os.environ.get("SPARK_DS1000_DIR") or DEFAULT_DATA)
    if not (folder / "ds1000-dev.jsonl.gz").is_file():
        pytest.skip(f"DS-1000 DEV DATA NOT FOUND at {folder}: set SPARK_DS1000_DIR")
    return folder


@pytest.fixture(scope="session")
def pinned_python() -> Path:
    env_dir = Path(os.environ.get("SPARK_EVAL_ENV") or DEFAULT_ENV)
    python = env_python(env_dir)
    if not python.is_file():
        pytest.skip(
            f"PINNED DS-1000 ENVIRONMENT NOT FOUND at {env_dir}: these tests execute real "
            "problems; create it with `spark eval setup --path DIR` and set SPARK_EVAL_ENV=DIR"
        )
    return python


def _problem_row(
    problem_id: int,
    code_context: str,
    *,
    library: str = "Numpy",
    reference_code: str = "result = 1",
    perturbation_type: str = "Origin",
) -> dict[str, Any]:
    """One problem in the upstream simplified format."""
    return {
        "prompt": f"problem {problem_id}",
        "reference_code": reference_code,
        "code_context": code_context,
        "metadata": {
            "problem_id": problem_id,
            "library_problem_id": problem_id,
            "library": library,
            "test_case_cnt": 1,
            "perturbation_type": perturbation_type,
            "perturbation_origin_id": problem_id,
        },
    }


def _write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def problem_row() -> Any:
    return _problem_row


@pytest.fixture
def write_jsonl() -> Any:
    return _write_jsonl


@pytest.fixture
def result_is_one() -> str:
    """A code_context in upstream's shape: the candidate must leave `result` equal to 1."""
    return RESULT_IS_ONE


RESULT_IS_ONE = """
exec_context = r'''
[insert]
'''

def test_execution(solution: str):
    env = {}
    exec(exec_context.replace("[insert]", solution), env)
    assert env["result"] == 1
"""
