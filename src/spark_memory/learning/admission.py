"""Letting a generalised lesson into the store: filters, near-duplicates, provenance.

In order: secrets are redacted; the safety review rejects unsafe advice, instructions
aimed at the reader's agent and hidden text; a lesson that contradicts a more trusted
one on the same problem is rejected; a near-duplicate of an insight the org can see
is merged into it as an endorsement (reversibly: the link keeps the lesson); anything
else is inserted with its provenance. Every decision is logged with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from spark_memory.learning.epochlog import EpochLog
from spark_memory.learning.generalise import Group, Lesson, prose_of
from spark_memory.learning.policy import LearningPolicy
from spark_memory.learning.promotion import CURATOR_AGENT
from spark_memory.learning.safety import Issue, review_lesson, review_served_text
from spark_memory.learning.secrets import default_scanner, redact
from spark_memory.learning.trust_upkeep import base_trust
from spark_memory.models import (
    DocType,
    Evidence,
    Insight,
    InsightStatus,
    Principal,
    Provenance,
    Role,
    Scope,
    SearchFilters,
    Vectors,
    content_hash,
    make_id,
    utcnow,
)
from spark_memory.store.protocol import (
    AuditEntry,
    EmbeddingSpace,
    InsightLink,
    LinkKind,
    Store,
)

Embed = Callable[[Sequence[str]], Vectors]
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|[^\s\w]")


@dataclass(frozen=True)
class Context:
    """What the curation steps share during one epoch."""

    store: Store
    embed: Embed
    space: EmbeddingSpace
    policy: LearningPolicy
    standing: Callable[[str], float]
    log: EpochLog
    vectors: dict[str, Vectors] = field(default_factory=dict)  # embedded during this epoch


def insight_text(insight: Insight) -> str:
    """What is embedded for an insight: what it is about (title and the query someone
    would search), not its code evidence; the content stands in when there is no query."""
    about = insight.query or prose_of(insight.content)[:500]
    return f"{insight.title}\n{about}"


def admit(ctx: Context, lesson: Lesson, group: Group) -> str | None:
    """Store ``lesson`` for ``group``'s org; the id it ended up in, None if rejected."""
    lesson = _without_secrets(ctx, lesson, group)
    issues = review_lesson(
        f"{lesson.title}\n\n{lesson.query}\n\n{prose_of(lesson.content)}",
        [lesson.evidence.fix] if lesson.evidence.fix else [],
        [lesson.evidence.failing_code] if lesson.evidence.failing_code else [],
    )
    # the error excerpt and tags are served to other agents too
    issues += review_served_text(lesson.evidence.error)
    issues += [i for tag in lesson.tags for i in review_served_text(tag)]
    first = group.traces[0].id
    if issues:
        ctx.log.add("rejected", first, group.org_id, _issue_reason(issues))
        return None
    candidate = _insight(ctx, lesson, group)
    vector = ctx.embed([insight_text(candidate)])[0]
    ctx.vectors[candidate.id] = vector
    neighbours = _visible_neighbours(ctx, vector, group.org_id)
    conflict = _contradiction(candidate, neighbours, ctx.policy)
    if conflict:
        ctx.log.add("rejected", first, group.org_id, conflict)
        return None
    target = next(
        (n for n, sim in neighbours if sim >= ctx.policy.merge_similarity and _mergeable(n, group)),
        None,
    )
    if target is not None:
        return _merge(ctx, candidate, target, group)
    ctx.store.put_insight(candidate, vector, ctx.space)
    _audit(ctx, candidate, "insight.curate", f"from {len(group.traces)} trace(s)")
    ctx.log.add("created", candidate.id, group.org_id, f"from {len(group.traces)} trace(s)")
    return candidate.id


def _issue_reason(issues: Sequence[Issue]) -> str:
    labels = {
        "unsafe": "unsafe advice",
        "injection": "instructions aimed at the reader's agent",
        "hidden": "hidden content",
    }
    issue = issues[0]
    return f"{labels[issue.category]}: {issue.reason} ({issue.excerpt[:60]!r})"


def _without_secrets(ctx: Context, lesson: Lesson, group: Group) -> Lesson:
    scanner = default_scanner()
    fields = {
        "title": lesson.title,
        "content": lesson.content,
        "query": lesson.query,
        "failing_code": lesson.evidence.failing_code,
        "fix": lesson.evidence.fix,
        "error": lesson.evidence.error,
    }
    found = scanner.scan_fields(fields)
    if not found:
        return lesson
    clean = {k: redact(v, [f for f in found if f.field == k]) for k, v in fields.items()}
    kinds = sorted({f.kind for f in found})
    ctx.log.add("redacted", group.traces[0].id, group.org_id, "secrets: " + ", ".join(kinds))
    evidence = Evidence(failing_code=clean["failing_code"], error=clean["error"], fix=clean["fix"])
    return replace(
        lesson,
        title=clean["title"],
        content=clean["content"],
        query=clean["query"],
        evidence=evidence,
    )


def _insight(ctx: Context, lesson: Lesson, group: Group) -> Insight:
    agents = sorted({t.agent_id for t in group.traces})
    standings = [ctx.standing(a) for a in agents]
    quarantined = all(s < ctx.policy.quarantine_below for s in standings)
    author = max(agents, key=lambda a: sum(t.agent_id == a for t in group.traces))
    trace_ids = sorted(t.id for t in group.traces)
    now = utcnow()
    insight = Insight(
        # the traces are part of the identity: the same lesson drawn again from new traces is
        # a new candidate (merged as an endorsement), never the existing insight itself
        id=make_id("ins", group.org_id, "curated", lesson.title, lesson.content, *trace_ids),
        org_id=group.org_id,
        agent_id=author,
        scope=Scope.ORG,
        title=lesson.title,
        content=lesson.content,
        query=lesson.query,
        tags=lesson.tags,
        kind=lesson.kind,
        evidence=lesson.evidence,
        provenance=Provenance(trace_ids=trace_ids, orgs=[group.org_id], agents=agents),
        status=InsightStatus.QUARANTINED if quarantined else InsightStatus.ACTIVE,
        content_hash=content_hash(lesson.title, lesson.content),
        created=now,
        updated=now,
    )
    return insight.model_copy(update={"trust": base_trust(insight, ctx.standing, ctx.policy)})


def _visible_neighbours(ctx: Context, vector: Vectors, org_id: str) -> list[tuple[Insight, float]]:
    """Near insights the org can see (its own and public), most similar first."""
    view = Principal(org_id=org_id, agent_id=CURATOR_AGENT, role=Role.READER)
    hits = ctx.store.vector_search(vector, DocType.INSIGHT, SearchFilters(), view, 5)
    found = ctx.store.get_insights([h.id for h in hits], view)
    return [(found[h.id], h.score) for h in hits if h.id in found]


def _mergeable(target: Insight, group: Group) -> bool:
    return target.scope is Scope.PUBLIC or target.org_id == group.org_id


def _contradiction(
    candidate: Insight, neighbours: Sequence[tuple[Insight, float]], policy: LearningPolicy
) -> str:
    """A reason when a more trusted insight on the same problem says the opposite."""
    mine = candidate.trust.lower_bound()
    for other, sim in neighbours:
        if sim < policy.contradiction_similarity or other.trust.lower_bound() <= mine:
            continue
        says_fails = _same_code(candidate.evidence.fix, other.evidence.failing_code)
        says_works = _same_code(candidate.evidence.failing_code, other.evidence.fix)
        if says_fails or says_works:
            what, verdict = ("advises", "fails") if says_fails else ("warns about", "works")
            return (
                f"contradiction: {other.id} (trust {other.trust.lower_bound():.2f} > {mine:.2f})"
                f" says the approach this lesson {what} {verdict}"
            )
    return ""


def _same_code(a: str, b: str) -> bool:
    ta, tb = set(_TOKEN.findall(a)), set(_TOKEN.findall(b))
    if len(ta) < 3 or len(tb) < 3:
        return False
    return len(ta & tb) / len(ta | tb) >= 0.8


def _merge(ctx: Context, candidate: Insight, target: Insight, group: Group) -> str:
    link = InsightLink(
        id=make_id("lnk", "merged", candidate.id, target.id),
        kind=LinkKind.MERGED,
        source_id=candidate.id,
        target_id=target.id,
        org_id=group.org_id,
        epoch_id=ctx.log.id,
        created=utcnow(),
        snapshot=candidate.model_dump_json(),
    )
    ctx.store.put_link(link)
    if target.org_id == group.org_id:  # public insights keep their provenance with members
        ctx.store.put_insight(with_provenance(target, candidate.provenance), None, None)
    _audit(ctx, target, "insight.merge", f"endorsed by {len(group.traces)} trace(s)", group.org_id)
    ctx.log.add("merged", candidate.id, group.org_id, f"near-duplicate of {target.id}: endorsement")
    return target.id


def with_provenance(insight: Insight, extra: Provenance) -> Insight:
    p = insight.provenance
    merged = Provenance(
        trace_ids=sorted({*p.trace_ids, *extra.trace_ids}),
        orgs=sorted({*p.orgs, *extra.orgs}),
        agents=sorted({*p.agents, *extra.agents}),
    )
    return insight.model_copy(update={"provenance": merged, "updated": utcnow()})


def _audit(ctx: Context, insight: Insight, action: str, detail: str, org_id: str = "") -> None:
    org = org_id or insight.org_id  # a merge into a public insight is the contributor's write
    entry = AuditEntry(0, utcnow(), org, CURATOR_AGENT, action, insight.id, detail)
    ctx.store.audit(entry)
