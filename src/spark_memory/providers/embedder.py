"""The embedder port: turns texts into L2-normalised float32 vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from spark_memory.models import Vectors

__all__ = ["Embedder", "Vectors"]


@runtime_checkable
class Embedder(Protocol):
    """Every embedder names its model so the store can refuse to mix vector spaces."""

    @property
    def model_name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return an array of shape (len(texts), dim), each row of unit length."""
        ...

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Vectors for search queries, in the same space as ``embed``'s.

        Never stored; a provider may trade exactness for speed here (MiniLM's int8).
        """
        ...
