"""Shared fixtures: real SQLite files in tmp dirs, unit vectors from a seeded generator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from spark_memory.store.protocol import EmbeddingSpace, Store

SPACE = EmbeddingSpace("test-space", 16)


def unit_vectors(n: int, dim: int = SPACE.dim, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def open_backend(name: str, path: Path) -> Store:
    if name == "sqlite":
        from spark_memory.store.sqlite import SqliteStore

        return SqliteStore(path / "spark.db", ann_threshold=64)
    raise ValueError(name)


BACKENDS = ["sqlite"]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = open_backend(request.param, tmp_path)
    yield s
    s.close()
