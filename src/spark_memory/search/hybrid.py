"""Hybrid search over snippets (documentation) and insights (experience).

Each document type is searched by BM25 and by vector similarity inside the store (which
enforces scopes). Documentation and lessons then compete in one list per channel, and
only documents whose own score clears the channel's floor take part (``fusion``). The
channels are fused by weighted RRF, the pages of an API the query's prose names
(``named``) raised; a lesson's fused score is then weighed by its
trust (the lower credible bound: a refuted lesson sinks, an endorsed one rises a
little). The pages of one API under several paths collapse into one result under its
public name (``rank.collapse``), and each hit keeps its rank and score per channel, so
a result can explain itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from spark_memory.config import SearchWeights
from spark_memory.errors import InvalidInput, PayloadTooLarge, UnknownFilter
from spark_memory.models import (
    MAX_K,
    MAX_QUERY_CHARS,
    ChannelHit,
    ChannelScore,
    DocType,
    Insight,
    Principal,
    SearchFilters,
    SearchHit,
    Snippet,
)
from spark_memory.providers.embedder import Embedder, Vectors
from spark_memory.search.fusion import FLOORS, pooled, rrf
from spark_memory.search.named import named_in_prose, named_pages
from spark_memory.search.rank import (
    at_least,
    collapse,
    one_per_method,
    raise_named,
    weigh_trust,
)
from spark_memory.search.symbol_index import SymbolIndex, SymbolNames
from spark_memory.search.symbols import is_private
from spark_memory.store.protocol import Store
from spark_memory.task_text import for_embedding

# Candidates asked of each channel: enough depth for fusion to matter, cheap to fetch.
_DEPTH = 50
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


@dataclass(frozen=True)
class SearchRequest:
    query: str
    principal: Principal
    filters: SearchFilters = field(default_factory=SearchFilters)
    k: int = 10
    doc_types: tuple[DocType, ...] = (DocType.SNIPPET, DocType.INSIGHT)


class HybridSearch:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        weights: SearchWeights,
        symbols: SymbolIndex | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.weights = weights
        # internal pages (``symbol_index``) stay out once the index is built; a search
        # never waits for that build
        self.symbols = symbols or SymbolIndex(store)

    def search(self, request: SearchRequest) -> list[SearchHit]:
        self.validate(request)
        # The query is embedded on another thread while the lexical channels run here:
        # both release the GIL (ONNX Runtime, SQLite/libpq), and on a long prompt each
        # takes ~15 ms at 100k snippets, so the wait is the longer one, not their sum.
        pending = _embed_pool().submit(self.embedder.embed_queries, [for_embedding(request.query)])
        lexical = self._lexical(request)
        return self._fused(request, pending.result()[0], lexical)

    def search_with_vector(self, request: SearchRequest, vector: Vectors) -> list[SearchHit]:
        """``vector``: the query's, embedded from ``task_text.for_embedding(query)``."""
        return self._fused(request, vector, self._lexical(request))

    def _fused(
        self, request: SearchRequest, vector: Vectors, lexical: dict[DocType, list[ChannelHit]]
    ) -> list[SearchHit]:
        index = self.symbols.peek()  # one snapshot a search: each look asks the store
        channels = self._channels(request, vector, lexical, index)
        weights = {"bm25": self.weights.bm25, "vector": self.weights.vector}
        # aliases collapse after materialising: read a little deeper than k
        names = named_in_prose(request.query)
        fused = raise_named(rrf(channels, weights, self.weights.rrf_k), _pages_of(names, index))
        if DocType.SNIPPET in request.doc_types:
            # a named page may enter the list: only one the caller's filters admit
            pages = named_pages(names, request.query, index, request.filters)
            fused = at_least(fused, pages)
        fused = fused[: request.k * 2 + 5]
        hits = self._materialise(fused, request.principal)
        return one_per_method(collapse(hits, request.query, index.uses))[: request.k]

    def channels(
        self, request: SearchRequest, vector: Vectors
    ) -> list[tuple[str, list[ChannelHit]]]:
        """Every channel's ranked candidates, one list per channel and document type."""
        return self._channels(request, vector, self._lexical(request), self.symbols.peek())

    def _lexical(self, request: SearchRequest) -> dict[DocType, list[ChannelHit]]:
        depth = _depth(request)
        return {
            doc_type: self.store.lexical_search(
                request.query, doc_type, request.filters, request.principal, depth
            )
            for doc_type in request.doc_types
        }

    def _channels(
        self,
        request: SearchRequest,
        vector: Vectors,
        lexical: dict[DocType, list[ChannelHit]],
        index: SymbolNames,
    ) -> list[tuple[str, list[ChannelHit]]]:
        """One BM25 and one vector list, every document type in each, floors applied."""
        depth = _depth(request)
        vectors = [
            self.store.vector_search(vector, doc_type, request.filters, request.principal, depth)
            for doc_type in request.doc_types
        ]
        hidden = _internal(request.query, index)
        return [
            (
                "bm25",
                pooled("bm25", [without(lexical[t], hidden) for t in request.doc_types], FLOORS),
            ),
            ("vector", pooled("vector", [without(v, hidden) for v in vectors], FLOORS)),
        ]

    def validate(self, request: SearchRequest) -> None:
        if not request.query.strip():
            raise InvalidInput("the query is empty")
        if len(request.query) > MAX_QUERY_CHARS:
            raise PayloadTooLarge(
                f"the query has {len(request.query)} characters; the limit is {MAX_QUERY_CHARS}"
            )
        if not 1 <= request.k <= MAX_K:
            raise InvalidInput(f"k must be between 1 and {MAX_K}, got {request.k}")
        self._check_libraries(request.filters.libraries)

    def _check_libraries(self, libraries: Sequence[str]) -> None:
        if not libraries:
            return
        known = {s.library for s in self.store.library_stats()}
        unknown = sorted(set(libraries) - known)
        if unknown:
            listing = ", ".join(sorted(known)) or "none yet"
            raise UnknownFilter(f"unknown library {', '.join(unknown)}; known: {listing}")

    def _materialise(
        self, fused: list[tuple[str, float, dict[str, ChannelScore]]], principal: Principal
    ) -> list[SearchHit]:
        ids = [i for i, _, _ in fused]
        snippets = self.store.get_snippets(ids)
        insights = self.store.get_insights([i for i in ids if i not in snippets], principal)
        hits = []
        for doc_id, score, explain in fused:
            if doc_id in snippets:
                hits.append(snippet_hit(snippets[doc_id], score, explain))
            elif doc_id in insights:
                insight = insights[doc_id]
                hits.append(weigh_trust(insight_hit(insight, score, explain), insight))
        return sorted(hits, key=lambda h: -h.score)


@functools.cache
def _embed_pool() -> ThreadPoolExecutor:
    """One per process, made on first search: queries are embedded here."""
    return ThreadPoolExecutor(2, thread_name_prefix="spark-embed")


def _pages_of(names: frozenset[str], index: SymbolNames) -> frozenset[str]:
    """Ids of the API pages whose last name is one of ``names``."""
    return frozenset(e.id for name in names for e in index.by_last.get(name, ()))


def _internal(query: str, index: SymbolNames) -> frozenset[str]:
    """Internal pages to leave out, unless the query names a private path itself."""
    if any(is_private(word) for word in _DOTTED.findall(query)):
        return frozenset()
    return index.internal


def without(hits: list[ChannelHit], hidden: frozenset[str]) -> list[ChannelHit]:
    """A channel's hits but the ``hidden`` ids (internal pages, ``symbol_index``)."""
    return [h for h in hits if h.id not in hidden] if hidden else hits


def _depth(request: SearchRequest) -> int:
    return max(_DEPTH, request.k * 2)


def snippet_hit(
    s: Snippet, score: float = 0.0, explain: dict[str, ChannelScore] | None = None
) -> SearchHit:
    return SearchHit(
        id=s.id,
        doc_type=DocType.SNIPPET,
        title=s.title,
        library=s.library,
        version=s.version,
        symbol=s.symbol,
        kind=s.kind.value,
        text=s.text,
        score=score,
        channels=explain or {},
        apis=list(s.apis),  # documentation sections carry them
    )


def insight_hit(i: Insight, score: float, explain: dict[str, ChannelScore]) -> SearchHit:
    libraries = i.libraries
    return SearchHit(
        id=i.id,
        doc_type=DocType.INSIGHT,
        title=i.title,
        library=libraries[0] if libraries else "",
        version="",
        symbol="",
        kind=i.kind.value,
        text=i.content,
        score=score,
        channels=explain,
    )
