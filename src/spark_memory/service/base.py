"""What every façade mixin can rely on. Mixins subclass this for typing only."""

from __future__ import annotations

from collections.abc import Callable

from spark_memory.config import Settings
from spark_memory.providers.embedder import Embedder
from spark_memory.search.hybrid import HybridSearch
from spark_memory.store.protocol import EmbeddingSpace, Store

Progress = Callable[[int, int], None]


class ServiceBase:
    settings: Settings
    store: Store
    embedder: Embedder
    searcher: HybridSearch

    @property
    def space(self) -> EmbeddingSpace:
        return EmbeddingSpace(self.embedder.model_name, self.embedder.dim)
