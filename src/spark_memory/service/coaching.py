"""The coaching use case: ``recommend``, wired from the coach to search and the LLM.

The coach is a feature and may not import search; this mixin gives it the
``Retriever`` port (``search.retrieval.SearchRetriever``, over the store's search
channels) and builds the LLM client from settings the first time an LLM-written
recommendation is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from spark_memory.coach.agent import Coach, make_request
from spark_memory.coach.models import DEFAULT_BUDGET_TOKENS, Mode, Recommendation
from spark_memory.models import DocType, Principal
from spark_memory.providers.llm import ChatModel, OpenAIChat
from spark_memory.search.retrieval import SearchRetriever
from spark_memory.service.base import ServiceBase


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
        principal: Principal,
        doc_types: Sequence[DocType] = (DocType.SNIPPET, DocType.INSIGHT),
    ) -> Recommendation:
        """Advice for a task before code is written, or for an error after it failed.

        ``doc_types`` restricts what it draws on: documentation snippets, curated
        insights, or both (the default).

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
            doc_types=doc_types,
        )
        self.check_space()
        return self.coach.recommend(request, principal)

    @property
    def coach(self) -> Coach:
        if self._coach is None:
            chat = self._make_chat if self.settings.llm_configured else None
            retriever = SearchRetriever(self.store, self.embedder, self.settings.weights)
            self._coach = Coach(retriever, retriever.knowledge, chat)
        return self._coach

    def _make_chat(self) -> ChatModel:
        if self._chat_model is None:
            self._chat_model = OpenAIChat.from_settings(self.settings)
        return self._chat_model
