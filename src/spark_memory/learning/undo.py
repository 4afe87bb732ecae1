"""Taking writes back: an author's revert within a window, an org admin's erasure.

Removing a lesson can break what was built on it: a public insight promoted from a
family loses a member. ``settle_publics`` rebuilds such a public copy from the members
left, or demotes it (deletes it and restores the members) when fewer than ``k`` orgs
remain, so erased data never survives inside a public copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from spark_memory.errors import Conflict, Forbidden, NotFound
from spark_memory.learning import promotion
from spark_memory.learning.policy import LearningPolicy
from spark_memory.learning.trust_upkeep import Standing, recompute
from spark_memory.models import Insight, InsightStatus, Principal, Provenance, Role, Scope, Vectors
from spark_memory.results import (  # defined there; importable from here too
    EraseReport as EraseReport,
)
from spark_memory.store.protocol import AuditEntry, EmbeddingSpace, LinkKind, Store

REVERTIBLE = ("trace.record", "insight.create", "insight.enrich", "feedback.share")
_AUDIT_SCAN = 5_000


@dataclass(frozen=True)
class Undo:
    """What reverting and erasing need besides the store."""

    store: Store
    policy: LearningPolicy
    standing: Standing
    embed: Callable[[Sequence[str]], Vectors]
    space: EmbeddingSpace
    text_of: Callable[[Insight], str]


def detail(**fields: object) -> str:
    return json.dumps(fields, default=str)


def parse_detail(entry: AuditEntry) -> dict[str, object]:
    try:
        data = json.loads(entry.detail) if entry.detail else {}
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


# --- revert ----------------------------------------------------------------------------------


def find_revertible(
    store: Store, principal: Principal, target_id: str, policy: LearningPolicy, now: datetime
) -> AuditEntry:
    """The caller's latest write on ``target_id`` that is not yet reverted."""
    entries = store.audit_log(principal.org_id, limit=_AUDIT_SCAN)
    reverted = {parse_detail(e).get("reverts") for e in entries if e.action == "revert"}
    mine = [
        e
        for e in entries
        if e.agent_id == principal.agent_id
        and e.target_id == target_id
        and e.action in REVERTIBLE
        and e.seq not in reverted
    ]
    if not mine:
        raise NotFound(f"no write of yours on {target_id!r} to revert")
    latest = mine[0]
    if now - latest.at > policy.revert_window:
        hours = policy.revert_window.total_seconds() / 3600
        raise Forbidden(
            f"{latest.action} on {target_id} is older than the {hours:g} h revert window"
        )
    return latest


def revert(undo: Undo, principal: Principal, entry: AuditEntry, now: datetime) -> str:
    """Undo one audited write; a short description of what was undone."""
    info = parse_detail(entry)
    if entry.action == "trace.record":
        undo.store.delete_trace(entry.target_id, principal.org_id)
        forget_traces(undo, principal.org_id, [entry.target_id])
        return f"deleted trace {entry.target_id}"
    if entry.action == "insight.create":
        settle_publics(undo, delete_insights(undo.store, [entry.target_id]))
        return f"deleted insight {entry.target_id}"
    if entry.action == "insight.enrich":
        return _restore(undo, entry.target_id, info, now)
    feedback_id = str(info.get("feedback_id", ""))
    undo.store.delete_feedback(feedback_id, principal.org_id)
    refresh_trust(undo, [entry.target_id], now)
    return f"withdrew feedback {feedback_id} on {entry.target_id}"


def _restore(undo: Undo, insight_id: str, info: dict[str, object], now: datetime) -> str:
    current = undo.store.unscoped_insights([insight_id]).get(insight_id)
    if current is None:
        raise NotFound(f"insight {insight_id} no longer exists")
    if current.content_hash != info.get("after_hash"):
        raise Conflict(f"{insight_id} changed after this write; revert the later write first")
    before = Insight.model_validate_json(str(info["before"]))
    restored = before.model_copy(
        update={"trust": current.trust, "status": current.status, "updated": now}
    )
    undo.store.put_insight(restored, undo.embed([undo.text_of(restored)])[0], undo.space)
    return f"restored {insight_id} as it was before the enrichment"


# --- erase -----------------------------------------------------------------------------------


def erase(undo: Undo, principal: Principal, agent_id: str | None, now: datetime) -> EraseReport:
    if principal.role is not Role.ADMIN:
        raise Forbidden("erasing data needs an org admin key")
    org = principal.org_id
    voted = _voted_targets(undo.store, org, agent_id)
    traces = [
        t.id for t in undo.store.list_traces(org, limit=10**9) if agent_id in (None, t.agent_id)
    ]
    owned = undo.store.unscoped_insights_of(org)
    if agent_id is not None and not _agent_of(undo.store, org, agent_id, traces, owned, voted):
        raise NotFound(f"no agent {agent_id!r} in org {org!r}")  # another org's agents included
    merged_into = _merge_targets(undo.store, org)
    _drop_merge_snapshots(undo.store, org, agent_id, merged_into)
    if agent_id is None:
        doomed, rewrite = [i.id for i in owned], []
    else:
        doomed = [i.id for i in owned if set(i.provenance.agents or [i.agent_id]) <= {agent_id}]
        keep = [i for i in owned if i.id not in doomed]
        rewrite = [i for i in keep if agent_id in (*i.provenance.agents, i.agent_id)]
    publics = delete_insights(undo.store, doomed)
    for insight in rewrite:
        undo.store.put_insight(_without(insight, agent_id or "", set(traces)), None, None)
    erased = undo.store.erase_records(org, agent_id)
    rebuilt, demoted = settle_publics(undo, publics | merged_into)
    refresh_trust(undo, voted, now)
    return EraseReport(
        org_id=org,
        agent_id=agent_id,
        traces=erased.traces,
        feedback=erased.feedback,
        insights_deleted=len(doomed),
        insights_rewritten=len(rewrite),
        public_rebuilt=rebuilt,
        public_demoted=demoted,
        audit_entries=erased.audit,
    )


def _agent_of(
    store: Store,
    org: str,
    agent_id: str,
    traces: Sequence[str],
    owned: Sequence[Insight],
    voted: Collection[str],
) -> bool:
    """Whether ``agent_id`` is one of ``org``'s agents: registered there, or the author
    of any of its records."""
    try:
        if store.get_agent(agent_id).org_id == org:
            return True
    except NotFound:
        pass
    wrote = any(agent_id == i.agent_id or agent_id in i.provenance.agents for i in owned)
    return bool(traces) or wrote or bool(voted)


def _merge_targets(store: Store, org: str) -> set[str]:
    """Insights the org's lessons were merged into (its audit log records each merge)."""
    entries = store.audit_log(org, limit=_AUDIT_SCAN)
    return {e.target_id for e in entries if e.action == "insight.merge"}


def _drop_merge_snapshots(store: Store, org: str, agent_id: str | None, targets: set[str]) -> None:
    """Merged-away lessons of the erased agent keep no copy in their link."""
    for link in store.links_of(sorted(targets)):
        if link.org_id != org or link.kind is not LinkKind.MERGED or not link.snapshot:
            continue
        snapshot = Insight.model_validate_json(link.snapshot)
        if agent_id is None or agent_id in (*snapshot.provenance.agents, snapshot.agent_id):
            store.put_link(replace(link, active=False, snapshot=""))


def _voted_targets(store: Store, org: str, agent_id: str | None) -> list[str]:
    out = []
    for target in store.feedback_targets():
        votes = store.list_feedback(target)
        if any(f.org_id == org and agent_id in (None, f.agent_id) for f in votes):
            out.append(target)
    return out


def _without(insight: Insight, agent_id: str, trace_ids: set[str]) -> Insight:
    agents = [a for a in insight.provenance.agents if a != agent_id]
    provenance = Provenance(
        trace_ids=[t for t in insight.provenance.trace_ids if t not in trace_ids],
        orgs=insight.provenance.orgs,
        agents=agents,
    )
    author = insight.agent_id if insight.agent_id != agent_id else agents[0]
    return insight.model_copy(update={"provenance": provenance, "agent_id": author})


def forget_traces(undo: Undo, org_id: str, trace_ids: Sequence[str]) -> None:
    """Drop deleted traces from the provenance of the org's curated insights."""
    gone = set(trace_ids)
    doomed = []
    for insight in undo.store.unscoped_insights_of(org_id):
        if not gone & set(insight.provenance.trace_ids):
            continue
        left = [t for t in insight.provenance.trace_ids if t not in gone]
        if not left:
            doomed.append(insight.id)
            continue
        provenance = insight.provenance.model_copy(update={"trace_ids": left})
        undo.store.put_insight(insight.model_copy(update={"provenance": provenance}), None, None)
    settle_publics(undo, delete_insights(undo.store, doomed))


def delete_insights(store: Store, ids: Sequence[str]) -> set[str]:
    """Delete insights; the public copies they were promoted or merged into."""
    links = store.links_of(ids)
    publics = {x.target_id for x in links if x.kind in (LinkKind.PROMOTED, LinkKind.MERGED)}
    for insight_id in ids:
        store.delete_insight(insight_id)
    return publics - set(ids)


def settle_publics(undo: Undo, public_ids: Iterable[str]) -> tuple[int, int]:
    """Rebuild each public copy from the members left, or demote it; (rebuilt, demoted)."""
    rebuilt = demoted = 0
    for public in undo.store.unscoped_insights(sorted(public_ids)).values():
        if public.scope is not Scope.PUBLIC:
            continue
        family = promotion.load_family(undo.store, public.id)
        k, needs = undo.policy.promotion_orgs, undo.policy.public_needs_trace_evidence
        if family.members and promotion.verdict(family, k, needs).promotable:
            fresh = promotion.build_public(
                family, promotion.family_names(family), undo.policy.trust
            )
            undo.store.put_insight(fresh, undo.embed([undo.text_of(fresh)])[0], undo.space)
            rebuilt += 1
        else:
            demote(undo, family, public)
            demoted += 1
    return rebuilt, demoted


def demote(undo: Undo, family: promotion.Family, public: Insight) -> None:
    """Delete a public copy and put its members back in their orgs."""
    undo.store.delete_insight(public.id)
    for member in family.members:
        if member.status is InsightStatus.SUPERSEDED:
            undo.store.put_insight(
                member.model_copy(update={"status": InsightStatus.ACTIVE}), None, None
            )


def refresh_trust(undo: Undo, target_ids: Iterable[str], now: datetime) -> None:
    ids = [t for t in target_ids if t.startswith("ins_")]
    for insight in undo.store.unscoped_insights(ids).values():
        updated = recompute(undo.store, insight, undo.standing, undo.policy, now)
        if updated is not None:
            undo.store.put_insight(updated, None, None)


def unmerge(undo: Undo, principal: Principal, insight_id: str) -> list[str]:
    """Undo the org's active merges into ``insight_id``: each merged lesson becomes its
    own insight again and its traces leave the target's provenance. Admins only."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("undoing merges needs an org admin key")
    merges = [
        x
        for x in undo.store.links_of([insight_id])
        if x.kind is LinkKind.MERGED
        and x.active
        and x.target_id == insight_id
        and x.org_id == principal.org_id
        and x.snapshot
    ]
    if not merges:
        raise NotFound(f"no merge of your org into {insight_id!r} to undo")
    restored = []
    for link in merges:
        lesson = Insight.model_validate_json(link.snapshot)
        undo.store.put_insight(lesson, undo.embed([undo.text_of(lesson)])[0], undo.space)
        _forget_contribution(undo.store, insight_id, lesson)
        undo.store.put_link(replace(link, active=False))
        restored.append(lesson.id)
    return restored


def _forget_contribution(store: Store, target_id: str, lesson: Insight) -> None:
    target = store.unscoped_insights([target_id]).get(target_id)
    if target is None or target.org_id != lesson.org_id:
        return  # public targets keep no provenance of their own
    gone = set(lesson.provenance.trace_ids)
    provenance = Provenance(
        trace_ids=[t for t in target.provenance.trace_ids if t not in gone],
        orgs=target.provenance.orgs,
        agents=target.provenance.agents,
    )
    store.put_insight(target.model_copy(update={"provenance": provenance}), None, None)
