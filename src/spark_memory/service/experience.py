"""The experiential learning use cases: traces, memories, feedback, curation, undo.

Every method takes the caller's ``Principal``; the tenant comes from it alone. Writes
need a writer (or admin) key, curation and erasure an admin key. Each write is
audited, so its author can revert it within the policy's window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spark_memory.errors import Conflict, Forbidden, InvalidInput, NotFound
from spark_memory.learning.admission import insight_text
from spark_memory.learning.curation import Curator
from spark_memory.learning.epochlog import for_org
from spark_memory.learning.generalise import DeterministicGeneraliser, Generaliser
from spark_memory.learning.intake import (
    IdempotentRequest,
    Screened,
    build_feedback,
    build_memory,
    build_trace,
    enriched,
    idempotent_request,
    quarantine_note,
    refuse_unsafe,
    review_memory,
    same_vote,
    screen,
    trace_fields,
)
from spark_memory.learning.policy import LearningPolicy, SecretPolicy
from spark_memory.learning.safety import review_markdown
from spark_memory.learning.trust import DEFAULT_STANDING
from spark_memory.learning.trust_upkeep import base_trust, recompute
from spark_memory.learning.undo import (
    EraseReport,
    Undo,
    detail,
    erase,
    find_revertible,
    revert,
    unmerge,
)
from spark_memory.models import (
    LOCAL_PRINCIPAL,
    Evidence,
    Insight,
    InsightStatus,
    Principal,
    Provenance,
    Role,
    Scope,
    utcnow,
)
from spark_memory.requests import EnrichBody, FeedbackBody, MemoryBody, TraceBody, given
from spark_memory.results import (  # defined there; importable from here too
    WriteReceipt as WriteReceipt,
)
from spark_memory.service.base import ServiceBase
from spark_memory.service.jobs import CURATION_LOCK, single_flight
from spark_memory.store.protocol import AuditEntry, EpochRecord


class Experience(ServiceBase):
    _learning_policy: LearningPolicy | None = None
    _generaliser: Generaliser | None = None
    check_space: Callable[[], None]  # provided by the façade

    # --- configuration -------------------------------------------------------------------
    @property
    def learning_policy(self) -> LearningPolicy:
        if self._learning_policy is None:
            self._learning_policy = LearningPolicy(promotion_orgs=self.settings.promotion_orgs)
        return self._learning_policy

    @learning_policy.setter
    def learning_policy(self, policy: LearningPolicy) -> None:
        self._learning_policy = policy

    @property
    def generaliser(self) -> Generaliser:
        """The LLM generaliser when an LLM is configured, else the deterministic one."""
        if self._generaliser is None:
            if self.settings.llm_configured:
                from spark_memory.learning.llm_generalise import LlmGeneraliser
                from spark_memory.providers.llm import OpenAIChat

                self._generaliser = LlmGeneraliser(OpenAIChat.from_settings(self.settings))
            else:
                self._generaliser = DeterministicGeneraliser()
        return self._generaliser

    def standing(self, agent_id: str) -> float:
        try:
            return self.store.get_agent(agent_id).standing
        except NotFound:
            return DEFAULT_STANDING

    # --- writes ----------------------------------------------------------------------------
    def record_trace(
        self,
        request: TraceBody | str,
        /,
        *,
        principal: Principal,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> WriteReceipt:
        """Store one attempt (private to the org); secrets are redacted or the trace refused.

        ``request``: a ``TraceBody``, or its fields (``record_trace(task, outcome=...)``).
        """
        _require_writer(principal)
        body = given(TraceBody, (request,), fields)
        environment = dict(body.environment or {})
        replay = idempotent_request(
            principal, "trace", idempotency_key, task=body.task, code=body.code,
            outcome=body.outcome, test_output=body.test_output, error=body.error,
            correction=body.correction, environment=environment, model=body.model,
            served_ids=list(body.served_ids), secrets=body.secrets,
        )  # fmt: skip
        if (known := self._recall(principal, replay)) is not None:
            return known
        text = trace_fields(
            task=body.task,
            code=body.code,
            test_output=body.test_output,
            error=body.error,
            correction=body.correction,
            environment=environment,
            model=body.model,
            served_ids=body.served_ids,
        )
        screened = screen(text, body.secrets or self.learning_policy.secrets, "trace")
        trace = build_trace(principal, screened, outcome=body.outcome)
        inserted = self.store.add_trace(trace).inserted == 1
        if inserted:
            self._audit(principal, "trace.record", trace.id, detail(outcome=trace.outcome.value))
        self._remember(principal, replay, trace.id)
        return _receipt(trace.id, inserted, screened)

    def create_memory(
        self,
        request: MemoryBody | str,
        /,
        *args: str,
        principal: Principal,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> WriteReceipt:
        """Store an agent-written insight; unsafe or injected content is refused.

        ``request``: a ``MemoryBody``, or its fields (``create_memory(title, content, ...)``).
        """
        _require_writer(principal)
        body = given(MemoryBody, (request, *args), fields)
        evidence = _evidence(body.evidence)
        replay = idempotent_request(
            principal, "memory", idempotency_key, title=body.title, content=body.content,
            query=body.query, tags=list(body.tags), kind=body.kind, scope=body.scope,
            evidence=evidence, secrets=body.secrets,
        )  # fmt: skip
        if (known := self._recall(principal, replay)) is not None:
            return known
        text = {
            "title": body.title,
            "content": body.content,
            "query": body.query,
            "failing_code": evidence.failing_code,
            "error": evidence.error,
            "fix": evidence.fix,
        }
        screened = screen(text, body.secrets or self.learning_policy.secrets, "memory")
        refuse_unsafe(review_memory(screened), "memory")
        low = self.standing(principal.agent_id) < self.learning_policy.quarantine_below
        status = InsightStatus.QUARANTINED if low else InsightStatus.ACTIVE
        insight = build_memory(
            principal, screened, tags=body.tags, kind=body.kind, scope=body.scope, status=status
        )
        insight = insight.model_copy(
            update={"trust": base_trust(insight, self.standing, self.learning_policy)}
        )
        existed = insight.id in self.store.unscoped_insights([insight.id])
        if not existed:
            self.check_space()
            self.store.put_insight(
                insight, self.embedder.embed([insight_text(insight)])[0], self.space
            )
            self._audit(principal, "insight.create", insight.id, detail(scope=insight.scope.value))
        self._remember(principal, replay, insight.id)
        receipt = _receipt(insight.id, not existed, screened)
        note = quarantine_note(status)
        message = " ".join(m for m in (receipt.message, note) if m)
        return WriteReceipt(receipt.id, receipt.status, message, receipt.redactions, status)

    def enrich_memory(
        self,
        insight_id: str,
        request: EnrichBody | str,
        /,
        *,
        principal: Principal,
        secrets: SecretPolicy | None = None,
        **fields: Any,
    ) -> WriteReceipt:
        """Add to an insight of the caller's org (public ones change only through curation).

        ``request``: an ``EnrichBody``, or its fields (``enrich_memory(id, addition, ...)``).
        """
        _require_writer(principal)
        body = given(EnrichBody, (request,), fields)
        addition, tags, query = body.addition, body.tags, body.query
        current = self.store.get_insight(insight_id, principal)
        if current.scope is Scope.PUBLIC or current.org_id != principal.org_id:
            raise Forbidden(
                f"{insight_id} is not your org's: public insights change only through"
                " curation; write your own memory and curation will merge it"
            )
        low = self.standing(principal.agent_id) < self.learning_policy.quarantine_below
        if low and current.agent_id != principal.agent_id:
            raise Forbidden("agents in quarantine may enrich only their own insights")
        if not addition.strip():
            raise InvalidInput("the addition is empty")
        screened = screen(
            {"addition": addition, "query": query},
            secrets or self.learning_policy.secrets,
            "addition",
        )
        refuse_unsafe(review_markdown(screened.fields["addition"]), "addition")
        updated = enriched(current, screened, tags, principal)
        if updated.content_hash == current.content_hash and updated.tags == current.tags:
            return WriteReceipt(insight_id, "unchanged", "the addition is already there")
        self.check_space()
        self.store.put_insight(updated, self.embedder.embed([insight_text(updated)])[0], self.space)
        info = detail(before=current.model_dump_json(), after_hash=updated.content_hash)
        self._audit(principal, "insight.enrich", insight_id, info)
        return WriteReceipt(insight_id, "updated", screened.message(), tuple(screened.findings))

    def share_feedback(
        self, request: FeedbackBody | str, /, *, principal: Principal, **fields: Any
    ) -> WriteReceipt:
        """Vote on a snippet or insight the caller can see; the latest vote per agent counts.

        ``request``: a ``FeedbackBody``, or its fields (``share_feedback(id, relevant=True)``).
        """
        _require_writer(principal)
        body = given(FeedbackBody, (request,), fields)
        target_id = body.target_id
        insight = self._feedback_target(target_id, principal)
        screened = screen({"comment": body.comment}, "redact", "comment")
        mine = [
            f
            for f in self.store.list_feedback(target_id)
            if (f.org_id, f.agent_id) == (principal.org_id, principal.agent_id)
        ]
        feedback = build_feedback(
            principal,
            target_id,
            relevant=body.relevant,
            correct=body.correct,
            verified=body.verified,
            comment=screened.fields["comment"],
            revision=len(mine),
        )
        latest = max(mine, key=lambda f: (f.created, f.id)) if mine else None
        if latest is not None and same_vote(latest, feedback):
            return WriteReceipt(latest.id, "unchanged", "the same vote is already recorded")
        self.store.add_feedback(feedback)
        if insight is not None:
            self._retrust(insight)
        self._audit(principal, "feedback.share", target_id, detail(feedback_id=feedback.id))
        return _receipt(feedback.id, True, screened)

    # --- reads -------------------------------------------------------------------------------
    def get_memory(self, insight_id: str, *, principal: Principal) -> Insight:
        """One insight the caller may see; provenance is shown only to the owning org."""
        insight = self.store.get_insight(insight_id, principal)
        if insight.org_id != principal.org_id:
            insight = insight.model_copy(update={"provenance": Provenance()})
        return insight

    def audit_log(self, *, limit: int = 100, principal: Principal) -> list[AuditEntry]:
        """The org's writes (admins), or the caller's own writes, most recent first."""
        if principal.role is Role.ADMIN:
            return self.store.audit_log(principal.org_id, limit)
        entries = self.store.audit_log(principal.org_id, limit * 20)
        return [e for e in entries if e.agent_id == principal.agent_id][:limit]

    # --- curation ------------------------------------------------------------------------------
    def curate(self, *, principal: Principal) -> EpochRecord:
        """Run one curation epoch now; an org admin sees the counts and its own events."""
        _require_admin(principal)
        self.check_space()
        curator = Curator(
            self.store, self.embedder, self.generaliser, self.learning_policy, self.standing
        )
        # one epoch at a time store-wide, however started (HTTP, CLI, worker, schedule)
        with single_flight(self.store, CURATION_LOCK, self.settings.job_lease, "a curation epoch"):
            record = curator.run()
        return self._epoch_view(record, principal)

    def epochs(self, *, limit: int = 20, principal: Principal) -> list[EpochRecord]:
        _require_admin(principal)
        return [self._epoch_view(e, principal) for e in self.store.list_epochs(limit)]

    # --- undo -----------------------------------------------------------------------------------
    def revert(self, target_id: str, *, principal: Principal) -> WriteReceipt:
        """Undo the caller's latest write on ``target_id``, within the revert window."""
        _require_writer(principal)
        now = utcnow()
        entry = find_revertible(self.store, principal, target_id, self.learning_policy, now)
        what = revert(self._undo(), principal, entry, now)
        self._audit(principal, "revert", target_id, detail(reverts=entry.seq, action=entry.action))
        return WriteReceipt(target_id, "reverted", what)

    def unmerge(self, insight_id: str, *, principal: Principal) -> list[str]:
        """Undo the org's merges into an insight (org admin); the lessons' ids, restored."""
        restored = unmerge(self._undo(), principal, insight_id)
        self._audit(principal, "insight.unmerge", insight_id, detail(restored=restored))
        return restored

    def erase(self, *, agent_id: str | None = None, principal: Principal) -> EraseReport:
        """Delete all data of one agent of the caller's org, or of the whole org (admin)."""
        report = erase(self._undo(), principal, agent_id, utcnow())
        action = "org.erase" if agent_id is None else "agent.erase"
        self._audit(principal, action, agent_id or principal.org_id, detail(**vars(report)))
        return report

    # --- helpers ----------------------------------------------------------------------------------
    def _feedback_target(self, target_id: str, principal: Principal) -> Insight | None:
        if target_id.startswith("ins_"):
            return self.store.get_insight(target_id, principal)
        if target_id.startswith("snp_"):
            self.store.get_snippet(target_id)
            return None
        raise NotFound(f"no snippet or insight {target_id!r}")

    def _retrust(self, insight: Insight) -> None:
        stored = self.store.unscoped_insights([insight.id]).get(insight.id, insight)
        updated = recompute(self.store, stored, self.standing, self.learning_policy, utcnow())
        if updated is not None:
            self.store.put_insight(updated, None, None)

    def _undo(self) -> Undo:
        return Undo(
            self.store,
            self.learning_policy,
            self.standing,
            self.embedder.embed,
            self.space,
            insight_text,
        )

    def _epoch_view(self, record: EpochRecord, principal: Principal) -> EpochRecord:
        operator = principal.org_id == LOCAL_PRINCIPAL.org_id
        return record if operator else for_org(record, principal.org_id)

    def _audit(self, principal: Principal, action: str, target_id: str, info: str) -> None:
        entry = AuditEntry(
            0, utcnow(), principal.org_id, principal.agent_id, action, target_id, info
        )
        self.store.audit(entry)

    def _recall(
        self, principal: Principal, request: IdempotentRequest | None
    ) -> WriteReceipt | None:
        if request is None:
            return None
        found = self.store.recall_idempotent(principal.org_id, request.key)
        if found is None:
            return None
        if found.request_hash and found.request_hash != request.body:
            raise Conflict(
                "this idempotency key was already used for a different request; send a new"
                " key for a new write"
            )
        return WriteReceipt(
            found.result_id, "unchanged", "already stored under this idempotency key"
        )

    def _remember(
        self, principal: Principal, request: IdempotentRequest | None, result_id: str
    ) -> None:
        if request is not None:
            self.store.remember_idempotent(principal.org_id, request.key, result_id, request.body)


def _require_writer(principal: Principal) -> None:
    if principal.role not in (Role.WRITER, Role.ADMIN):
        raise Forbidden("this key may only read; writing needs a writer key")


def _require_admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden("this needs an org admin key")


def _evidence(given: object) -> Evidence:
    """The evidence as the service keeps it, from whichever model or mapping carried it."""
    if given is None:
        return Evidence()
    return Evidence.model_validate(given, from_attributes=True)


def _receipt(record_id: str, inserted: bool, screened: Screened) -> WriteReceipt:
    status = "created" if inserted else "unchanged"
    return WriteReceipt(record_id, status, screened.message(), tuple(screened.findings))
