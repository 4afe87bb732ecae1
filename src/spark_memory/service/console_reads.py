"""The reads the web console needs beyond the agent verbs, each scoped by the caller.

Everything here goes through the caller's ``Principal``: insights through the store's
visibility queries, traces, audit entries and keys through the caller's org. What an
org admin may see beyond the agent API is its own org's quarantine (to review it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from spark_memory.errors import NotFound
from spark_memory.learning.trust import posterior
from spark_memory.learning.trust_upkeep import base_trust
from spark_memory.models import (
    LOCAL_PRINCIPAL,
    Agent,
    ApiKey,
    Feedback,
    Insight,
    InsightKind,
    InsightStatus,
    Principal,
    Role,
    Scope,
    SearchFilters,
    Trust,
    utcnow,
)
from spark_memory.service.transfer import _reader
from spark_memory.store.protocol import AuditEntry, InsightLink

if TYPE_CHECKING:
    from spark_memory.service.facade import Spark

_SCAN = 1_000  # insights read at most to filter by trust or age (newest first)
_FLAG_SCAN = 300  # the newest active lessons checked for flags (redactions, low trust)
_FLAGGED = 50  # flagged lessons listed at most
QUEUE_PAGE = 50  # quarantined lessons per page of the review queue, newest first
_TRACES = 2_000  # an org's latest traces searched for the ones served an insight
_AUDIT = 5_000  # audit entries counted for usage per agent
_REMOVALS = 20  # knowledge base removals listed
LOW_TRUST = 0.2  # a lower credible bound below this flags an active lesson for review
REDACTED = "[REDACTED:"


@dataclass(frozen=True)
class MemoryFilter:
    scope: Scope | None = None
    status: InsightStatus | None = None
    kind: InsightKind | None = None
    library: str = ""
    min_trust: float | None = None  # lower credible bound
    max_age_days: float | None = None  # last updated within
    limit: int = 50


@dataclass(frozen=True)
class TrustPoint:
    at: datetime
    lower: float
    mean: float


@dataclass(frozen=True)
class InsightStory:
    """One insight with what a person reviewing it wants beside it."""

    insight: Insight
    own: bool  # the caller's org owns it (provenance, actions)
    feedback: list[Feedback]  # the caller's org's votes and comments
    others_feedback: int  # votes of other orgs (counted, not shown)
    trust_history: list[TrustPoint]
    served: int  # the caller's org's traces that were served it
    tasks: list[str]  # the tasks of those traces, latest first
    links: list[InsightLink]
    audit: list[AuditEntry]


@dataclass(frozen=True)
class Flagged:
    insight: Insight
    reasons: list[str]


@dataclass(frozen=True)
class ReviewQueue:
    held: list[Insight]  # one page of the quarantined lessons, newest first
    flagged: list[Flagged]
    page: int
    more: bool  # older quarantined lessons are on the next page


@dataclass(frozen=True)
class AgentUsage:
    agent: Agent
    keys: list[ApiKey]
    actions: dict[str, int] = field(default_factory=dict)


def is_admin(principal: Principal) -> bool:
    return principal.role is Role.ADMIN


def memories(spark: Spark, flt: MemoryFilter, *, principal: Principal) -> list[Insight]:
    """Insights the caller may see, newest first, filtered; admins see their org's quarantine."""
    statuses = [flt.status] if flt.status else list(InsightStatus)
    filters = SearchFilters(
        libraries=[flt.library] if flt.library else [],
        kinds=[flt.kind.value] if flt.kind else [],
        scopes=[flt.scope] if flt.scope else [],
        statuses=statuses,
    )
    since = None if flt.max_age_days is None else utcnow() - timedelta(days=flt.max_age_days)
    # Trust and age are not in the store's filters: read the newest few, and more only
    # when those held too few matches, as many as their match rate says are needed
    # (reading 1,000 insights costs ten times 100).
    limit = flt.limit * 2
    while True:
        found = spark.store.list_insights(principal, filters, limit=limit)
        out = _matching(found, flt, since, principal)
        older = since is not None and bool(found) and found[-1].updated < since
        if len(out) >= flt.limit or len(found) < limit or older or limit >= _SCAN:
            return out[: flt.limit]
        limit = min(_SCAN, max(limit * 2, limit * flt.limit * 3 // (2 * max(len(out), 1))))


def _matching(
    found: list[Insight], flt: MemoryFilter, since: datetime | None, principal: Principal
) -> list[Insight]:
    out: list[Insight] = []
    for insight in found:
        if since is not None and insight.updated < since:
            break  # newest first: the rest are older
        if not _may_list(insight, principal):
            continue
        if flt.min_trust is not None and insight.trust.lower_bound() < flt.min_trust:
            continue
        out.append(insight)
    return out


def insight_story(spark: Spark, insight_id: str, *, principal: Principal) -> InsightStory:
    insight = visible_insight(spark, insight_id, principal=principal)
    own = insight.org_id == principal.org_id
    votes = spark.store.list_feedback(insight.id)
    mine = [f for f in votes if f.org_id == principal.org_id]
    served = [
        t
        for t in spark.store.list_traces(principal.org_id, limit=_TRACES)
        if insight.id in t.served_ids
    ]
    served.sort(key=lambda t: t.created, reverse=True)
    links = [
        link
        for link in spark.store.links_of([insight.id])
        if link.org_id == principal.org_id or own
    ]
    audit = [e for e in _recent_audit(spark, principal) if e.target_id == insight.id]
    return InsightStory(
        insight=insight,
        own=own,
        feedback=sorted(mine, key=lambda f: f.created, reverse=True),
        others_feedback=len(votes) - len(mine),
        trust_history=trust_history(spark, insight, votes),
        served=len(served),
        tasks=[t.task for t in served[:20]],
        links=links,
        audit=audit,
    )


def visible_insight(spark: Spark, insight_id: str, *, principal: Principal) -> Insight:
    """What get_memory shows, or (to its org's admin) a lesson held in quarantine."""
    try:
        return spark.get_memory(insight_id, principal=principal)
    except NotFound:
        if not is_admin(principal):
            raise
    held = spark.store.unscoped_insights([insight_id]).get(insight_id)
    if held is None or not _reviewable(held, principal):
        raise NotFound(f"no insight {insight_id!r}")
    return held


def trust_history(spark: Spark, insight: Insight, votes: list[Feedback]) -> list[TrustPoint]:
    """The trust the insight had after each vote, replayed from its prior."""
    start = base_trust(insight, spark.standing, spark.learning_policy)
    author = (insight.org_id, insight.agent_id)
    policy = spark.learning_policy.trust
    ordered = sorted(votes, key=lambda f: f.created)
    points = [_point(insight.created, start)]
    for n, vote in enumerate(ordered, 1):
        trust = posterior(start, ordered[:n], author=author, now=vote.created, policy=policy)
        points.append(_point(vote.created, trust))
    points.append(_point(utcnow(), insight.trust))
    return points


def review_queue(spark: Spark, *, principal: Principal, page: int = 1) -> ReviewQueue:
    """A page of the org's quarantined lessons, and the newest active ones flagged
    (redacted secrets, low trust)."""
    # The store lists newest first with no offset: page n reads n pages and one more row.
    wanted = QUEUE_PAGE * page + 1
    held = spark.store.list_insights(
        principal, SearchFilters(statuses=[InsightStatus.QUARANTINED]), limit=wanted
    )
    quarantined = [i for i in held if _reviewable(i, principal)]
    start = QUEUE_PAGE * (page - 1)
    active = spark.store.list_insights(
        principal, SearchFilters(statuses=[InsightStatus.ACTIVE]), limit=_FLAG_SCAN
    )
    flagged = []
    for insight in active:
        if insight.org_id != principal.org_id:
            continue
        reasons = _flags(insight)
        if reasons:
            flagged.append(Flagged(insight, reasons))
    return ReviewQueue(
        held=quarantined[start : start + QUEUE_PAGE],
        flagged=flagged[:_FLAGGED],
        page=page,
        more=len(held) == wanted,
    )


def org_members(spark: Spark, *, principal: Principal) -> list[AgentUsage]:
    """The caller's org's agents with their keys (hashes never leave) and audited writes."""
    agents: list[Agent] = []
    keys: list[ApiKey] = []
    records = _reader(spark.store)(principal.org_id, False)
    try:
        for record in records:
            if record.kind == "agent":
                agents.append(Agent.model_validate(record.data))
            elif record.kind == "api_key":
                keys.append(ApiKey.model_validate(record.data))
            elif record.kind not in ("org",):
                break  # the tenancy records come first
    finally:
        records.close()  # type: ignore[attr-defined]
    usage: dict[str, Counter[str]] = {}
    if is_admin(principal):
        for entry in _recent_audit(spark, principal):
            usage.setdefault(entry.agent_id, Counter())[entry.action] += 1
    return [
        AgentUsage(
            agent=a,
            keys=[k.model_copy(update={"key_hash": ""}) for k in keys if k.agent_id == a.id],
            actions=dict(usage.get(a.id, {})),
        )
        for a in agents
    ]


def kb_removals(spark: Spark, *, principal: Principal) -> list[AuditEntry]:
    """The knowledge base's audited removals, newest first (the operator's log only)."""
    if principal != LOCAL_PRINCIPAL:
        return []
    return [e for e in _recent_audit(spark, principal) if e.action == "kb.remove"][:_REMOVALS]


def _recent_audit(spark: Spark, principal: Principal) -> list[AuditEntry]:
    # For a non-admin the service reads twenty entries for each one it keeps (the
    # caller's own): ask it for a twentieth, so that either reads at most _AUDIT entries.
    limit = _AUDIT if is_admin(principal) else _AUDIT // 20
    return spark.audit_log(limit=limit, principal=principal)


def _point(at: datetime, trust: Trust) -> TrustPoint:
    return TrustPoint(at, round(trust.lower_bound(), 4), round(trust.mean, 4))


def _flags(insight: Insight) -> list[str]:
    reasons = []
    if REDACTED in insight.content or REDACTED in insight.title:
        reasons.append("secrets were redacted from it")
    if insight.trust.lower_bound() < LOW_TRUST:
        reasons.append(f"low trust (lower bound {insight.trust.lower_bound():.2f})")
    return reasons


def _may_list(insight: Insight, principal: Principal) -> bool:
    # The store shows every quarantined lesson of a visible scope when asked for that
    # status; the agent API shows quarantine to its author only, the console to admins too.
    if insight.status is not InsightStatus.QUARANTINED:
        return True
    if insight.agent_id == principal.agent_id:
        return True
    return _reviewable(insight, principal)


def _reviewable(insight: Insight, principal: Principal) -> bool:
    """An admin reviews its own org's lessons (not another agent's private ones)."""
    if principal.role is not Role.ADMIN:
        return False
    if principal.org_id == LOCAL_PRINCIPAL.org_id:
        return True
    if insight.org_id != principal.org_id:
        return False
    return insight.scope is not Scope.PRIVATE or insight.agent_id == principal.agent_id


@dataclass(frozen=True)
class DayActivity:
    day: str  # YYYY-MM-DD
    served: int = 0  # ids served to the org's agents in traced sessions
    traces: int = 0
    passed: int = 0
    failed: int = 0
    feedback: int = 0


def activity(spark: Spark, days: int, *, principal: Principal) -> list[DayActivity]:
    """Per day, oldest first: what the org's traces were served and how they ended, and the
    feedback its agents sent (admins: the whole org; others: their own)."""
    start = (utcnow() - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0)
    rows: dict[str, Counter[str]] = {
        (start + timedelta(days=n)).strftime("%Y-%m-%d"): Counter() for n in range(days)
    }
    for trace in spark.store.list_traces(principal.org_id, since=start, limit=_SCAN * 10):
        if not is_admin(principal) and trace.agent_id != principal.agent_id:
            continue
        counts = rows.get(trace.created.strftime("%Y-%m-%d"))
        if counts is None:
            continue
        counts["traces"] += 1
        counts["served"] += len(trace.served_ids)
        counts[trace.outcome.value] += 1
    for entry in _recent_audit(spark, principal):
        counts = rows.get(entry.at.strftime("%Y-%m-%d"))
        if counts is not None and entry.action == "feedback.share":
            counts["feedback"] += 1
    return [
        DayActivity(
            day,
            served=c["served"],
            traces=c["traces"],
            passed=c["passed"],
            failed=c["failed"],
            feedback=c["feedback"],
        )
        for day, c in rows.items()
    ]
