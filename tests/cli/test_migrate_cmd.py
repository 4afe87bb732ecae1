"""`spark migrate` on both backends: applies what is pending, says so, then nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spark_memory.cli.main import cli
from tests.conftest import PostgresDatabases


def run(home: Path, *args: str, url: str = "") -> tuple[int, str]:
    env = {"SPARK_DATABASE_URL": url, "SPARK_HOME": str(home)}
    result = CliRunner(env=env).invoke(cli, ["migrate", *args])
    return result.exit_code, result.output


def check_applies_once(home: Path, url: str, backend: str) -> None:
    code, out = run(home, "--json", url=url)
    assert code == 0, out
    first = json.loads(out)
    assert first["backend"] == backend
    assert first["applied"][0]["version"] == 1
    assert first["version"] == first["applied"][-1]["version"]
    code, out = run(home, "--json", url=url)
    assert code == 0, out
    assert json.loads(out) == {**first, "applied": []}
    code, out = run(home, url=url)
    assert "nothing to apply" in out
    assert f"schema version {first['version']}" in out


def test_migrate_sqlite(tmp_path: Path) -> None:
    check_applies_once(tmp_path, "", "sqlite")
    code, out = run(tmp_path / "new")
    assert code == 0, out
    assert out.startswith("applied 0001_initial")


def test_migrate_postgres(postgres: PostgresDatabases, tmp_path: Path) -> None:
    url = postgres.empty_url()
    check_applies_once(tmp_path, url, "postgres")
    _, out = run(tmp_path, "--json", url=url)
    assert "postgres@" not in out  # the location never shows credentials


@pytest.mark.parametrize("url", ["mysql://u:secret@h/db", "postgresql://u:secret@127.0.0.1:1/db"])
def test_migrate_a_bad_url_exits_with_a_message(tmp_path: Path, url: str) -> None:
    code, out = run(tmp_path, url=url)
    assert code in (1, 2)
    assert out.startswith("error: ")
    assert "secret" not in out
