"""The coaching use case: ``recommend``, wired from the coach to search and the LLM.

The coach is a feature and may not import search; this mixin gives it the
``Retriever`` port (``search.retrieval.SearchRetriever``, over the store's search
channels) and builds the LLM client from settings the first time an LLM-written
recommendation is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from spark_memory.coach.agent import Coach, make_request
from spark_memory.coach.models import Recommendation
from spark_memory.models import DocType, Principal
from spark_memory.providers.llm import ChatModel, OpenAIChat
from spark_memory.requests import RecommendBody, given
from spark_memory.search.hybrid import HybridSearch
from spark_memory.search.retrieval import SearchRetriever
from spark_memory.service.base import ServiceBase


class Coaching(ServiceBase):
    _coach: Coach | None = None
    _chat_model: ChatModel | None = None
    check_space: Callable[[], None]  # provided by the façade
    searcher: HybridSearch  # provided by the façade

    def recommend(
        self,
        request: RecommendBody | str,
        /,
        *,
        principal: Principal,
        doc_types: Sequence[DocType] = (DocType.SNIPPET, DocType.INSIGHT),
        **fields: Any,
    ) -> Recommendation:
        """Advice for a task before code is written, or for an error after it failed.

        ``request``: a ``RecommendBody``, or its fields (``recommend(task, error=...)``).
        ``doc_types`` restricts what it draws on: documentation snippets, curated
        insights, or both (the default).

        Raises InvalidInput / PayloadTooLarge for bad input, ProviderError (and its
        subclasses MalformedReply, ProviderUnavailable) when the LLM mode fails.
        """
        body = given(RecommendBody, (request,), fields)
        asked = make_request(
            body.task,
            code=body.code,
            error=body.error,
            environment=body.environment,
            budget_tokens=body.budget_tokens,
            mode=body.mode,
            doc_types=doc_types,
        )
        self.check_space()
        return self.coach.recommend(asked, principal)

    @property
    def coach(self) -> Coach:
        if self._coach is None:
            chat = self._make_chat if self.settings.llm_configured else None
            retriever = SearchRetriever(self.searcher)
            self._coach = Coach(retriever, retriever.knowledge, chat)
        return self._coach

    def _make_chat(self) -> ChatModel:
        if self._chat_model is None:
            self._chat_model = OpenAIChat.from_settings(self.settings)
        return self._chat_model
