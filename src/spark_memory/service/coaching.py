"""The coaching use case: ``recommend``, wired from the coach to search and the LLM.

The coach is a feature and may not import search; this mixin implements the coach's
``Retriever`` port over ``HybridSearch`` and the store, and builds the LLM client
from settings the first time an LLM-written recommendation is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from spark_memory.coach.agent import Coach, make_request
from spark_memory.coach.models import DEFAULT_BUDGET_TOKENS, Mode, Recommendation
from spark_memory.models import (
    LOCAL_PRINCIPAL,
    DocType,
    Insight,
    Principal,
    SearchFilters,
    SearchHit,
    Snippet,
)
from spark_memory.providers.embedder import Embedder
from spark_memory.providers.llm import ChatModel, OpenAIChat
from spark_memory.search.hybrid import HybridSearch, SearchRequest
from spark_memory.service.base import ServiceBase
from spark_memory.store.protocol import Store

# How deep a symbol lookup reads the lexical index for one name; symbol words are
# weighted high in BM25, so the symbols spelled that way come first.
SYMBOL_DEPTH = 60
_API_KINDS = ["api", "example"]


class Coaching(ServiceBase):
    _coach: Coach | None = None
    _chat_model: ChatModel | None = None
    check_space: Callable[[], None]  # provided by the façade

    def recommend(
        self,
        task: str,
        *,
        code: str | None = None,
        error: str | None = None,
        environment: Mapping[str, str] | None = None,
        budget_tokens: int = DEFAULT_BUDGET_TOKENS,
        mode: Mode | str = Mode.AUTO,
        principal: Principal = LOCAL_PRINCIPAL,
    ) -> Recommendation:
        """Advice for a task before code is written, or for an error after it failed.

        Raises InvalidInput / PayloadTooLarge for bad input, ProviderError (and its
        subclasses MalformedReply, ProviderUnavailable) when the LLM mode fails.
        """
        request = make_request(
            task,
            code=code,
            error=error,
            environment=environment,
            budget_tokens=budget_tokens,
            mode=mode,
        )
        self.check_space()
        return self.coach.recommend(request, principal)

    @property
    def coach(self) -> Coach:
        if self._coach is None:
            chat = self._make_chat if self.settings.llm_configured else None
            retriever = SearchRetriever(self.searcher, self.embedder, self.store)
            self._coach = Coach(retriever, retriever.knowledge, chat)
        return self._coach

    def _make_chat(self) -> ChatModel:
        if self._chat_model is None:
            self._chat_model = OpenAIChat.from_settings(self.settings)
        return self._chat_model


class SearchRetriever:
    """The coach's Retriever port over hybrid search and the store."""

    def __init__(self, searcher: HybridSearch, embedder: Embedder, store: Store) -> None:
        self.searcher = searcher
        self.embedder = embedder
        self.store = store

    def search(
        self, queries: Sequence[str], filters: SearchFilters, principal: Principal, k: int
    ) -> list[list[SearchHit]]:
        vectors = self.embedder.embed(list(queries))  # one batch: the embedder's cost is per call
        return [
            self.searcher.search_with_vector(SearchRequest(q, principal, filters, k), vector)
            for q, vector in zip(queries, vectors, strict=True)
        ]

    def find_symbols(
        self, names: Sequence[str], filters: SearchFilters
    ) -> dict[str, list[SearchHit]]:
        api_filters = filters.model_copy(update={"kinds": _API_KINDS})
        candidates = {name: self._lexical_ids(name, api_filters) for name in names}
        found = self.store.get_snippets(sorted({i for ids in candidates.values() for i in ids}))
        out: dict[str, list[SearchHit]] = {}
        for name, ids in candidates.items():
            suffix = "." + name
            out[name] = [
                _hit(found[i])
                for i in ids
                if i in found and (found[i].symbol == name or found[i].symbol.endswith(suffix))
            ]
        return out

    def insights(self, ids: Sequence[str], principal: Principal) -> dict[str, Insight]:
        return self.store.get_insights(list(ids), principal) if ids else {}

    def knowledge(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for stat in self.store.library_stats():
            out.setdefault(stat.library, []).append(stat.version)
        return out

    def _lexical_ids(self, name: str, filters: SearchFilters) -> list[str]:
        hits = self.store.lexical_search(
            name, DocType.SNIPPET, filters, LOCAL_PRINCIPAL, SYMBOL_DEPTH
        )
        return [h.id for h in hits]


def _hit(snippet: Snippet) -> SearchHit:
    return SearchHit(
        id=snippet.id,
        doc_type=DocType.SNIPPET,
        title=snippet.title,
        library=snippet.library,
        version=snippet.version,
        symbol=snippet.symbol,
        kind=snippet.kind.value,
        text=snippet.text,
        score=0.0,
    )
