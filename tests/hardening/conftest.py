"""The outside test's scenarios, replayed as one suite (`pytest tests/hardening`).

Each module reproduces one finding of the hardening review (issue 15) against real
parts: a `spark serve` on loopback, real SQLite files, the real PostgreSQL cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spark_memory.config import Settings
from spark_memory.models import LOCAL_PRINCIPAL
from spark_memory.service import Spark
from tests.conftest import PostgresDatabases
from tests.interfaces.conftest import server
from tests.scaleout.test_replicas_and_workers import Cluster

__all__ = ["postgres_replicas", "server"]


@contextmanager
def postgres_replicas(
    postgres: PostgresDatabases, folder: Path, orgs: list[str], **env: str
) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Two `spark serve` replicas over one PostgreSQL database, started with ``env``:
    their URLs, and a writer key per org."""
    url = postgres.url(folder)
    settings = Settings.load(environ={}, home=folder, database_url=url, embedder="hash")
    with Spark.open(settings) as operator:
        keys = {
            org: operator.create_key(org, "bot", "writer", principal=LOCAL_PRINCIPAL).secret
            for org in orgs
        }
    cluster = Cluster(folder, url)
    cluster.env |= env
    try:
        yield cluster.servers("replica-1", "replica-2"), keys
    finally:
        cluster.stop()
        postgres.drop(folder)
