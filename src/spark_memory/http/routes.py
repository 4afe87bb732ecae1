"""The agent verbs as REST routes under ``/v1``: translate, call the façade, translate back.

Every route takes its principal from the key (``caller``); the service decides what
that principal may see and do. Reads made with an ``X-Spark-Session`` header are
noted in the session ledger, so a later trace or run in that session is tied to them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from spark_memory.coach.models import Mode, Recommendation
from spark_memory.errors import InvalidInput
from spark_memory.http.auth import caller
from spark_memory.http.errors import ErrorBody
from spark_memory.http.mcp_seats import SHOWN_AS
from spark_memory.http.schemas import (
    ReceiptOut,
    RunOut,
    SearchOut,
)
from spark_memory.models import Insight, Principal
from spark_memory.requests import (
    EnrichBody,
    FeedbackBody,
    MemoryBody,
    RecommendBody,
    RunBody,
    SearchBody,
    TraceBody,
)
from spark_memory.service import Spark
from spark_memory.service.experience import WriteReceipt
from spark_memory.service.sessions import (
    SESSION_HEADER,
    Ledger,
    RunOutcome,
    record_run,
    session_name,
)
from spark_memory.service.verbs import BoundSpark

Caller = Annotated[Principal, Depends(caller)]
Session = Annotated[
    str | None,
    Header(alias=SESSION_HEADER, max_length=128, pattern=r"^[A-Za-z0-9._:-]{1,128}$"),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="a retried write with the same key is stored once",
    ),
]


def strict_query(request: Request) -> None:
    """Refuse query parameters a route does not declare (a typo should not pass silently)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _query_names(route.dependant))
    if unknown:
        raise InvalidInput(f"unknown query parameter(s): {', '.join(unknown)[:200]}")


def _query_names(dependant: Dependant) -> set[str]:
    names = {f.alias for f in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer (all as ErrorBody)."""
    common = (401, 413, 422, 429)
    return {s: {"model": ErrorBody} for s in sorted({*common, *statuses})}


def receipt_out(receipt: WriteReceipt) -> ReceiptOut:
    return ReceiptOut.model_validate(receipt.as_dict())


def agent_router(spark: Spark, ledger: Ledger) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["agent"], dependencies=[Depends(strict_query)])

    def note(principal: Principal, session: str | None, ids: list[str]) -> None:
        if session is not None:
            ledger.served(principal, session_name(session), ids)

    @router.post("/search", response_model=SearchOut, responses=responses(409))
    def search(body: SearchBody, principal: Caller, session: Session = None) -> SearchOut:
        """Hybrid search of documentation snippets and the lessons the caller may see."""
        hits = spark.search(body, principal=principal)
        note(principal, session, [h.id for h in hits])
        if hits:
            return SearchOut(hits=hits)
        return SearchOut(
            hits=hits, note=BoundSpark(spark, principal, shown_as=SHOWN_AS).stats().empty_note()
        )

    @router.post("/recommend", response_model=Recommendation, responses=responses(409, 502, 503))
    def recommend(body: RecommendBody, principal: Caller, session: Session = None) -> Any:
        """The coach's advice for a task, or for an error, within a token budget."""
        if body.mode is Mode.LLM and not spark.settings.llm_configured:
            # Asking this server for what it does not offer is the caller's mistake, not
            # an outage: 422 here, while 502/503 stay for an LLM that is configured but down.
            raise InvalidInput("this server has no LLM configured; use mode auto or extractive")
        rec = spark.recommend(body, principal=principal)
        note(principal, session, [c.id for c in rec.citations])
        return rec

    @router.get("/memories/{insight_id}", response_model=Insight, responses=responses(404))
    def get_memory(insight_id: str, principal: Caller, session: Session = None) -> Any:
        """One insight the caller may see (provenance only for its own org's)."""
        insight = spark.get_memory(insight_id, principal=principal)
        note(principal, session, [insight.id])
        return insight

    @router.post("/memories", response_model=ReceiptOut, responses=responses(403, 409))
    def create_memory(
        body: MemoryBody, principal: Caller, idempotency_key: IdempotencyKey = None
    ) -> ReceiptOut:
        """Store a lesson the agent learned; unsafe or injected advice is refused (422)."""
        receipt = spark.create_memory(body, idempotency_key=idempotency_key, principal=principal)
        return receipt_out(receipt)

    @router.post(
        "/memories/{insight_id}/enrich",
        response_model=ReceiptOut,
        responses=responses(403, 404, 409),
    )
    def enrich_memory(insight_id: str, body: EnrichBody, principal: Caller) -> ReceiptOut:
        """Add to an insight of the caller's org (adding the same text twice changes nothing)."""
        receipt = spark.enrich_memory(insight_id, body, principal=principal)
        return receipt_out(receipt)

    @router.post("/feedback", response_model=ReceiptOut, responses=responses(403, 404))
    def share_feedback(body: FeedbackBody, principal: Caller) -> ReceiptOut:
        """Vote on a snippet or insight; the agent's latest vote is the one that counts."""
        receipt = spark.share_feedback(body, principal=principal)
        return receipt_out(receipt)

    @router.post("/traces", response_model=ReceiptOut, responses=responses(403, 409))
    def record_trace(
        body: TraceBody,
        principal: Caller,
        session: Session = None,
        idempotency_key: IdempotencyKey = None,
    ) -> ReceiptOut:
        """Store one attempt and its outcome, private to the org."""
        if not body.served_ids and session is not None:
            served = ledger.since_last_run(principal, session_name(session))
            body = body.model_copy(update={"served_ids": served})
        receipt = spark.record_trace(body, idempotency_key=idempotency_key, principal=principal)
        return receipt_out(receipt)

    @router.post("/runs", response_model=RunOut, responses=responses(403), name="record_run")
    def record_a_run(body: RunBody, principal: Caller, session: Session = None) -> RunOut:
        """A test or build run (`spark run`): a trace, and verified votes on what was served."""
        run = RunOutcome(**body.model_dump())
        api = BoundSpark(spark, principal)
        report = record_run(api, ledger, principal, session_name(session), run)
        return RunOut.model_validate(report.as_dict())

    return router
