"""One `spark serve` for the interface tests of a session (see ``server.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.interfaces.server import Server, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("served"))
    yield running
    running.stop()
