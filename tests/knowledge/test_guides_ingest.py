"""`spark kb ingest --guides` on a real SQLite store: sources (folder, git tag, known
folders), idempotent re-ingest, guides beside docstrings, and refused names."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.knowledge.doctree import is_doc_section
from spark_memory.knowledge.ingest import ingest
from spark_memory.models import Snippet, SnippetKind
from spark_memory.service import Spark
from tests.knowledge.conftest import FIXTURES

NUMPY_DOCS = FIXTURES / "guides" / "numpy-1.26.4"
APIS = ["numpy.argsort", "numpy.reshape", "numpy.ravel", "numpy.ones", "numpy.amax"]


def api(symbol: str, version: str = "1.26.4") -> Snippet:
    return Snippet.build(
        library="numpy",
        version=version,
        symbol=symbol,
        kind=SnippetKind.API,
        title=symbol,
        text=f"{symbol}(a)\n\nDocstring of {symbol}.",
    )


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store holding numpy docstrings (as `spark kb ingest numpy` leaves them)."""
    monkeypatch.setenv("SPARK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SPARK_EMBEDDER", "hash")
    monkeypatch.delenv("SPARK_GUIDE_DIRS", raising=False)
    with Spark.open(Settings.load()) as spark:
        ingest([api(s) for s in APIS], spark.store, spark.embedder)
    return tmp_path / "home"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def snippets(home: Path) -> list[Snippet]:
    with Spark.open(Settings.load(home=home)) as spark:
        return [s for batch in spark.store.iter_snippets() for s in batch]


def guides(home: Path) -> dict[str, Snippet]:
    return {s.title: s for s in snippets(home) if is_doc_section(s)}


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_a_folder_ingests_once_and_a_second_run_embeds_nothing(home: Path) -> None:
    first = run("kb", "ingest", "--guides", str(NUMPY_DOCS), "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["ingest"]["inserted"] == 7
    assert report["guides"][0]["library"] == "numpy"
    second = json.loads(run("kb", "ingest", "--guides", str(NUMPY_DOCS), "--json").output)
    assert (second["ingest"]["embedded"], second["ingest"]["unchanged"]) == (0, 7)


def test_guide_apis_are_stored_and_resolved_against_the_docstrings(home: Path) -> None:
    assert run("kb", "ingest", "--guides", str(NUMPY_DOCS)).exit_code == 0
    methods = guides(home)["Array methods"]
    # only what the knowledge base documents: numpy.argsort yes, numpy.choose (no
    # docstring in this store) no
    assert set(methods.apis) == {"numpy.argsort", "numpy.amax", "numpy.ravel", "numpy.reshape"}
    shown = json.loads(run("kb", "show", methods.id, "--json").output)
    assert set(shown["apis"]) == set(methods.apis)


def test_guides_and_docstrings_of_one_version_never_delete_each_other(
    home: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "numpy-1.26.4"
    shutil.copytree(NUMPY_DOCS, tree)
    assert run("kb", "ingest", "--guides", str(tree)).exit_code == 0
    with Spark.open(Settings.load(home=home)) as spark:  # docstrings re-harvested, one gone
        ingest(
            [api(s) for s in APIS[:-1]],
            spark.store,
            spark.embedder,
            owns=lambda s: not is_doc_section(s),
        )
    assert len(guides(home)) == 7
    assert {s.symbol for s in snippets(home) if not is_doc_section(s)} == set(APIS[:-1])
    (tree / "reference" / "arrays.ndarray.rst").unlink()  # a page left the docs
    assert run("kb", "ingest", "--guides", str(tree)).exit_code == 0
    assert "Array methods" not in guides(home)
    assert len(guides(home)) == 6
    assert {s.symbol for s in snippets(home) if not is_doc_section(s)} == set(APIS[:-1])


def test_a_git_source_is_read_at_its_tag(home: Path, tmp_path: Path) -> None:
    repo = tmp_path / "numpy-repo"
    shutil.copytree(NUMPY_DOCS, repo / "doc")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "docs")
    git(repo, "tag", "v1.26.4")
    page = repo / "doc" / "user" / "later.rst"
    page.write_text("Later\n=====\n\nWritten after the release.\n", encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "after the tag")

    result = run("kb", "ingest", "--guides", f"git+{repo}@v1.26.4", "--library", "numpy")
    assert result.exit_code == 0, result.output
    found = guides(home)
    assert "Array methods" in found
    assert "Later" not in found
    assert {s.version for s in found.values()} == {"1.26.4"}  # the tag, without its v
    missing = run("kb", "ingest", "--guides", f"git+{repo}@v9.9", "--library", "numpy")
    assert missing.exit_code == 2
    assert "cannot clone" in missing.output


def test_known_sources_come_from_the_guide_folders(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(NUMPY_DOCS, folder / "numpy-1.26.4")
    monkeypatch.setenv("SPARK_GUIDE_DIRS", str(folder))
    result = run("kb", "ingest", "--guides", "known", "numpy")
    assert result.exit_code == 0, result.output
    assert "numpy 1.26.4 guides from" in result.output
    assert len(guides(home)) == 7


def test_guides_join_the_version_whose_docstrings_the_kb_holds(home: Path, tmp_path: Path) -> None:
    with Spark.open(Settings.load(home=home)) as spark:
        spark.kb_remove("numpy")
        ingest([api(s, "1.26.0") for s in APIS], spark.store, spark.embedder)
    result = run("kb", "ingest", "--guides", str(NUMPY_DOCS))
    assert result.exit_code == 0
    assert "numpy 1.26.4 guides filed under 1.26.0" in result.output
    assert {s.version for s in snippets(home)} == {"1.26.0"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--guides", str(NUMPY_DOCS), "--library", "../../evil"],
            "not a library name: '../../evil'",
        ),
        (["scikit-learn"], "unknown library 'scikit-learn'; did you mean sklearn?"),
        (["sklaern"], "did you mean sklearn? Known: matplotlib, numpy, pandas, scipy, sklearn"),
        (["--guides", "debian:python-nothing-doc"], "python-nothing-doc is not installed"),
        (["--guides", str(FIXTURES / "nothing-here")], "no such folder"),
        (["--library", "numpy"], "--library names the library of a --guides source"),
    ],
)
def test_bad_names_exit_2_and_change_nothing(home: Path, args: list[str], message: str) -> None:
    before = sorted(s.id for s in snippets(home))
    result = run("kb", "ingest", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert sorted(s.id for s in snippets(home)) == before
