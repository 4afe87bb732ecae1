"""What only the SQLite backend has: its file, migrations, crash safety, saved index."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spark_memory.errors import CorruptStore
from spark_memory.models import LOCAL_PRINCIPAL, DocType, SearchFilters, Snippet, SnippetKind
from spark_memory.store.sqlite import SqliteStore
from spark_memory.store.sqlite.migrate import available
from tests.conftest import SPACE, unit_vectors

REPO = Path(__file__).resolve().parents[2]


def test_migrations_are_recorded_and_wal_is_on(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    versions = [
        v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")
    ]
    assert versions == [m.version for m in available()]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    SqliteStore(tmp_path / "s.db").close()  # reopening applies nothing twice


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "spark.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    before = path.read_bytes()
    with pytest.raises(CorruptStore, match="not a SQLite database"):
        SqliteStore(path)
    assert path.read_bytes() == before


def test_a_damaged_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "spark.db"
    store = SqliteStore(path)
    store.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page, keep the header
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptStore):
        SqliteStore(path)


def test_saved_vector_index_is_reused_and_caught_up(tmp_path: Path) -> None:
    path = tmp_path / "spark.db"
    items = [
        Snippet.build(
            library="lib",
            version="1",
            symbol=f"lib.f{i}",
            kind=SnippetKind.API,
            title=f"f{i}",
            text=f"function {i}",
        )
        for i in range(2_600)
    ]
    vectors = unit_vectors(len(items), seed=7)
    store = SqliteStore(path, ann_threshold=500)
    store.upsert_snippets(items[:2_500], vectors[:2_500], SPACE)
    store.vector_search(vectors[0], DocType.SNIPPET, SearchFilters(), LOCAL_PRINCIPAL, 1)
    store.close()
    saved = path.with_name("spark.db.vectors") / "snippet"
    assert (saved / "hnsw.usearch").exists()
    assert (saved / "matrix.npy").exists()

    writer = SqliteStore(path, ann_threshold=500)
    writer.upsert_snippets(items[2_500:], vectors[2_500:], SPACE)
    writer.delete_snippets("lib", "1", ids=[items[1].id])
    writer.close()

    reader = SqliteStore(path, ann_threshold=500)
    hits = reader.vector_search(
        vectors[2_550], DocType.SNIPPET, SearchFilters(), LOCAL_PRINCIPAL, 3
    )
    assert hits[0].id == items[2_550].id
    hits = reader.vector_search(vectors[1], DocType.SNIPPET, SearchFilters(), LOCAL_PRINCIPAL, 3)
    assert items[1].id not in {h.id for h in hits}
    reader.close()


def test_kill_9_mid_batch_loses_no_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_writer", str(path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    acked: list[str] = []
    deadline = time.monotonic() + 60
    while len(acked) < 20 * 50 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.startswith("ACK"):
            acked += line.split()[2:]
    os.kill(child.pid, signal.SIGKILL)  # lands while the next batch is being written
    child.wait()
    acked += [tok for line in child.stdout for tok in line.split()[2:] if line.startswith("ACK")]
    child.stdout.close()
    assert len(acked) >= 20 * 50, "the writer did not get far enough to test anything"

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    store = SqliteStore(path)
    assert store.check_integrity() == []
    stored = store.get_snippets(acked)
    assert len(stored) == len(acked)
    fts_rows = store._query("SELECT count(*) FROM snippets_fts")[0][0]
    assert fts_rows == store._query("SELECT count(*) FROM snippets")[0][0]
    store.close()
