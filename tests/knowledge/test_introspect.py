"""introspect.py through a real child interpreter, on a fake library with every
awkward habit of a real one."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest

from spark_memory.knowledge.harvest import INTROSPECT_SCRIPT, ChildRun, run_introspect


@pytest.fixture(scope="module")
def run(fakelib_path: Path) -> ChildRun:
    return run_introspect(["fakelib"], sys_path=[str(fakelib_path)], module_timeout=1, timeout=60)


def symbols(run: ChildRun) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in run.records if r["t"] == "symbol"}


def problems(run: ChildRun) -> dict[str, str]:
    return {r["where"]: r["kind"] for r in run.records if r["t"] == "problem"}


def test_child_finishes_and_records_the_version(run: ChildRun) -> None:
    assert run.finished
    assert run.exit_code == 0
    assert not run.timed_out
    library = next(r for r in run.records if r["t"] == "library")
    assert (library["library"], library["version"]) == ("fakelib", "0.3.1")


def test_aliases_collapse_to_the_shortest_public_path(run: ChildRun) -> None:
    add = symbols(run)["fakelib.add"]
    assert add["aliases"] == ["fakelib.core.add", "fakelib.total"]
    assert "fakelib.total" not in symbols(run)
    assert "fakelib.core.add" not in symbols(run)
    assert add["signature"] == "(a, b=1)"


def test_private_home_is_named_where_it_is_public(run: ChildRun) -> None:
    assert symbols(run)["fakelib.helper"]["kind"] == "function"
    assert not any("_impl" in name for name in symbols(run))


def test_classes_members_and_inheritance(run: ChildRun) -> None:
    found = symbols(run)
    assert found["fakelib.Frame"]["bases"] == ["fakelib.Base"]
    assert found["fakelib.Frame.where"]["signature"] == "(cond, other=None)"  # self dropped
    assert found["fakelib.Frame.from_dict"]["signature"] == "(data, orient='columns')"
    assert found["fakelib.Frame.version"]["kind"] == "method"
    assert found["fakelib.Frame.size"]["kind"] == "property"  # never evaluated: it raises
    assert found["fakelib.Frame.describe"]["defined_in"] == "fakelib.core.Base"
    assert found["fakelib.Base.describe"]["defined_in"] == ""


def test_c_like_object_without_signature(run: ChildRun) -> None:
    cumsum = symbols(run)["fakelib.cumsum"]
    assert cumsum["kind"] == "object"
    assert cumsum["signature"] == ""
    doc = next(r["text"] for r in run.records if r["t"] == "doc" and r["id"] == cumsum["doc"])
    assert doc.startswith("cumsum(x, /, axis=0)")


def test_problems_are_reported_and_the_walk_goes_on(run: ChildRun) -> None:
    found = problems(run)
    assert found["fakelib.broken"] == "import_error"
    assert found["fakelib.prompt"] == "import_error"  # stdin is empty, not a terminal
    assert found["fakelib.slow"] == "module_timeout"
    assert found["fakelib.weird.boom"] == "getattr_error"
    assert "fakelib.weird.fine" in symbols(run)


def test_prints_at_import_do_not_corrupt_the_records(run: ChildRun) -> None:
    assert run.bad_lines == 0
    assert "fakelib.noisy.loud" in symbols(run)


def test_test_modules_are_skipped(run: ChildRun) -> None:
    assert not any(".tests" in name for name in symbols(run))


def test_script_imports_only_the_standard_library() -> None:
    tree = ast.parse(INTROSPECT_SCRIPT.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported - {"__future__"} <= sys.stdlib_module_names
