"""`spark export` and `spark import` as a user runs them: files, summaries, refusals."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from spark_memory.cli.main import cli
from spark_memory.config import Settings
from spark_memory.service import Spark
from tests.service.test_transfer import fill


def run(home: Path, *args: str) -> tuple[int, str]:
    """Exit code and standard output (messages on stderr are left out)."""
    env = {"SPARK_HOME": str(home), "SPARK_EMBEDDER": "hash", "SPARK_DATABASE_URL": ""}
    result = CliRunner(env=env).invoke(cli, list(args))
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def make_source(home: Path) -> None:
    with Spark.open(Settings.load({"SPARK_HOME": str(home)}, embedder="hash")) as spark:
        fill(spark.store)


def test_export_then_import_into_another_home(tmp_path: Path) -> None:
    source, target, file = tmp_path / "a", tmp_path / "b", tmp_path / "all.jsonl"
    make_source(source)
    code, out = run(source, "export", "-o", str(file), "--json")
    assert code == 0, out
    assert json.loads(out)["counts"]["snippet"] == 8
    assert not file.with_name("all.jsonl.partial").exists()
    code, out = run(target, "import", str(file), "--json")
    assert code == 0, out
    assert json.loads(out)["counts"]["trace"] == 6
    code, out = run(target, "import", str(file))
    assert code == 0, out
    assert "skipped 4 audit records" in out


def test_an_org_goes_to_stdout(tmp_path: Path) -> None:
    make_source(tmp_path)
    code, out = run(tmp_path, "export", "--org", "org-b", "--no-vectors")
    assert code == 0, out
    header = json.loads(out.splitlines()[0])
    assert (header["org"], header["vectors"]) == ("org-b", None)


def test_bad_requests_exit_2_with_a_message(tmp_path: Path) -> None:
    code, out = run(tmp_path, "export", "--json")
    assert code == 2
    assert "needs --output" in out
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"kind": "header"}\n', encoding="utf-8")
    code, out = run(tmp_path, "import", str(broken))
    assert code == 2
    assert "error: not a Spark export" in out


def test_import_reembeds_with_the_configured_model(tmp_path: Path) -> None:
    source, target, file = tmp_path / "a", tmp_path / "b", tmp_path / "all.jsonl"
    make_source(source)  # vectors of a 64-dim hash model
    assert run(source, "export", "-o", str(file))[0] == 0
    code, out = run(target, "import", str(file), "--reembed", "--json")
    assert code == 0, out
    assert json.loads(out)["embedded"] == 8 + 4
    with Spark.open(Settings.load({"SPARK_HOME": str(target)}, embedder="hash")) as spark:
        assert spark.store.embedding_space() == spark.space  # the configured one, not the file's
