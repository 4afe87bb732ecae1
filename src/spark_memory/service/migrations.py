"""`spark migrate`: bring the configured store's schema up to date, and say what changed.

Both backends also migrate when a store is opened (replicas then agree on the schema
without a deploy step); this use case is the explicit form, for operators who migrate
before rolling out new replicas and want to see what was applied.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_memory.config import Settings
from spark_memory.errors import ConfigError
from spark_memory.service.facade import open_store


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str


@dataclass(frozen=True)
class MigrationReport:
    backend: str  # sqlite | postgres
    location: str  # a file path, or host:port/dbname (never a password)
    applied: list[AppliedMigration] = field(default_factory=list)
    version: int = 0  # the schema version now

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "location": self.location,
            "applied": [vars(m) for m in self.applied],
            "version": self.version,
        }


def migrate(settings: Settings) -> MigrationReport:
    """Apply every pending migration of the configured store; report what was applied."""
    if not settings.database_url:
        return _migrate_sqlite(settings)
    return _migrate_postgres(settings)


def _migrate_sqlite(settings: Settings) -> MigrationReport:
    from spark_memory.store.sqlite import migrate as sqlite_migrate

    path = settings.db_path
    before = _sqlite_versions(path)
    open_store(settings).close()  # applies pending migrations, or says why it cannot
    after = _sqlite_versions(path)
    applied = [
        AppliedMigration(m.version, m.name)
        for m in sqlite_migrate.available()
        if m.version in after - before
    ]
    return MigrationReport("sqlite", str(path), applied, max(after, default=0))


def _sqlite_versions(path: Path) -> set[int]:
    # Read-only, so that asking never creates or changes the file; the SQLite store
    # applies migrations only when opened, and records none of them elsewhere.
    if not path.is_file() or path.stat().st_size == 0:
        return set()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {int(v) for (v,) in conn.execute("SELECT version FROM schema_migrations")}
    except sqlite3.DatabaseError:
        return set()  # no migration table yet, or not a database: opening will tell
    finally:
        conn.close()


def _migrate_postgres(settings: Settings) -> MigrationReport:
    store = open_store(settings)  # ConfigError when the URL or the driver is unusable
    try:
        from spark_memory.store.postgres import PostgresStore
        from spark_memory.store.postgres.migrate import available

        if not isinstance(store, PostgresStore):
            raise ConfigError("SPARK_DATABASE_URL does not name a PostgreSQL database")
        applied = [AppliedMigration(m.version, m.name) for m in store.applied_migrations]
        location = store.location
    finally:
        store.close()
    return MigrationReport("postgres", location, applied, max(m.version for m in available()))
