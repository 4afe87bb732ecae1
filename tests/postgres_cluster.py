"""A throwaway PostgreSQL 16 + pgvector cluster for tests, from the `pgserver` wheel.

pgserver bundles the server binaries and pgvector. Its own launcher listens on a Unix
socket only, so the binaries are driven directly here: ``initdb`` into a temporary
folder, then ``pg_ctl start`` listening on 127.0.0.1 at a free port, the way a real
deployment is reached. Durability is switched off (``fsync=off``): a test cluster
lives for one session and speed matters more than surviving a power cut.

Each test gets its own database cloned from a template that already holds the
migrated schema, so tests are isolated and cloning costs milliseconds.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

INSTALL_HINT = "pip install -e '.[test-postgres]'  (or: pip install pgserver 'psycopg[binary]' psycopg-pool pgvector)"


class ClusterUnavailable(Exception):
    """pgserver (or the psycopg driver) is not installed: the tests cannot run here."""


def bin_dir() -> Path:
    """The folder of pgserver's bundled PostgreSQL binaries."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns at pgserver's import when XDG_RUNTIME_DIR is unset.
            warnings.simplefilter("ignore")
            import pgserver
        import psycopg  # noqa: F401 - the backend's driver must be there too
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        raise ClusterUnavailable(f"{exc.name} is not installed; {INSTALL_HINT}") from exc
    return Path(pgserver.__file__).parent / "pginstall" / "bin"


@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int
    user: str | None  # the OS user running the server (postgres refuses to run as root)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database_name(self) -> str:
        return f"spark_test_{next(self._numbers)}"

    def pg_ctl(self, *args: str) -> None:
        _run([str(self.bin / "pg_ctl"), "-D", str(self.pgdata), *args], self.user)

    def stop(self) -> None:
        try:
            self.pg_ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start(bin_path: Path) -> Cluster:
    """Initialise and start a cluster in a fresh temporary folder; the caller stops it."""
    user = "nobody" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="spark-pg-"))
    if user is not None:
        shutil.chown(root, user)
    cluster = Cluster(bin_path, root, _free_port(), user)
    _run(
        [
            str(bin_path / "initdb"),
            "-D",
            str(cluster.pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",  # a throwaway cluster need not wait for the disk
        ],
        user,
    )
    options = " ".join(
        [
            "-h 127.0.0.1",
            f"-p {cluster.port}",
            f"-k {cluster.pgdata}",  # the Unix socket stays in the cluster's own folder
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=200",
        ]
    )
    cluster.pg_ctl("-w", "-t", "60", "-o", options, "-l", str(root / "server.log"), "start")
    return cluster


def _run(argv: list[str], user: str | None) -> None:
    done = subprocess.run(argv, user=user, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:1])} failed ({done.returncode}): {done.stderr}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
