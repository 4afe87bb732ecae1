"""The verbs every interface speaks, as protocols: in-process or over HTTP, same calls.

``AgentApi`` is what an agent does (the MCP tools); ``SparkApi`` adds what an org
admin does. The ``Spark`` façade's methods all take the caller's principal, required;
``BoundSpark`` binds the façade to one caller's principal and satisfies both
protocols; ``SparkClient`` satisfies both over HTTP (the key decides the principal).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from spark_memory.coach.models import Recommendation
from spark_memory.learning.undo import EraseReport
from spark_memory.models import Insight, Principal, SearchHit, Snippet
from spark_memory.requests import (
    EnrichBody,
    FeedbackBody,
    MemoryBody,
    RecommendBody,
    SearchBody,
    TraceBody,
)
from spark_memory.service.experience import WriteReceipt
from spark_memory.service.facade import Spark, StoreStats
from spark_memory.store.protocol import AuditEntry, EpochRecord, LibraryStat


class AgentApi(Protocol):
    """Each verb takes its request model (``spark_memory.requests``), declared there once."""

    def search(self, request: SearchBody, /) -> list[SearchHit]: ...

    def recommend(self, request: RecommendBody, /) -> Recommendation: ...

    def get_memory(self, insight_id: str) -> Insight: ...

    def kb_show(self, snippet_id: str) -> Snippet: ...

    def stats(self) -> StoreStats: ...

    def create_memory(
        self, request: MemoryBody, /, *, idempotency_key: str | None = None
    ) -> WriteReceipt: ...

    def enrich_memory(self, insight_id: str, request: EnrichBody, /) -> WriteReceipt: ...

    def share_feedback(self, request: FeedbackBody, /) -> WriteReceipt: ...

    def record_trace(
        self, request: TraceBody, /, *, idempotency_key: str | None = None
    ) -> WriteReceipt: ...


class SparkApi(AgentApi, Protocol):
    def curate(self) -> EpochRecord: ...

    def epochs(self, *, limit: int = 20) -> list[EpochRecord]: ...

    def audit_log(self, *, limit: int = 100) -> list[AuditEntry]: ...

    def revert(self, target_id: str) -> WriteReceipt: ...

    def erase(self, *, agent_id: str | None = None) -> EraseReport: ...

    def kb_libraries(self) -> list[LibraryStat]: ...


class BoundSpark:
    """The façade's verbs on behalf of one principal (an API key's, or the local one).

    Each method hands the request on as it is and adds the principal.
    """

    def __init__(self, spark: Spark, principal: Principal, *, shown_as: str = "") -> None:
        self.spark = spark
        self.principal = principal
        # What callers are told the store is: a remote caller is not shown the server's paths.
        self.shown_as = shown_as

    # --- what an agent does ------------------------------------------------------------------
    def search(self, request: SearchBody, /) -> list[SearchHit]:
        return self.spark.search(request, principal=self.principal)

    def recommend(self, request: RecommendBody, /) -> Recommendation:
        return self.spark.recommend(request, principal=self.principal)

    def get_memory(self, insight_id: str) -> Insight:
        return self.spark.get_memory(insight_id, principal=self.principal)

    def kb_show(self, snippet_id: str) -> Snippet:
        return self.spark.kb_show(snippet_id)  # the knowledge base is public

    def create_memory(
        self, request: MemoryBody, /, *, idempotency_key: str | None = None
    ) -> WriteReceipt:
        return self.spark.create_memory(
            request, idempotency_key=idempotency_key, principal=self.principal
        )

    def enrich_memory(self, insight_id: str, request: EnrichBody, /) -> WriteReceipt:
        return self.spark.enrich_memory(insight_id, request, principal=self.principal)

    def share_feedback(self, request: FeedbackBody, /) -> WriteReceipt:
        return self.spark.share_feedback(request, principal=self.principal)

    def record_trace(
        self, request: TraceBody, /, *, idempotency_key: str | None = None
    ) -> WriteReceipt:
        return self.spark.record_trace(
            request, idempotency_key=idempotency_key, principal=self.principal
        )

    # --- what an org admin does ------------------------------------------------------------
    def curate(self) -> EpochRecord:
        return self.spark.curate(principal=self.principal)

    def epochs(self, *, limit: int = 20) -> list[EpochRecord]:
        return self.spark.epochs(limit=limit, principal=self.principal)

    def audit_log(self, *, limit: int = 100) -> list[AuditEntry]:
        return self.spark.audit_log(limit=limit, principal=self.principal)

    def revert(self, target_id: str) -> WriteReceipt:
        return self.spark.revert(target_id, principal=self.principal)

    def erase(self, *, agent_id: str | None = None) -> EraseReport:
        return self.spark.erase(agent_id=agent_id, principal=self.principal)

    def stats(self) -> StoreStats:
        # The knowledge base is public; the records counted are the caller's org's.
        stats = replace(self.spark.stats(), records=self.spark.usage(principal=self.principal))
        return replace(stats, location=self.shown_as) if self.shown_as else stats

    def kb_libraries(self) -> list[LibraryStat]:
        return self.spark.kb_libraries()
