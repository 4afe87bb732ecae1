"""Finding 10 (part): a read-only database gave HTTP 500 on writes while `/healthz` said
ok. Now writes get 503 with a reason and `/healthz` answers 503 "unavailable"."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.interfaces.server import Server, free_port, seed


def _make_read_only(path: Path) -> bool:
    """Read-only even for root (chattr +i), else by mode; False if neither holds."""
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        return done.returncode == 0
    path.chmod(0o444)
    return True


def _writable_again(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    path.chmod(0o644)


class _AnsweringServer(Server):
    """Ready when it answers at all: its health check is expected to say 503."""

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"spark serve did not answer:\n{self.log()}")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Server]:
    home = tmp_path / "ro"
    home.mkdir()
    server = _AnsweringServer(home, free_port(), seed(home))
    db = home / "spark.db"
    if not _make_read_only(db):
        pytest.skip("this file system cannot make a file read-only for root (no chattr +i)")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        _writable_again(db)


def test_writes_to_a_read_only_store_are_503_and_healthz_says_so(read_only: Server) -> None:
    health = httpx.get(f"{read_only.url}/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert "readonly" in health.json()["detail"] or "read-only" in health.json()["detail"]
    trace = httpx.post(
        f"{read_only.url}/v1/traces",
        json={"task": "sort an array", "outcome": "failed"},
        headers=read_only.headers("writer"),
    )
    assert trace.status_code == 503
    assert trace.json()["error"] == "StoreUnavailable"
    search = httpx.post(
        f"{read_only.url}/v1/search",
        json={"query": "sort an array"},
        headers=read_only.headers("reader"),
    )
    assert search.status_code == 200  # reads still work
