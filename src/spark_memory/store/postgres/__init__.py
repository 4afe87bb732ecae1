"""The scale-out PostgreSQL backend (pgvector + full-text search).

Needs the ``postgres`` extra: ``pip install 'spark-memory[postgres]'``.
"""

from spark_memory.store.postgres.backend import PostgresStore

__all__ = ["PostgresStore"]
