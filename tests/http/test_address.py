"""`spark serve` leaves its address in $SPARK_HOME/server.json while it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from spark_memory.http.address import address_path, published, read_address
from tests.interfaces.server import Server, start_server


def test_a_running_server_publishes_its_address_and_removes_it_on_exit(tmp_path: Path) -> None:
    server: Server = start_server(tmp_path)
    try:
        found = read_address(tmp_path)
        assert found is not None
        assert found.url == server.url
        assert server.proc is not None
        assert found.pid == server.proc.pid
    finally:
        server.stop()
    assert server.proc is not None
    assert server.proc.returncode == 0
    assert not address_path(tmp_path).exists()
    assert read_address(tmp_path) is None


def test_the_address_of_a_dead_server_is_ignored(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    address_path(tmp_path).write_text(
        json.dumps({"url": "http://127.0.0.1:1", "pid": int(gone.stdout)})
    )
    assert read_address(tmp_path) is None
    address_path(tmp_path).write_text("{not json")
    assert read_address(tmp_path) is None


def test_published_keeps_a_newer_servers_file(tmp_path: Path) -> None:
    with published(tmp_path, "http://127.0.0.1:1111") as mine:
        assert read_address(tmp_path) == mine
        # another live process (our parent stands in for it) took over the file
        other = {"url": "http://127.0.0.1:2222", "pid": os.getppid()}
        address_path(tmp_path).write_text(json.dumps(other))
    survivor = read_address(tmp_path)
    assert survivor is not None
    assert survivor.url == "http://127.0.0.1:2222"
