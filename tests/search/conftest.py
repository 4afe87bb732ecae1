"""The coach tests' small real knowledge base (SQLite on disk, hashing embedder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spark_memory.service import Spark
from tests.coach.conftest import open_spark


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[Spark]:
    with open_spark(tmp_path) as s:
        yield s
