"""Numbered migrations: files ``NNNN_name.sql`` applied in order, recorded in a table.

Several replicas may start at once against one database, so the whole check-and-apply
runs in one transaction under an advisory lock: the first applies, the others wait,
then find nothing to do. DDL is transactional in PostgreSQL, so a failed migration
leaves no half-built schema behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from psycopg import Connection

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same in every Spark process.
_LOCK_KEY = 0x5BA2C_0001


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    folder = resources.files("spark_memory.store.postgres") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text("utf-8")))
    return sorted(found, key=lambda m: m.version)


def applied(conn: Connection) -> set[int]:
    """Versions recorded as applied; empty for a database Spark never touched."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def pending(conn: Connection) -> list[Migration]:
    done = applied(conn)
    return [m for m in available() if m.version not in done]


def apply_pending(conn: Connection) -> list[Migration]:
    """Apply what is missing, all in one transaction; return what this call applied."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        todo = pending(conn)
        for migration in todo:
            # No parameters: psycopg sends the file as one simple query, so function
            # bodies with semicolons inside need no statement splitting.
            conn.execute(migration.sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                [migration.version, migration.name],
            )
    return todo
