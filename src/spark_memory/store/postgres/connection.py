"""The connection pool, transactions, and the translation of psycopg errors.

Connections are in autocommit mode: a read is one round trip with no BEGIN/COMMIT,
and every write runs inside an explicit transaction whose block returns only after
COMMIT succeeded, which is what "acknowledged" means in the store contract.
Serialization failures and deadlocks are retried, since every write is idempotent.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from spark_memory.errors import (
    Conflict,
    CorruptStore,
    InvalidInput,
    SparkError,
    StoreError,
    StoreUnavailable,
)
from spark_memory.store.postgres import migrate

T = TypeVar("T")
Conn = psycopg.Connection[tuple[Any, ...]]

_RETRIES = 8
_BACKOFF_S = 0.05
_CONNECT_TIMEOUT_S = 10


def describe(url: str) -> str:
    """``host:port/dbname`` of a connection URL, without user or password (for messages)."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an unparseable PostgreSQL URL"
    host = info.get("host") or "localhost"
    return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def connect(url: str) -> Conn:
    """One plain connection (for migrations); pooled ones come from ``Database``."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise translate(exc, url) from exc


def prepare(url: str) -> list[migrate.Migration]:
    """Apply pending migrations; the pool needs the vector type to exist first."""
    with connect(url) as conn, translating(url):
        return migrate.apply_pending(conn)


class Database:
    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8, timeout: float = 30.0):
        self.url = url
        self.location = describe(url)
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={"autocommit": True, "connect_timeout": _CONNECT_TIMEOUT_S},
            configure=_configure,
            check=ConnectionPool.check_connection,  # survive a database restart
            name="spark-postgres",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(f"cannot connect to PostgreSQL at {self.location}: {exc}") from exc

    def close(self) -> None:
        self._pool.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with translating(self.url), self._pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def read(self, fn: Callable[[Conn], T]) -> T:
        """Run several reads in one transaction (for SET LOCAL, or one snapshot)."""
        with translating(self.url), self._pool.connection() as conn, conn.transaction():
            return fn(conn)

    def write(self, fn: Callable[[Conn], T]) -> T:
        """Run ``fn`` in a transaction; return its result once committed."""
        for attempt in range(1, _RETRIES + 1):
            try:
                with self._pool.connection() as conn, conn.transaction():
                    return fn(conn)
            except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected) as exc:
                if attempt == _RETRIES:
                    raise translate(exc, self.url) from exc
                # Writers that collided retry at once and collide again; a random,
                # growing pause lets one of them finish first.
                time.sleep(random.uniform(0.0, _BACKOFF_S * attempt))
            except (psycopg.Error, PoolTimeout) as exc:
                raise translate(exc, self.url) from exc
        raise AssertionError("unreachable: the loop returns or raises")


def _configure(conn: Conn) -> None:
    from pgvector.psycopg import register_vector

    register_vector(conn)  # numpy arrays in, vectors out, in binary
    conn.execute("SET TIME ZONE 'UTC'")


@contextlib.contextmanager
def translating(url: str) -> Iterator[None]:
    try:
        yield
    except (psycopg.Error, PoolTimeout) as exc:
        raise translate(exc, url) from exc


def translate(exc: Exception, url: str) -> SparkError:
    """The Spark error for a psycopg (or pool) error, naming the database but no secret."""
    where = describe(url)
    if isinstance(exc, PoolTimeout):
        return StoreUnavailable(f"no free connection to PostgreSQL at {where} in time: {exc}")
    if isinstance(exc, pg_errors.UniqueViolation):
        return Conflict(f"conflicts with a stored record: {_first_line(exc)}")
    if isinstance(exc, pg_errors.UndefinedTable | pg_errors.UndefinedColumn):
        return CorruptStore(
            f"{where} is not a usable Spark store ({_first_line(exc)}); run `spark migrate`"
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return StoreError(f"PostgreSQL at {where} refused: {_first_line(exc)}")
    if isinstance(exc, pg_errors.UndefinedFile | pg_errors.FeatureNotSupported):
        return StoreError(f"PostgreSQL at {where} lacks a feature Spark needs: {_first_line(exc)}")
    if isinstance(exc, pg_errors.UntranslatableCharacter) or "NUL (0x00)" in str(exc):
        # jsonb and text refuse \x00 (SQLite does not); the transaction stored nothing
        return InvalidInput("text contains a NUL character (\\x00), which PostgreSQL cannot store")
    if isinstance(exc, psycopg.DataError):
        return InvalidInput(f"PostgreSQL cannot store this value: {_first_line(exc)}")
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction | pg_errors.DiskFull):
        return StoreUnavailable(f"PostgreSQL at {where} cannot write: {_first_line(exc)}")
    if isinstance(exc, psycopg.OperationalError):
        return StoreUnavailable(f"cannot use PostgreSQL at {where}: {_first_line(exc)}")
    return StoreError(f"database error at {where}: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
