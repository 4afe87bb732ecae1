"""Shared fixtures: real SQLite files in tmp dirs, a real PostgreSQL cluster on loopback,
unit vectors from a seeded generator.

The store contract runs on every backend in ``BACKENDS``. PostgreSQL tests need the
``test-postgres`` extra (pgserver); without it they are skipped loudly, and under
``CI=true`` they fail instead, so CI can never pass without testing PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from spark_memory.store.protocol import EmbeddingSpace, Store
from tests import postgres_cluster

SPACE = EmbeddingSpace("test-space", 16)
BACKENDS = ["sqlite", "postgres"]


def unit_vectors(n: int, dim: int = SPACE.dim, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


# --- PostgreSQL -----------------------------------------------------------------------


class PostgresDatabases:
    """One database per test folder, cloned from a migrated template (milliseconds)."""

    TEMPLATE = "spark_template"

    def __init__(self, cluster: postgres_cluster.Cluster) -> None:
        import psycopg

        self.cluster = cluster
        self._admin = psycopg.connect(cluster.url(), autocommit=True)
        self._by_path: dict[Path, str] = {}
        self._admin.execute(f"CREATE DATABASE {self.TEMPLATE}")
        from spark_memory.store.postgres import PostgresStore

        PostgresStore(cluster.url(self.TEMPLATE)).close()

    def url(self, path: Path) -> str:
        """The database of a test folder; the first call creates it."""
        if path not in self._by_path:
            name = self.cluster.new_database_name()
            # FILE_COPY: a plain file copy, faster than WAL-logging a small database.
            self._admin.execute(
                f"CREATE DATABASE {name} TEMPLATE {self.TEMPLATE} STRATEGY FILE_COPY"
            )
            self._by_path[path] = name
        return self.cluster.url(self._by_path[path])

    def empty_url(self) -> str:
        """A database without Spark's schema, for migration tests."""
        name = self.cluster.new_database_name()
        self._admin.execute(f"CREATE DATABASE {name}")
        return self.cluster.url(name)

    def drop(self, path: Path) -> None:
        name = self._by_path.pop(path, None)
        if name is not None:
            self._admin.execute(f"DROP DATABASE {name} WITH (FORCE)")

    def close(self) -> None:
        self._admin.close()


_postgres: PostgresDatabases | None = None
_postgres_missing: list[str] = []


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    """A real PostgreSQL 16 + pgvector cluster on 127.0.0.1 for the whole session."""
    global _postgres
    try:
        binaries = postgres_cluster.bin_dir()
    except postgres_cluster.ClusterUnavailable as exc:
        reason = f"PostgreSQL backend NOT TESTED: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run in CI)")
        _postgres_missing.append(str(exc))
        pytest.skip(reason)
    cluster = postgres_cluster.start(binaries)
    try:
        _postgres = PostgresDatabases(cluster)
        yield _postgres
    finally:
        if _postgres is not None:
            _postgres.close()
        _postgres = None
        cluster.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_missing:
        terminalreporter.write_sep("!", "PostgreSQL backend NOT TESTED", red=True, bold=True)
        terminalreporter.write_line(
            f"WARNING: every PostgreSQL test was skipped: {_postgres_missing[0]}", red=True
        )


# --- any backend ------------------------------------------------------------------------


def open_backend(name: str, path: Path) -> Store:
    """A handle to the store of a test folder; a second call opens a second handle."""
    if name == "sqlite":
        from spark_memory.store.sqlite import SqliteStore

        return SqliteStore(path / "spark.db", ann_threshold=64)
    if name == "postgres":
        from spark_memory.store.postgres import PostgresStore

        assert _postgres is not None, "request the `postgres` fixture first"
        return PostgresStore(_postgres.url(path), ann_threshold=64)
    raise ValueError(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The backend under test; its store lives with ``tmp_path``."""
    name: str = request.param
    if name == "postgres":
        request.getfixturevalue("postgres")
    yield name
    if name == "postgres" and _postgres is not None:
        _postgres.drop(tmp_path)


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Iterator[Store]:
    s = open_backend(backend, tmp_path)
    yield s
    s.close()
