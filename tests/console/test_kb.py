"""The knowledge base page: a `spark kb ingest` shown with its progress, and removing a
library (the operator only, confirmed, audited), over HTTP against a real `spark serve`."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest

from spark_memory import __version__
from spark_memory.service.kb_progress import FILE_NAME, IngestProgress, recorded
from tests.console.conftest import Seeded, csrf_of, ingest_tinylib, spark_cli

pytestmark = pytest.mark.slow


@contextmanager
def client(seeded: Seeded, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=seeded.ui, follow_redirects=False, timeout=30) as signed:
        assert signed.post("/signin", data={"key": key}).status_code == 303
        yield signed


@pytest.fixture(scope="module")
def ingested(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real `spark kb ingest` of a small guide folder, as tinylib 1.0."""
    folder = tmp_path_factory.mktemp("tinylib-docs")
    ingest_tinylib(seeded, folder, "1.0")
    return str(folder)


@pytest.fixture(scope="module")
def operator_key(seeded: Seeded) -> str:
    code, out = spark_cli(seeded, "keys", "create", "--operator", "--json")
    assert code == 0, out
    secret: str = json.loads(out)["secret"]
    return secret


@pytest.fixture
def operator(seeded: Seeded, operator_key: str) -> Iterator[httpx.Client]:
    with client(seeded, operator_key) as signed:
        yield signed


def test_a_finished_ingest_is_shown(seeded: Seeded, ingested: str, operator: httpx.Client) -> None:
    with client(seeded, seeded.key("reader")) as reader:
        page = reader.get("/kb").text
    # The server's folder is the operator's to see; others read what kind of source it was.
    assert ingested not in page
    assert "a documentation source: <strong>done</strong>" in page
    assert f"{ingested}: <strong>done</strong>" in operator.get("/kb").text
    found = re.search(r"(\d+) of (\d+) snippets embedded", page)
    assert found is not None
    assert found.group(1) == found.group(2) != "0"
    assert "<td>tinylib</td><td>1.0</td>" in page


def test_a_running_ingest_shows_its_progress(seeded: Seeded) -> None:
    home = seeded.server.home
    saved = (home / FILE_NAME).read_bytes() if (home / FILE_NAME).exists() else None
    try:
        with recorded(home, "pandas numpy", lambda done, total: None) as update:
            with client(seeded, seeded.key("reader")) as reader:
                assert (
                    "pandas numpy: <strong>running</strong>, harvesting" in reader.get("/kb").text
                )
                update(150, 400)  # the first update is always written
                page = reader.get("/kb").text
            assert "pandas numpy: <strong>running</strong>, 150 of 400 snippets embedded" in page
            assert '<progress id="ingest-progress" max="400" value="150"' in page
        # A run whose process died is interrupted, not running for ever.
        dead = IngestProgress("scipy", "running", 10, 90, pid=_dead_pid(), started=1.0)
        (home / FILE_NAME).write_text(json.dumps(asdict(dead)), "utf-8")
        with client(seeded, seeded.key("reader")) as reader:
            page = reader.get("/kb").text
        assert "scipy: <strong>interrupted</strong>, 10 of 90 snippets embedded" in page
    finally:
        if saved is not None:
            (home / FILE_NAME).write_bytes(saved)


def test_the_operator_removes_a_library_confirmed_and_audited(
    seeded: Seeded, ingested: str, operator: httpx.Client, operator_key: str
) -> None:
    page = operator.get("/kb").text
    assert 'aria-label="Remove tinylib 1.0"' in page
    confirm = operator.get("/kb/remove", params={"library": "tinylib", "version": "1.0"})
    assert confirm.status_code == 200
    assert "deleted for every org" in confirm.text
    assert f"Spark {__version__} ·" in confirm.text  # the footer keeps Spark's own version
    count = re.search(r"Its (\d+) snippets", confirm.text)
    assert count is not None
    done = operator.post(
        "/kb/remove",
        data={
            "csrf": csrf_of(confirm.text),
            "library": "tinylib",
            "version": "1.0",
            "reason": "replaced by the 2.0 docs",
        },
    )
    assert done.status_code == 303
    assert f"Removed+{count.group(1)}+snippets+of+tinylib+1.0" in done.headers["location"]
    assert "<td>tinylib</td>" not in operator.get("/kb").text
    audit = httpx.get(
        f"{seeded.server.url}/v1/audit",
        headers={"Authorization": f"Bearer {operator_key}"},
        timeout=30,
    )
    assert audit.status_code == 200, audit.text
    entry = next(e for e in audit.json() if e["action"] == "kb.remove")
    assert entry["target_id"] == "tinylib==1.0"
    assert "replaced by the 2.0 docs" in entry["detail"]
    gone = operator.get("/kb/remove", params={"library": "tinylib"})
    assert gone.status_code == 404
    removed = operator.get("/kb").text.split('id="removed-h"')[1]
    assert "<td>tinylib==1.0</td>" in removed
    assert "replaced by the 2.0 docs" in removed


def test_a_removal_with_the_cli_is_audited_too(
    seeded: Seeded, operator: httpx.Client, tmp_path: Path
) -> None:
    ingest_tinylib(seeded, tmp_path, "2.0")
    code, out = spark_cli(
        seeded, "kb", "remove", "tinylib", "--version", "2.0", "--reason", "cli cleanup"
    )
    assert code == 0, out
    assert "removed 2 snippets" in out
    removed = operator.get("/kb").text.split('id="removed-h"')[1]
    assert "<td>tinylib==2.0</td>" in removed
    assert "cli cleanup" in removed
    with client(seeded, seeded.key("admin")) as admin:
        assert 'id="removed-h"' not in admin.get("/kb").text  # the operator's log only


@pytest.mark.parametrize("who", ["admin", "reader"])
def test_no_one_else_removes_from_the_shared_knowledge_base(seeded: Seeded, who: str) -> None:
    with client(seeded, seeded.key(who)) as signed:
        page = signed.get("/kb").text
        assert 'aria-label="Remove' not in page
        assert "Background jobs" not in page
        refused = signed.post(
            "/kb/remove", data={"csrf": csrf_of(page), "library": "pandas", "version": "2.2.0"}
        )
        assert refused.status_code == 403
        assert "only the operator removes from it" in refused.text
        assert "<td>pandas</td><td>2.2.0</td>" in signed.get("/kb").text


def _dead_pid() -> int:
    """A process id that no process has now."""
    pid = os.getpid() + 100_000
    while Path(f"/proc/{pid}").exists():
        pid += 1
    return pid
