"""harvest(): child runs, crash and timeout handling, records -> snippets, coverage."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from spark_memory.knowledge.harvest import Coverage, HarvestResult, harvest, measure_coverage
from spark_memory.models import Snippet, SnippetKind
from tests.knowledge.conftest import write_package


@pytest.fixture(scope="module")
def result(fakelib_path: Path) -> HarvestResult:
    return harvest(["fakelib"], sys_path=[str(fakelib_path)], module_timeout=1)


def by_key(result: HarvestResult) -> dict[tuple[str, str], Snippet]:
    return {(s.symbol, s.kind.value): s for s in result.snippets}


def test_api_snippet_per_documented_symbol(result: HarvestResult) -> None:
    add = by_key(result)[("fakelib.add", "api")]
    assert (add.library, add.version, add.source) == ("fakelib", "0.3.1", "fakelib.core")
    assert add.title == "fakelib.add(a, b)"
    assert add.text.startswith("fakelib.add(a, b=1)\n")
    assert "Also available as: fakelib.core.add, fakelib.total" in add.text
    assert "- a : int: First operand." in add.text
    assert add.embed_text == "fakelib.add(a, b) (also fakelib.total): Add two numbers."
    assert add.content_hash
    assert add.id.startswith("snp_")


def test_long_examples_and_notes_get_their_own_snippets(result: HarvestResult) -> None:
    found = by_key(result)
    example = found[("fakelib.add", "example")]
    assert ">>> add(1, 2)" in example.text
    assert example.kind is SnippetKind.EXAMPLE
    assert found[("fakelib.add", "note")].text.count("arbitrary") == 1
    assert ">>> add(1, 2)" not in found[("fakelib.add", "api")].text


def test_inherited_members_and_documented_attributes(result: HarvestResult) -> None:
    found = by_key(result)
    assert "Inherited from fakelib.core.Base." in found[("fakelib.Frame.describe", "api")].text
    shape = found[("fakelib.Frame.shape_", "api")]
    assert shape.text.startswith(
        "fakelib.Frame.shape_ : tuple of int\n\nRows and columns, set by fit."
    )


def test_c_like_signature_comes_from_the_docstring(result: HarvestResult) -> None:
    cumsum = by_key(result)[("fakelib.cumsum", "api")]
    assert cumsum.title == "fakelib.cumsum(x, axis)"
    assert cumsum.text.startswith("fakelib.cumsum(x, /, axis=0)\n")


def test_report_counts_problems_with_examples(result: HarvestResult) -> None:
    (lib,) = result.report.libraries
    assert lib.version == "0.3.1"
    assert not lib.crashed
    assert lib.attempts == 1
    assert lib.problems["import_error"] == 2
    assert lib.problems["module_timeout"] == 1
    assert lib.problems["getattr_error"] == 1
    assert lib.problems["malformed_docstring"] == 1
    assert lib.problem_examples["import_error"][0].startswith("fakelib.broken: ImportError")
    assert sum(lib.snippets.values()) == len(result.snippets)
    assert "fakelib 0.3.1" in result.report.render()


def test_harvest_is_deterministic(result: HarvestResult, fakelib_path: Path) -> None:
    again = harvest(["fakelib"], sys_path=[str(fakelib_path)], module_timeout=1)
    assert {s.id: s.content_hash for s in again.snippets} == {
        s.id: s.content_hash for s in result.snippets
    }
    assert len({s.id for s in result.snippets}) == len(result.snippets)


def test_a_crashing_import_is_skipped_on_a_second_run(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        "crashlib",
        {
            "__init__.py": 'def ok():\n    """Still harvested."""\n',
            "segv.py": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
        },
    )
    result = harvest(["crashlib"], sys_path=[str(tmp_path)])
    (lib,) = result.report.libraries
    assert lib.problems["crash"] == 1
    assert "crashlib.segv" in lib.problem_examples["crash"][0]
    assert lib.attempts == 2
    assert not lib.crashed
    assert [s.symbol for s in result.snippets] == ["crashlib.ok"]


def test_a_hung_child_is_killed_and_what_it_printed_is_kept(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        "hanglib",
        {
            "__init__.py": textwrap.dedent(
                '''
                import signal, time

                def alpha():
                    """Emitted before the hang."""

                class _Stuck:
                    @property
                    def __signature__(self):
                        # C code that ignores the per-module alarm: only the parent can stop it
                        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                        time.sleep(60)

                    def __call__(self):
                        pass

                zzz = _Stuck()
                zzz.__doc__ = "Never gets its signature."
                '''
            )
        },
    )
    result = harvest(["hanglib"], sys_path=[str(tmp_path)], timeout=6, module_timeout=1)
    (lib,) = result.report.libraries
    assert lib.crashed
    assert lib.problems["timeout"] == 1
    assert lib.attempts == 1
    assert [s.symbol for s in result.snippets] == ["hanglib.alpha"]


def test_missing_library_is_reported_not_raised() -> None:
    result = harvest(["no_such_library_xyz"])
    (lib,) = result.report.libraries
    assert lib.problems["import_error"] == 1
    assert result.snippets == []


def snippet(symbol: str) -> Snippet:
    return Snippet.build(
        library=symbol.split(".")[0],
        version="1",
        symbol=symbol,
        kind=SnippetKind.API,
        title=symbol,
        text="t",
    )


def test_measure_coverage_counts_names_problems_and_aliases() -> None:
    snippets = [snippet("numpy.sum"), snippet("numpy.absolute"), snippet("pandas.DataFrame.where")]
    problems = [
        ["numpy.sum", "numpy.abs"],
        ["numpy.sum"],
        ["pandas.DataFrame.where", "pandas.Series.str"],
    ]
    found = measure_coverage(snippets, problems, aliases={"numpy.abs": "numpy.absolute"})
    assert found["numpy"] == Coverage(
        "numpy", names=2, exact=1, via_alias=1, problems=2, problems_covered=1, missing=[]
    )
    assert found["pandas"].missing == ["pandas.Series.str"]
    assert found["pandas"].name_share == 0.5
    assert found["pandas"].problem_share == 0.0
