"""The Spark façade: core use cases, assembly of the feature mixins, backend choice.

This is the only module that picks a store backend or an embedder.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from spark_memory.config import Settings
from spark_memory.errors import ConfigError, EmbeddingMismatch, StoreError
from spark_memory.learning.admission import insight_text
from spark_memory.models import (
    LOCAL_PRINCIPAL,
    DocType,
    Principal,
    SearchFilters,
    SearchHit,
)
from spark_memory.providers.embedder import Embedder
from spark_memory.requests import SearchBody, given
from spark_memory.results import (  # defined there; importable from here too
    StoreStats as StoreStats,
)
from spark_memory.search.hybrid import HybridSearch, SearchRequest
from spark_memory.search.symbol_index import SymbolIndex
from spark_memory.service.base import Progress, ServiceBase
from spark_memory.service.coaching import Coaching
from spark_memory.service.experience import Experience
from spark_memory.service.jobs import Jobs
from spark_memory.service.kb_build import read_status
from spark_memory.service.knowledge import Knowledge
from spark_memory.service.measures import Measures
from spark_memory.service.tenancy import Tenancy
from spark_memory.service.transfer import TransferReport, import_store
from spark_memory.store.protocol import Store

_ALL = 10**9


class Spark(Knowledge, Experience, Coaching, Tenancy, Jobs, Measures, ServiceBase):
    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        symbols = SymbolIndex(store, build_behind=True)  # stopped by close()
        self.searcher = HybridSearch(store, embedder, settings.weights, symbols)

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        store: Store | None = None,
        embedder: Embedder | None = None,
    ) -> Spark:
        settings = settings or Settings.load()
        if embedder is None:
            from spark_memory.providers.embedders import make_embedder

            embedder = make_embedder(settings)
        return cls(settings, store or open_store(settings), embedder)

    def warm(self) -> None:
        """Build the symbol index now. A server's searches never wait for it (it is built
        behind them); a one-shot command has no later search that would see it."""
        self.searcher.symbols.current()

    def close(self) -> None:
        self.searcher.symbols.close()  # its background build reads the store
        self.store.close()

    def __enter__(self) -> Spark:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- search ------------------------------------------------------------------------
    def search(
        self,
        request: SearchBody | str,
        /,
        *,
        principal: Principal,
        doc_types: Sequence[DocType] = (DocType.SNIPPET, DocType.INSIGHT),
        **fields: Any,
    ) -> list[SearchHit]:
        """Hybrid search of the snippets and the insights the caller may see.

        ``request``: a ``SearchBody``, or its fields (``search(query, k=5)``).
        """
        body = given(SearchBody, (request,), fields)
        filters = SearchFilters(
            libraries=list(body.libraries), versions=dict(body.versions), kinds=list(body.kinds)
        )
        asked = SearchRequest(body.query, principal, filters, body.k, tuple(doc_types))
        self.searcher.validate(asked)
        self.check_space()
        if self._nothing_in_yet():
            return []
        return self.searcher.search(asked)

    def _nothing_in_yet(self) -> bool:
        """A first build has written nothing yet: no query needs embedding.

        On a first start the embedder's first load (its graph built from the weights)
        takes seconds; a search then would wait for it only to find nothing.
        """
        build = read_status(self.settings.home)
        if build is None or not build.building:
            return False
        return not self.store.library_stats() and not self.store.record_counts(None)["insights"]

    # --- maintenance ---------------------------------------------------------------------
    def stats(self) -> StoreStats:
        """The knowledge base (public) and the progress of its background build."""
        build = read_status(self.settings.home)
        return StoreStats(
            location=self.location,
            embedding=self.store.embedding_space(),
            libraries=self.store.library_stats(),
            kb_build=None if build is None else build.as_dict(),
        )

    def usage(self, *, principal: Principal) -> dict[str, int]:
        """Insights, traces, feedback and agents of the caller's org (the operator: all)."""
        org = None if principal == LOCAL_PRINCIPAL else principal.org_id
        return self.store.record_counts(org)

    @property
    def location(self) -> str:
        """Where the store is, fit to print (a database URL without its password)."""
        return _without_password(self.settings.database_url) or str(self.settings.db_path)

    def import_records(
        self,
        open_lines: Callable[[], Iterable[str]],
        *,
        reembed: bool = False,
        progress: Progress | None = None,
    ) -> TransferReport:
        """Import a `spark export` file (idempotent); ``reembed``: embed with this
        store's model instead of copying the file's vectors. ``open_lines`` is called
        twice: once to validate the whole file, once to import it."""
        embedder, text = (self.embedder, insight_text) if reembed else (None, None)
        return import_store(
            self.store, open_lines, embedder=embedder, insight_text=text, progress=progress
        )

    def insight_counts(self) -> dict[str, int]:
        """How many insights of every org there are per status (the operator's view)."""
        insights = self.store.unscoped_insights_since(None, limit=_ALL)
        return dict(Counter(i.status.value for i in insights))

    def reembed(self, progress: Progress | None = None, batch: int = 256) -> int:
        """Re-embed every snippet and insight with the configured embedder.

        Changing model is explicit: the store refuses vectors of another space until
        this has run. Returns how many documents were embedded.
        """
        insights = self.store.unscoped_insights_since(None, limit=_ALL)
        total = sum(s.snippets for s in self.store.library_stats()) + len(insights)
        self.store.reset_embedding_space(self.space)
        done = 0
        for snippets in self.store.iter_snippets(batch):
            vectors = self.embedder.embed([s.embed_text for s in snippets])
            self.store.set_vectors(DocType.SNIPPET, [s.id for s in snippets], vectors, self.space)
            done += len(snippets)
            if progress:
                progress(done, total)
        for start in range(0, len(insights), batch):
            chunk = insights[start : start + batch]
            vectors = self.embedder.embed([insight_text(i) for i in chunk])
            self.store.set_vectors(DocType.INSIGHT, [i.id for i in chunk], vectors, self.space)
            done += len(chunk)
            if progress:
                progress(done, total)
        return done

    # --- operations --------------------------------------------------------------------
    def write_problem(self) -> str:
        """Why the store cannot take a write now ('' when it can): a lease taken and given
        back (the server's health check)."""
        probe = f"healthz-{uuid.uuid4().hex}"
        try:
            self.store.acquire_lock(probe, "healthz", 5.0)
            self.store.release_lock(probe, "healthz")
        except StoreError as exc:
            return exc.message
        return ""

    @property
    def shares_rates(self) -> bool:
        """True when the store keeps the per-org rate buckets (every replica sees them)."""
        return self.store.shares_rates

    def spend_rate(self, org_id: str, cost: float, rate: float, burst: float) -> float:
        """Spend from ``org_id``'s bucket in the store: 0.0, or the seconds to wait."""
        return self.store.spend_rate(org_id, cost, rate, burst)

    def charge_rate(self, org_id: str, cost: float, rate: float, burst: float) -> None:
        """Take ``cost`` from ``org_id``'s bucket in the store for work already done."""
        self.store.charge_rate(org_id, cost, rate, burst)

    def check_space(self) -> None:
        """Refuse to search a store whose vectors another model made."""
        stored = self.store.embedding_space()
        if stored is not None and stored != self.space:
            raise EmbeddingMismatch(
                f"the store's vectors were made by {stored.model} ({stored.dim} dims) but the"
                f" configured embedder is {self.space.model}; run `spark reembed`"
            )


def open_store(settings: Settings) -> Store:
    url = settings.database_url
    if not url:
        from spark_memory.store.sqlite import SqliteStore

        return SqliteStore(settings.db_path, ann_threshold=settings.ann_threshold)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from spark_memory.store.postgres import PostgresStore
        except ImportError as exc:
            raise ConfigError(
                f"SPARK_DATABASE_URL names PostgreSQL but {exc.name} is not installed;"
                " pip install 'spark-memory[postgres]'"
            ) from exc
        return PostgresStore(url, ann_threshold=settings.ann_threshold)
    # The URL itself is not echoed: it may hold a password.
    raise ConfigError("unsupported SPARK_DATABASE_URL: expected postgresql://user@host/db")


def _without_password(url: str) -> str:
    """A database URL fit to print: the password replaced by ***."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
