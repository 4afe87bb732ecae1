"""Knowledge-base reads and org administration under ``/v1``.

The knowledge base is shared by every org, so over HTTP it is read-only: ingesting and
removing libraries is the operator's job, on the server's machine (`spark kb`).
Org admins curate, read their epochs and audit log, erase, and manage their own
org's keys; the service enforces the roles.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from spark_memory.errors import InvalidInput
from spark_memory.http.routes import Caller, receipt_out, responses, strict_query
from spark_memory.http.schemas import (
    AuditOut,
    EpochEventOut,
    EpochOut,
    KbBuildOut,
    KeyOut,
    LibraryOut,
    ReceiptOut,
    StatsOut,
)
from spark_memory.models import Snippet
from spark_memory.requests import (
    EraseBody,
    KeyBody,
)
from spark_memory.results import EraseReport
from spark_memory.service import EpochRecord, Spark
from spark_memory.service.verbs import BoundSpark

Limit = Annotated[int, Query(ge=1, le=1000)]


def epoch_out(record: EpochRecord) -> EpochOut:
    return EpochOut(
        id=record.id,
        started=record.started,
        finished=record.finished,
        counts=record.counts,
        events=[EpochEventOut(**vars(e)) for e in record.events],
    )


def kb_router(spark: Spark) -> APIRouter:
    router = APIRouter(
        prefix="/v1/kb", tags=["knowledge base"], dependencies=[Depends(strict_query)]
    )

    @router.get(
        "/libraries", response_model=list[LibraryOut], responses=responses(), name="kb_libraries"
    )
    def libraries(principal: Caller) -> list[LibraryOut]:
        """Libraries and versions the knowledge base holds."""
        return [LibraryOut(**vars(s)) for s in spark.kb_libraries()]

    @router.get("/stats", response_model=StatsOut, responses=responses(), name="stats")
    def stats(principal: Caller) -> StatsOut:
        """Snippet counts, the embedding model, the org's records and the KB build's
        progress (the server's file paths stay private)."""
        data = BoundSpark(spark, principal).stats().as_dict()
        del data["location"]  # the server's paths stay private
        return StatsOut.model_validate(data)

    @router.get("/build", response_model=KbBuildOut | None, responses=responses(), name="kb_build")
    def build(principal: Caller) -> Any:
        """The background build of the default knowledge base: library, count, rate
        (null when this server never built one)."""
        return spark.stats().kb_build

    @router.get(
        "/snippets/{snippet_id}", response_model=Snippet, responses=responses(404), name="kb_show"
    )
    def snippet(snippet_id: str, principal: Caller) -> Any:
        """One documentation snippet in full."""
        return spark.kb_show(snippet_id)

    return router


def admin_router(spark: Spark) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["admin"], dependencies=[Depends(strict_query)])

    @router.post("/curate", response_model=EpochOut, responses=responses(403, 409))
    def curate(principal: Caller) -> EpochOut:
        """Run one curation epoch now (org admin); shows the caller's org's decisions."""
        return epoch_out(spark.curate(principal=principal))

    @router.get("/epochs", response_model=list[EpochOut], responses=responses(403))
    def epochs(principal: Caller, limit: Limit = 20) -> list[EpochOut]:
        """Recent curation epochs (org admin)."""
        return [epoch_out(e) for e in spark.epochs(limit=limit, principal=principal)]

    @router.get("/audit", response_model=list[AuditOut], responses=responses(), name="audit_log")
    def audit(principal: Caller, limit: Limit = 100) -> list[AuditOut]:
        """The org's writes (admin), or the caller's own, most recent first."""
        entries = spark.audit_log(limit=limit, principal=principal)
        return [AuditOut(**vars(e)) for e in entries]

    @router.post("/revert/{target_id}", response_model=ReceiptOut, responses=responses(403, 404))
    def revert(target_id: str, principal: Caller) -> ReceiptOut:
        """Undo the caller's latest write on a target, within the revert window."""
        return receipt_out(spark.revert(target_id, principal=principal))

    @router.post("/erase", response_model=EraseReport, responses=responses(403, 404))
    def erase(body: EraseBody, principal: Caller) -> EraseReport:
        """Delete every record of one agent of the org, or of the whole org (org admin)."""
        if (body.agent_id is None) != body.whole_org:
            raise InvalidInput("give exactly one of agent_id or whole_org: true")
        report = spark.erase(agent_id=body.agent_id, principal=principal)
        return report

    @router.post("/keys", response_model=KeyOut, responses=responses(403))
    def create_key(body: KeyBody, principal: Caller) -> KeyOut:
        """A new key for an agent of the caller's org (org admin); the secret is shown once."""
        key = spark.create_key(principal.org_id, body.agent, body.role, principal=principal)
        return KeyOut(**key.as_dict())

    @router.delete(
        "/keys/{key_id}", status_code=204, response_class=Response, responses=responses(403, 404)
    )
    def revoke_key(key_id: str, principal: Caller) -> Response:
        """Revoke one of the org's keys (org admin)."""
        spark.revoke_key(key_id, principal=principal)
        return Response(status_code=204)

    return router
