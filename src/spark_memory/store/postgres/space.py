"""The embedding space: which model's vectors the store holds, and the columns to match.

An HNSW index needs a fixed dimension, which is unknown until the first vector
arrives. So the embedding columns are created without one and *adopting* a space
(on the first vector, or on ``spark reembed``) empties them and fixes their dimension,
in the writer's transaction.

The HNSW index itself is built once a table holds ``ann_threshold`` vectors, as the
SQLite store switches from exact scans to HNSW: below that an exact scan is fast, and
building the graph in bulk is several times faster than growing it one insert at a
time (measured: 5,000 x 384 dims, 11 s insert + 4 s build against 108 s incremental).

Locking: writers of vectors hold the one ``embedding_space`` row FOR SHARE, so many
ingest at once; adopting a space holds it FOR UPDATE, so no vector of the old space
can slip in while the columns change.
"""

from __future__ import annotations

from spark_memory.errors import EmbeddingMismatch, InvalidInput
from spark_memory.models import Vectors
from spark_memory.store.postgres.connection import Conn
from spark_memory.store.protocol import EmbeddingSpace

TABLES = ("snippets", "insights")
# pgvector's HNSW index takes vectors of up to 2,000 dimensions; above that, searches
# are exact scans (still correct, slower on large tables).
_HNSW_MAX_DIM = 2_000
_MAX_DIM = 16_000  # pgvector's limit for the vector type itself


def get_space(conn: Conn, lock: str = "") -> EmbeddingSpace | None:
    row = conn.execute(f"SELECT model, dim FROM embedding_space {lock}").fetchone()
    if row is None or row[0] is None:
        return None
    return EmbeddingSpace(str(row[0]), int(row[1]))


def claim_space(conn: Conn, space: EmbeddingSpace | None, vectors: Vectors | None) -> None:
    """Adopt ``space`` on first use; refuse vectors from any other model or dimension."""
    if vectors is None:
        return
    if space is None:
        raise InvalidInput("vectors given without the embedding space that made them")
    if vectors.ndim != 2 or vectors.shape[1] != space.dim:
        raise EmbeddingMismatch(f"vectors have shape {vectors.shape}, expected (n, {space.dim})")
    # Only the very first claim needs the exclusive lock; taking FOR SHARE and then
    # upgrading would deadlock two first writers against each other.
    first = get_space(conn) is None
    stored = get_space(conn, "FOR UPDATE" if first else "FOR SHARE")
    if stored is None:
        adopt(conn, space)
    elif stored != space:
        raise EmbeddingMismatch(
            f"the store holds vectors of {stored.model} ({stored.dim} dims); refusing vectors of "
            f"{space.model} ({space.dim} dims). Run `spark reembed` to change model."
        )


def reset(conn: Conn, space: EmbeddingSpace) -> None:
    """Drop every stored vector and adopt ``space`` (the re-embed command)."""
    get_space(conn, "FOR UPDATE")
    adopt(conn, space)


def adopt(conn: Conn, space: EmbeddingSpace) -> None:
    """Empty the embedding columns and fix them to ``space``; caller holds FOR UPDATE."""
    dim = int(space.dim)
    if not 0 < dim <= _MAX_DIM:
        raise EmbeddingMismatch(f"PostgreSQL stores vectors of 1 to {_MAX_DIM} dims, not {dim}")
    for table in TABLES:
        conn.execute(f"DROP INDEX IF EXISTS {table}_embedding")
        conn.execute(f"UPDATE {table} SET embedding = NULL WHERE embedding IS NOT NULL")
        conn.execute(f"ALTER TABLE {table} ALTER COLUMN embedding TYPE vector({dim})")
    conn.execute("UPDATE embedding_space SET model = %s, dim = %s", [space.model, dim])


def ensure_ann_index(conn: Conn, table: str, threshold: int) -> None:
    """Build ``table``'s HNSW index once it holds ``threshold`` vectors (after a write)."""
    if _has_index(conn, table):
        return
    stored = get_space(conn)
    if stored is None or stored.dim > _HNSW_MAX_DIM:
        return
    counted = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE embedding IS NOT NULL LIMIT %s) v",
        [threshold],
    ).fetchone()
    if counted is None or counted[0] < threshold:
        return
    # Two writers crossing the threshold together: the second waits here, then sees
    # the first one's index (or a deadlock is detected and its write is retried).
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"spark.ann.{table}"])
    if not _has_index(conn, table):
        # Inner product: vectors are unit length, so it ranks like cosine, cheaper.
        conn.execute(
            f"CREATE INDEX {table}_embedding ON {table} USING hnsw (embedding vector_ip_ops)"
        )


def _has_index(conn: Conn, table: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{table}_embedding"]).fetchone()
    return bool(row and row[0])


def column_problems(conn: Conn) -> list[str]:
    """Integrity: the embedding columns have the stored space's dimension."""
    space = get_space(conn)
    problems = []
    for table in TABLES:
        row = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attname = 'embedding'",
            [table],
        ).fetchone()
        declared = row[0] if row else "missing"
        expected = "vector" if space is None else f"vector({space.dim})"
        if declared != expected:
            problems.append(f"{table}.embedding is {declared}, expected {expected}")
    return problems
