"""Families of near-duplicate insights across orgs, and their promotion to public.

A *family* is the set of insights joined by active links (an org's lesson endorsing
another org's near-duplicate, merges, promotion). When a family holds active members
from at least ``k`` distinct orgs, none quarantined and every one passing the safety
review, one public insight is made from the most trusted member: org and agent names
scrubbed, secrets redacted, and code evidence cut to the lines that at least two orgs
showed independently (one org's private detail never goes public alone). The members
become SUPERSEDED by it, reversibly: demotion deletes the public copy and restores
them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spark_memory.learning.generalise import prose_of, render_evidence
from spark_memory.learning.safety import Issue, review_lesson
from spark_memory.learning.secrets import default_scanner, redact
from spark_memory.learning.trust import DEFAULT_STANDING, TrustPolicy, prior
from spark_memory.models import (
    Evidence,
    Insight,
    InsightStatus,
    Provenance,
    Scope,
    content_hash,
    make_id,
    utcnow,
)
from spark_memory.store.protocol import InsightLink, LinkKind, Store

# Owner recorded on public insights: they belong to no org.
PUBLIC_ORG = "spark"
CURATOR_AGENT = "spark-curator"
_FAMILY_LINKS = (LinkKind.ENDORSES, LinkKind.MERGED, LinkKind.PROMOTED)


@dataclass(frozen=True)
class Family:
    members: list[Insight]  # org-owned insights, any status
    public: Insight | None
    links: list[InsightLink]

    def orgs(self) -> set[str]:
        """Distinct orgs backing the family: active or promoted members, and merged-in orgs."""
        counted = {
            m.org_id
            for m in self.members
            if m.status in (InsightStatus.ACTIVE, InsightStatus.SUPERSEDED)
        }
        counted |= {
            link.org_id
            for link in self.links
            if link.active and link.kind is LinkKind.MERGED and self._targets_family(link)
        }
        return counted - {PUBLIC_ORG}

    def _targets_family(self, link: InsightLink) -> bool:
        ids = {m.id for m in self.members} | ({self.public.id} if self.public else set())
        return link.target_id in ids


def load_family(store: Store, seed: str) -> Family:
    """The family around ``seed``, following active links breadth first."""
    seen, frontier = {seed}, [seed]
    links: dict[str, InsightLink] = {}
    while frontier:
        found = [x for x in store.links_of(frontier) if x.active and x.kind in _FAMILY_LINKS]
        links.update((x.id, x) for x in found)
        frontier = sorted({i for x in found for i in (x.source_id, x.target_id)} - seen)
        seen.update(frontier)
    insights = store.unscoped_insights(sorted(seen))
    public = [i for i in insights.values() if i.scope is Scope.PUBLIC]
    # A private insight is its author's alone: it never counts toward promotion and is
    # never superseded by one, even if a link to it exists (links made before this rule).
    members = [i for i in insights.values() if i.scope is Scope.ORG]
    return Family(
        sorted(members, key=lambda i: i.id), public[0] if public else None, list(links.values())
    )


@dataclass(frozen=True)
class Verdict:
    """Whether a family may go public: refusals are final, waits may clear later."""

    refused: list[str]
    waiting: list[str]

    @property
    def promotable(self) -> bool:
        return not self.refused and not self.waiting


def verdict(family: Family, k: int, needs_trace_evidence: bool = True) -> Verdict:
    """Why a family may not (yet) be public."""
    refused, waiting = [], []
    orgs = family.orgs()
    if len(orgs) < k:
        waiting.append(f"endorsed by {len(orgs)} org(s); promotion needs {k}")
    if needs_trace_evidence and not any(m.provenance.trace_ids for m in family.members):
        # Public is everyone: text that no execution backs does not get there on votes alone.
        waiting.append("no execution evidence: no member is backed by traces")
    quarantined = [m.id for m in family.members if m.status is InsightStatus.QUARANTINED]
    if quarantined:
        waiting.append(f"quarantined member(s) {', '.join(quarantined)}")
    for member in family.members:
        issues = review_member(member)
        if issues:
            refused.append(f"{member.id} fails the safety review: {issues[0].describe()}")
    return Verdict(refused, waiting)


def review_member(insight: Insight) -> list[Issue]:
    fix = [insight.evidence.fix] if insight.evidence.fix else []
    failing = [insight.evidence.failing_code] if insight.evidence.failing_code else []
    return review_lesson(prose_of(insight.content) + "\n\n" + insight.title, fix, failing)


def build_public(family: Family, names: Iterable[str], policy: TrustPolicy) -> Insight:
    """The public copy of a family: its best member, scrubbed, with shared evidence only."""
    active = [m for m in family.members if m.status is not InsightStatus.RETIRED]
    best = max(active, key=_rank)
    others = [m for m in active if m.org_id != best.org_id]
    evidence = Evidence(
        failing_code=shared_lines(
            best.evidence.failing_code, [o.evidence.failing_code for o in others]
        ),
        error=best.evidence.error,
        fix=shared_lines(best.evidence.fix, [o.evidence.fix for o in others]),
    )
    scrub = _scrubber(names)
    title = scrub(best.title)
    content = (
        scrub(prose_of(best.content)) + "\n\n" + render_evidence(_scrub_evidence(evidence, scrub))
    )
    now = utcnow()
    return Insight(
        id=family.public.id
        if family.public
        else make_id("ins", "public", *sorted(m.id for m in active)[:1]),
        org_id=PUBLIC_ORG,
        agent_id=CURATOR_AGENT,
        scope=Scope.PUBLIC,
        title=title,
        content=content,
        query=scrub(best.query),
        tags=best.tags,
        kind=best.kind,
        evidence=_scrub_evidence(evidence, scrub),
        provenance=Provenance(),  # trace ids and orgs stay with the members
        trust=prior(DEFAULT_STANDING, policy, evidence_agents=len(family.orgs())),
        status=InsightStatus.ACTIVE,
        supersedes=best.id,
        content_hash=content_hash(title, content),
        created=family.public.created if family.public else now,
        updated=now,
    )


def _rank(member: Insight) -> tuple[float, bool, int, str]:
    """Most trusted first; then a lesson with both a failing attempt and a fix."""
    complete = bool(member.evidence.failing_code and member.evidence.fix)
    trust = round(member.trust.lower_bound(), 2)
    return trust, complete, len(member.provenance.trace_ids), member.id


def promotion_links(family: Family, public_id: str, epoch_id: str) -> list[InsightLink]:
    now = utcnow()
    return [
        InsightLink(
            id=make_id("lnk", "promoted", m.id, public_id),
            kind=LinkKind.PROMOTED,
            source_id=m.id,
            target_id=public_id,
            org_id=m.org_id,
            epoch_id=epoch_id,
            created=now,
        )
        for m in family.members
        if m.status is not InsightStatus.QUARANTINED
    ]


def shared_lines(excerpt: str, others: Sequence[str]) -> str:
    """Lines of ``excerpt`` that at least one other org's excerpt also shows."""
    seen = {_norm(line) for other in others for line in other.splitlines() if line.strip()}
    return "\n".join(line for line in excerpt.splitlines() if _norm(line) in seen)


def _norm(line: str) -> str:
    return " ".join(line.split())


def _scrubber(names: Iterable[str]) -> _Scrub:
    return _Scrub(sorted({n for n in names if len(n) >= 3}, key=len, reverse=True))


class _Scrub:
    """Removes org and agent names, e-mail addresses, home paths and secrets."""

    _EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
    _HOME = re.compile(r"(/home/|/Users/|C:\\\\Users\\\\)[^/\\\s]+")

    def __init__(self, names: list[str]) -> None:
        self._names = (
            re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b", re.IGNORECASE)
            if names
            else None
        )

    def __call__(self, text: str) -> str:
        text = redact(text, default_scanner().scan(text))
        text = self._EMAIL.sub("<email>", text)
        text = self._HOME.sub(r"\1<user>", text)
        return self._names.sub("<org>", text) if self._names else text


def _scrub_evidence(evidence: Evidence, scrub: _Scrub) -> Evidence:
    return Evidence(
        failing_code=scrub(evidence.failing_code),
        error=scrub(evidence.error),
        fix=scrub(evidence.fix),
    )


def family_names(family: Family) -> set[str]:
    """Org and agent ids appearing in a family's provenance: never shown in public."""
    names: set[str] = set()
    for member in family.members:
        names |= {
            member.org_id,
            member.agent_id,
            *member.provenance.orgs,
            *member.provenance.agents,
        }
    return names - {PUBLIC_ORG, CURATOR_AGENT}
