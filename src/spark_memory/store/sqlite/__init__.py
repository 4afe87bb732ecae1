"""The embedded SQLite backend."""

from spark_memory.store.sqlite.backend import SqliteStore

__all__ = ["SqliteStore"]
