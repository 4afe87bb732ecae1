"""Opening SQLite connections the same way everywhere, and the single writer thread.

SQLite allows one writer at a time; funnelling every write of a process through one
thread that owns the write connection removes lock contention inside the process and
makes "acknowledged" mean "committed": a write's future resolves after COMMIT.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from spark_memory.errors import CorruptStore, StoreError, StoreUnavailable

# SQLite's messages for a database it cannot write now (not a damaged one).
UNAVAILABLE = (
    "readonly database",
    "read-only",
    "database or disk is full",
    "disk I/O error",
    "unable to open database",
)

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], T]

_BUSY_TIMEOUT_MS = 30_000


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )
        else:
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            # FULL: a committed transaction survives power loss, not only a process crash.
            conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise CorruptStore(f"{path} is not a usable Spark store: {exc}") from exc
    return conn


class Writer:
    """Owns the write connection; runs submitted functions one at a time in a transaction."""

    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        self._queue: queue.Queue[tuple[WriteFn[Any], Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="spark-sqlite-writer", daemon=True)
        self._thread.start()

    def submit(self, fn: WriteFn[T]) -> T:
        """Run ``fn(conn)`` inside BEGIN IMMEDIATE..COMMIT and return once committed."""
        if not self._thread.is_alive():
            raise StoreError("the store is closed")
        fut: Future[T] = Future()
        self._queue.put((fn, fut))
        return fut.result()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            fn, fut = item
            if fut.set_running_or_notify_cancel():
                self._run_one(fn, fut)

    def _run_one(self, fn: WriteFn[Any], fut: Future[Any]) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = fn(conn)
            conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread; this one must live
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            fut.set_exception(_translate(exc))
        else:
            fut.set_result(result)


def _translate(exc: BaseException) -> BaseException:
    if isinstance(exc, sqlite3.DatabaseError) and "malformed" in str(exc):
        return CorruptStore(f"the database file is damaged: {exc}")
    if isinstance(exc, sqlite3.Error) and any(cue in str(exc) for cue in UNAVAILABLE):
        return StoreUnavailable(f"the store cannot write: {exc}")
    if isinstance(exc, sqlite3.Error):
        return StoreError(f"database error: {exc}")
    return exc
