"""The coach's Retriever port, implemented over the store's search channels.

It runs the same channels and fusion as ``HybridSearch`` (BM25 and vectors for
snippets and insights, a trust channel for insights, weighted RRF), arranged for a
plan of several queries answered within a latency budget:

- every query is embedded in one embedder call;
- the snippet vector channel scans unfiltered and keeps the caller's libraries and
  served versions afterwards: a filtered scan first materialises the allowed rows,
  which costs more than the scan itself;
- insights and snippets are fetched once for the whole plan, not once per query;
- full-text searches, the slowest channel, run on two threads while the plan is
  embedded (the store's reads are thread-safe; SQLite releases the GIL).

Exact name lookups ("which symbols end in ``.value_counts``") go to a ``SymbolIndex``:
full-text search answers them badly (common words have huge posting lists), a
dictionary answers them at once.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from spark_memory.coach.models import PlannedQuery
from spark_memory.config import SearchWeights
from spark_memory.models import (
    ChannelHit,
    ChannelScore,
    DocType,
    Insight,
    Principal,
    SearchFilters,
    SearchHit,
    Snippet,
    Vectors,
)
from spark_memory.providers.embedder import Embedder
from spark_memory.search.fusion import rrf
from spark_memory.search.hybrid import insight_hit, snippet_hit
from spark_memory.store.filters import pick_version
from spark_memory.store.protocol import Store

CHANNEL_DEPTH = 50  # candidates per channel, as HybridSearch reads
# The unfiltered vector scan reads deeper: other libraries' rows are dropped after.
VECTOR_DEPTH = 150
MAX_CANDIDATES = 8  # symbols one name may denote, shortest paths first
READ_THREADS = 2
_API_KINDS = frozenset({"api", "example"})

Fused = list[tuple[str, float, dict[str, ChannelScore]]]


class SearchRetriever:
    """The coach's ``Retriever``: searches, symbol lookups and fetches over one store."""

    def __init__(self, store: Store, embedder: Embedder, weights: SearchWeights) -> None:
        self.store = store
        self.embedder = embedder
        self.weights = weights
        self.symbols = SymbolIndex(store)

    def search(
        self,
        queries: Sequence[PlannedQuery],
        filters: SearchFilters,
        principal: Principal,
        k: int,
        doc_types: Sequence[DocType] = (DocType.SNIPPET, DocType.INSIGHT),
    ) -> list[list[SearchHit]]:
        # Full-text search is the slowest channel and needs no vector: it runs on the
        # pool's threads (SQLite releases the GIL) while this thread embeds.
        wanted = frozenset(doc_types)
        lexical = [self._lexical_snippets(q.text, filters, principal, wanted) for q in queries]
        vectors = self.embedder.embed_queries([q.embed or q.text for q in queries])
        names = self.symbols.current()
        channels = [
            self._channels(q.text, v, lex.result(), filters, principal, names, wanted)
            for q, v, lex in zip(queries, vectors, lexical, strict=True)
        ]
        insight_ids = {h.id for chans in channels for name, hits in chans[2:] for h in hits}
        insights = self.insights(sorted(insight_ids), principal)
        fused = [self._fuse(chans, insights, k) for chans in channels]
        return self._materialise(fused, insights)

    def find_symbols(
        self, names: Sequence[str], filters: SearchFilters
    ) -> dict[str, list[SearchHit]]:
        index = self.symbols.current()
        found = {name: index.lookup(name, filters) for name in names}
        return {name: [e.hit() for e in entries] for name, entries in found.items() if entries}

    def snippets(self, ids: Sequence[str]) -> dict[str, SearchHit]:
        return {i: snippet_hit(s) for i, s in self.store.get_snippets(list(ids)).items()}

    def insights(self, ids: Sequence[str], principal: Principal) -> dict[str, Insight]:
        return self.store.get_insights(list(ids), principal) if ids else {}

    def knowledge(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for stat in self.store.library_stats():
            out.setdefault(stat.library, []).append(stat.version)
        return out

    def _lexical_snippets(
        self, text: str, filters: SearchFilters, principal: Principal, wanted: frozenset[DocType]
    ) -> Future[list[ChannelHit]]:
        if DocType.SNIPPET not in wanted:
            skipped: Future[list[ChannelHit]] = Future()
            skipped.set_result([])
            return skipped
        return _pool().submit(
            self.store.lexical_search, text, DocType.SNIPPET, filters, principal, CHANNEL_DEPTH
        )

    def _channels(
        self,
        text: str,
        vector: Vectors,
        lexical: list[ChannelHit],
        filters: SearchFilters,
        principal: Principal,
        names: SymbolNames,
        wanted: frozenset[DocType],
    ) -> list[tuple[str, list[ChannelHit]]]:
        """Snippet BM25 (given), snippet vectors, insight BM25, insight vectors, in order;
        the channels of a document type not ``wanted`` stay empty."""
        store = self.store
        depth = CHANNEL_DEPTH
        snippet_vectors: list[ChannelHit] = []
        if DocType.SNIPPET in wanted:
            snippet_vectors = self._snippet_vectors(vector, filters, principal, names)
        insight_words: list[ChannelHit] = []
        insight_vectors: list[ChannelHit] = []
        if DocType.INSIGHT in wanted:
            insight_words = store.lexical_search(text, DocType.INSIGHT, filters, principal, depth)
            insight_vectors = store.vector_search(
                vector, DocType.INSIGHT, filters, principal, depth
            )
        return [
            ("bm25", lexical),
            ("vector", snippet_vectors),
            ("bm25", insight_words),
            ("vector", insight_vectors),
        ]

    def _snippet_vectors(
        self, vector: Vectors, filters: SearchFilters, principal: Principal, names: SymbolNames
    ) -> list[ChannelHit]:
        # A version matters only where several are stored: it picks the one served. Any
        # other clause would make the store list the allowed rows, the cost avoided here.
        versions = {
            lib: v for lib, v in filters.versions.items() if len(names.versions.get(lib, ())) > 1
        }
        unfiltered = SearchFilters(kinds=filters.kinds, versions=versions)
        hits = self.store.vector_search(
            vector, DocType.SNIPPET, unfiltered, principal, VECTOR_DEPTH
        )
        kept = [h for h in hits if names.admits(h.id, filters)][:CHANNEL_DEPTH]
        return [ChannelHit(id=h.id, rank=n, score=h.score) for n, h in enumerate(kept, 1)]

    def _fuse(
        self,
        channels: list[tuple[str, list[ChannelHit]]],
        insights: Mapping[str, Insight],
        k: int,
    ) -> Fused:
        candidates = {h.id for _, hits in channels[2:] for h in hits}
        ranked = sorted(
            (insights[i] for i in candidates if i in insights),
            key=lambda i: -i.trust.lower_bound(),
        )
        trust = [
            ChannelHit(id=i.id, rank=n, score=i.trust.lower_bound())
            for n, i in enumerate(ranked, 1)
        ]
        weights = {
            "bm25": self.weights.bm25,
            "vector": self.weights.vector,
            "trust": self.weights.trust,
        }
        return rrf([*channels, ("trust", trust)], weights, self.weights.rrf_k)[:k]

    def _materialise(
        self, fused: list[Fused], insights: Mapping[str, Insight]
    ) -> list[list[SearchHit]]:
        ids = sorted({i for found in fused for i, _, _ in found if i not in insights})
        snippets = self.store.get_snippets(ids)
        out = []
        for found in fused:
            hits = []
            for doc_id, score, explain in found:
                if doc_id in snippets:
                    hits.append(snippet_hit(snippets[doc_id], score, explain))
                elif doc_id in insights:
                    hits.append(insight_hit(insights[doc_id], score, explain))
            out.append(hits)
        return out


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """One small pool per process: reads overlap, two cores are not oversubscribed."""
    return ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="spark-coach")


@dataclass(frozen=True)
class _Entry:
    id: str
    symbol: str
    library: str
    version: str
    kind: str

    def hit(self) -> SearchHit:
        """A hit without text: lookups may return hundreds; text is fetched for few."""
        return SearchHit(
            id=self.id,
            doc_type=DocType.SNIPPET,
            title=self.symbol,
            library=self.library,
            version=self.version,
            symbol=self.symbol,
            kind=self.kind,
            text="",
            score=0.0,
        )


@dataclass(frozen=True)
class SymbolNames:
    """One snapshot of the knowledge base's symbols."""

    by_last: dict[str, list[_Entry]]  # last part of the symbol -> API snippets
    where: dict[str, tuple[str, str]]  # snippet id -> (library, version)
    versions: dict[str, list[str]]  # library -> stored versions

    def lookup(self, name: str, filters: SearchFilters) -> list[_Entry]:
        """The API snippets ``name`` may denote, at most MAX_CANDIDATES."""
        entries = self.by_last.get(name.rsplit(".", 1)[-1], [])
        exact = [e for e in entries if e.symbol == name]
        if not exact and "." in name:
            exact = [e for e in entries if e.symbol.endswith("." + name)]
        libraries = filters.libraries
        chosen = exact or [e for e in entries if not libraries or e.library in libraries]
        served = [e for e in chosen if self.served(e.library, e.version, filters)]
        served.sort(key=lambda e: (e.symbol.count("."), len(e.symbol), e.symbol))
        return served[:MAX_CANDIDATES]

    def admits(self, snippet_id: str, filters: SearchFilters) -> bool:
        """Whether a filtered search would have returned this snippet."""
        library, version = self.where.get(snippet_id, ("", ""))
        if filters.libraries and library not in filters.libraries:
            return False
        return self.served(library, version, filters)

    def served(self, library: str, version: str, filters: SearchFilters) -> bool:
        available = self.versions.get(library, [version])
        return len(available) < 2 or version == pick_version(
            available, filters.versions.get(library)
        )


class SymbolIndex:
    """Builds ``SymbolNames`` on first use and again when the knowledge base changes
    (its per-library counts differ), so lookups never read a stale snapshot."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._stamp: tuple[tuple[str, str, int], ...] = ()
        self._names = SymbolNames({}, {}, {})
        self._lock = threading.Lock()

    def current(self) -> SymbolNames:
        stats = self.store.library_stats()
        stamp = tuple((s.library, s.version, s.snippets) for s in stats)
        with self._lock:
            if stamp != self._stamp:
                self._names = _build(self.store.iter_snippets(4096))
                self._stamp = stamp
            return self._names


def _build(batches: Iterable[list[Snippet]]) -> SymbolNames:
    by_last: dict[str, list[_Entry]] = {}
    where: dict[str, tuple[str, str]] = {}
    versions: dict[str, set[str]] = {}
    for batch in batches:
        for s in batch:
            where[s.id] = (s.library, s.version)
            versions.setdefault(s.library, set()).add(s.version)
            if s.kind.value in _API_KINDS and s.symbol:
                entry = _Entry(s.id, s.symbol, s.library, s.version, s.kind.value)
                by_last.setdefault(s.symbol.rsplit(".", 1)[-1], []).append(entry)
    return SymbolNames(by_last, where, {lib: sorted(v) for lib, v in versions.items()})
