"""The coach's retrieval: a plan of several queries over the same channels as search.

It runs what ``HybridSearch`` runs (BM25 and vectors, documentation and lessons
competing in one list per channel above a relevance floor, weighted RRF, lessons
weighed by trust, one result per API under its public name), arranged for a plan of
several queries answered within a latency budget:

- every query is embedded in one embedder call;
- the snippet vector channel scans unfiltered and keeps the caller's libraries and
  served versions afterwards: a filtered scan first materialises the allowed rows,
  which costs more than the scan itself;
- insights and snippets are fetched once for the whole plan, not once per query;
- full-text searches, the slowest channel, run on two threads while the plan is
  embedded (the store's reads are thread-safe; SQLite releases the GIL).

The whole request is asked of plain search itself (``search_as_asked``, exactly as
``HybridSearch.search`` answers it: its own channels, filtered as asked, then named pages
raised and one result per API and per method); that ranking is what the coach's see-also
step follows. (Over this class's faster channels, whose vector scan is unfiltered, the
order differs on a third of DS-1000's tasks and recommend's distinctive R@10 fell from
0.401 to 0.393.)

Exact name lookups go to a ``SymbolIndex`` (``symbol_index``), which also names the
internal pages (private paths no guide teaches) kept out of the channels. The coach reaches all
of this through its ``Retriever`` port; the service wires this class to it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from spark_memory.models import (
    MAX_QUERY_CHARS,
    ChannelHit,
    ChannelScore,
    DocType,
    Insight,
    Principal,
    SearchFilters,
    SearchHit,
    Vectors,
)
from spark_memory.search.fusion import FLOORS, pooled, rrf
from spark_memory.search.hybrid import (
    HybridSearch,
    SearchRequest,
    insight_hit,
    snippet_hit,
    without,
)
from spark_memory.search.rank import collapse, weigh_trust
from spark_memory.search.symbol_index import SymbolNames

CHANNEL_DEPTH = 50  # candidates per channel, as HybridSearch reads
# The unfiltered vector scan reads deeper: other libraries' rows are dropped after.
VECTOR_DEPTH = 150
READ_THREADS = 2

Fused = list[tuple[str, float, dict[str, ChannelScore]]]


class PlanQuery(Protocol):
    """One query of a plan: ``text`` for words, ``embed`` (or ``text``) for meaning."""

    @property
    def text(self) -> str: ...

    @property
    def embed(self) -> str: ...


class SearchRetriever:
    """Searches, symbol lookups and fetches over one store, for the coach."""

    def __init__(self, searcher: HybridSearch) -> None:
        """Over plain search's store, embedder, weights and symbol index: one ranking,
        and one index built once per knowledge-base change."""
        self.searcher = searcher
        self.store = searcher.store
        self.embedder = searcher.embedder
        self.weights = searcher.weights
        self.symbols = searcher.symbols

    def search(
        self,
        queries: Sequence[PlanQuery],
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
        weights = {"bm25": self.weights.bm25, "vector": self.weights.vector}
        # aliases collapse after materialising: read a little deeper than k
        fused = [rrf(chans, weights, self.weights.rrf_k)[: k * 2 + 5] for chans in channels]
        hits = self._materialise(fused, principal)
        return [
            [_public(h, names) for h in collapse(found, q.text, names.uses)[:k]]
            for found, q in zip(hits, queries, strict=True)
        ]

    def search_as_asked(
        self,
        request: str,
        filters: SearchFilters,
        principal: Principal,
        k: int,
        doc_types: Sequence[DocType] = (DocType.SNIPPET, DocType.INSIGHT),
    ) -> list[SearchHit]:
        asked = SearchRequest(request[:MAX_QUERY_CHARS], principal, filters, k, tuple(doc_types))
        return self.searcher.search(asked)

    def find_symbols(
        self, names: Sequence[str], filters: SearchFilters
    ) -> dict[str, list[SearchHit]]:
        index = self.symbols.current()
        found = {name: index.lookup(name, filters) for name in names}
        return {
            name: [_public(e.hit(), index) for e in entries]
            for name, entries in found.items()
            if entries
        }

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
        if DocType.SNIPPET not in wanted or not text.strip():
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
        """One BM25 and one vector list, snippets and insights competing, floors applied;
        the document types not ``wanted`` stay out."""
        store = self.store
        snippet_vectors: list[ChannelHit] = []
        if DocType.SNIPPET in wanted:
            snippet_vectors = self._snippet_vectors(vector, filters, principal, names)
        insight_words: list[ChannelHit] = []
        insight_vectors: list[ChannelHit] = []
        if DocType.INSIGHT in wanted:
            if text.strip():
                insight_words = store.lexical_search(
                    text, DocType.INSIGHT, filters, principal, CHANNEL_DEPTH
                )
            insight_vectors = store.vector_search(
                vector, DocType.INSIGHT, filters, principal, CHANNEL_DEPTH
            )
        return [
            ("bm25", pooled("bm25", [without(lexical, names.internal), insight_words], FLOORS)),
            ("vector", pooled("vector", [snippet_vectors, insight_vectors], FLOORS)),
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
        visible = without(hits, names.internal)
        kept = [h for h in visible if names.admits(h.id, filters)][:CHANNEL_DEPTH]
        return [ChannelHit(id=h.id, rank=n, score=h.score) for n, h in enumerate(kept, 1)]

    def _materialise(self, fused: list[Fused], principal: Principal) -> list[list[SearchHit]]:
        ids = sorted({i for found in fused for i, _, _ in found})
        snippets = self.store.get_snippets(ids)
        insights = self.insights([i for i in ids if i not in snippets], principal)
        out = []
        for found in fused:
            hits = []
            for doc_id, score, explain in found:
                if doc_id in snippets:
                    hits.append(snippet_hit(snippets[doc_id], score, explain))
                elif doc_id in insights:
                    insight = insights[doc_id]
                    hits.append(weigh_trust(insight_hit(insight, score, explain), insight))
            out.append(hits)
        return out


def _public(hit: SearchHit, names: SymbolNames) -> SearchHit:
    """The hit under the public name of its API, where its own path is private."""
    shown = names.public_name(hit.symbol)
    return hit if shown == hit.symbol else hit.model_copy(update={"symbol": shown})


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """One small pool per process: reads overlap, two cores are not oversubscribed."""
    return ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="spark-coach")
