"""One curation epoch: new traces and feedback in, curated insights and a log out.

    refresh trust        every insight with feedback (votes decay with age)
    take traces          pending ones of every org, oldest first
    cluster              task embedding + error signature (clustering.py)
    per cluster          nothing to learn / too little evidence -> rejected / deferred
    per org of cluster   generalise the org's own traces (LLM or deterministic),
                         admit: filters, contradiction, merge or insert (admission.py)
    link                 each new insight to near-duplicates of other orgs (endorsements)
    promote              families endorsed by k orgs that pass the filters (promotion.py)
    log                  the epoch's record, stored

Traces are read across orgs because clustering needs all experience, but a lesson is
written from one org's traces only and stays in that org until promotion.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from spark_memory.errors import ProviderError, StoreError
from spark_memory.learning import promotion
from spark_memory.learning.admission import Context, admit, insight_text
from spark_memory.learning.clustering import Cluster, cluster_traces, failed, trace_text
from spark_memory.learning.epochlog import EpochLog
from spark_memory.learning.generalise import (
    DeterministicGeneraliser,
    Generaliser,
    Group,
    Lesson,
    working_approach,
)
from spark_memory.learning.policy import LearningPolicy
from spark_memory.learning.trust_upkeep import refresh_all
from spark_memory.models import Insight, InsightStatus, Outcome, Scope, Trace, make_id, utcnow
from spark_memory.providers.embedder import Embedder
from spark_memory.store.protocol import (
    EmbeddingSpace,
    EpochRecord,
    InsightLink,
    LinkKind,
    Store,
    TraceState,
)

Standing = Callable[[str], float]


class Curator:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        generaliser: Generaliser,
        policy: LearningPolicy,
        standing: Standing,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.generaliser = generaliser
        self.fallback = DeterministicGeneraliser()
        self.policy = policy
        self.standing = standing

    def run(self) -> EpochRecord:
        log = EpochLog()
        space = EmbeddingSpace(self.embedder.model_name, self.embedder.dim)
        ctx = Context(self.store, self.embedder.embed, space, self.policy, self.standing, log)
        previous = self.store.list_epochs(limit=1)
        log.count("trust_updated", refresh_all(self.store, self.standing, self.policy, log.started))
        traces = self.store.pending_traces(self.policy.epoch_limit)
        log.count("traces", len(traces))
        touched = self._curate(ctx, traces) if traces else set()
        since = previous[0].started if previous else None
        changed = {
            i.id for i in self.store.unscoped_insights_since(since) if i.scope is not Scope.PUBLIC
        }
        seeds = sorted(touched | changed)
        _link_near_duplicates(ctx, seeds)
        _promote(ctx, seeds)
        record = log.finish()
        self.store.put_epoch(record)
        return record

    # --- traces -> lessons ----------------------------------------------------------------
    def _curate(self, ctx: Context, traces: Sequence[Trace]) -> set[str]:
        vectors = ctx.embed([trace_text(t) for t in traces])
        clusters = cluster_traces(
            traces,
            vectors,
            similarity=self.policy.cluster_similarity,
            same_error_similarity=self.policy.cluster_similarity_same_error,
        )
        ctx.log.count("clusters", len(clusters))
        touched: set[str] = set()
        for cluster in clusters:
            members = cluster.traces(traces)
            try:
                touched |= self._curate_cluster(ctx, members, cluster)
            except StoreError:
                raise  # the store cannot work: every later cluster would fail the same way
            except Exception as exc:  # noqa: BLE001 -- one poisoned cluster, not every org's epoch
                why = f"cannot be reviewed: {type(exc).__name__}: {str(exc)[:200]}"
                self._close(ctx, members, TraceState.REJECTED, why)
        return touched

    def _curate_cluster(self, ctx: Context, members: list[Trace], cluster: Cluster) -> set[str]:
        agents = {(t.org_id, t.agent_id) for t in members}
        failures = sum(failed(t) for t in members)
        if not failures:
            passed = all(t.outcome is Outcome.PASSED for t in members)
            why = "every attempt passed" if passed else "no attempt failed"
            self._close(ctx, members, TraceState.REJECTED, f"nothing to learn: {why}")
            return set()
        need = self.policy.min_evidence_agents
        if len(agents) < need:
            why = f"too little independent evidence: {len(agents)} agent(s), need {need}"
            self._defer(ctx, members, why)
            return set()
        made: list[tuple[str, str]] = []
        for org, own in _by_org(members).items():
            if not working_approach(own):
                self._defer(ctx, own, "no working approach in this org's traces yet")
                continue
            group = Group(
                org,
                tuple(own),
                len(agents),
                len(members),
                failures,
                cluster.task_centric,
                cluster.signature,
                len({agent_org for agent_org, _ in agents}),
            )
            result = admit(ctx, self._generalise(ctx, group), group)
            state = TraceState.USED if result else TraceState.REJECTED
            self.store.mark_traces([t.id for t in own], ctx.log.id, state)
            if result:
                made.append((org, result))
        _link_cluster(ctx, made)
        return {insight_id for _, insight_id in made}

    def _generalise(self, ctx: Context, group: Group) -> Lesson:
        try:
            return self.generaliser.generalise(group)
        except ProviderError as exc:  # MalformedReply included: the fallback is recorded
            ctx.log.add(
                "fallback", group.traces[0].id, group.org_id, f"{type(exc).__name__}: {exc.message}"
            )
            return self.fallback.generalise(group)

    def _close(self, ctx: Context, traces: Sequence[Trace], state: TraceState, reason: str) -> None:
        for org, own in _by_org(traces).items():
            ctx.log.add(state.value, " ".join(t.id for t in own), org, reason)
            self.store.mark_traces([t.id for t in own], ctx.log.id, state)

    def _defer(self, ctx: Context, traces: Sequence[Trace], reason: str) -> None:
        cutoff = ctx.log.started - timedelta(days=self.policy.defer_days)
        old = [t for t in traces if t.created < cutoff]
        young = [t for t in traces if t.created >= cutoff]
        if old:
            self._close(ctx, old, TraceState.EXPIRED, f"{reason}; deferred too long")
        if young:
            self._close(ctx, young, TraceState.DEFERRED, reason)


def _by_org(traces: Sequence[Trace]) -> dict[str, list[Trace]]:
    out: dict[str, list[Trace]] = {}
    for trace in traces:
        out.setdefault(trace.org_id, []).append(trace)
    return out


# --- endorsements across orgs --------------------------------------------------------------


def _endorse(ctx: Context, source: str, target: str, source_org: str) -> bool:
    a, b = sorted((source, target))
    link = InsightLink(
        id=make_id("lnk", "endorses", a, b),
        kind=LinkKind.ENDORSES,
        source_id=source,
        target_id=target,
        org_id=source_org,
        epoch_id=ctx.log.id,
        created=utcnow(),
    )
    return ctx.store.put_link(link).inserted == 1


def _link_cluster(ctx: Context, made: list[tuple[str, str]]) -> None:
    """Lessons different orgs drew from one cluster endorse each other."""
    if not made:
        return
    first_org, first = made[0]
    for org, insight_id in made[1:]:
        if org != first_org and insight_id != first and _endorse(ctx, insight_id, first, org):
            # the other org's id is not named: its lessons are not this org's to know
            ctx.log.add("linked", insight_id, org, "endorses another org's lesson (same cluster)")


def _link_near_duplicates(ctx: Context, seeds: Sequence[str]) -> None:
    """Each changed insight endorses near-duplicates by other authors (across epochs)."""
    insights = [
        i
        for i in ctx.store.unscoped_insights(seeds).values()
        if i.status in (InsightStatus.ACTIVE, InsightStatus.QUARANTINED)
        and i.scope is not Scope.PRIVATE  # an agent's private lesson endorses nothing
    ]
    if not insights:
        return
    missing = [i for i in insights if i.id not in ctx.vectors]
    if missing:
        ctx.vectors.update(
            zip([i.id for i in missing], ctx.embed([insight_text(i) for i in missing]), strict=True)
        )
    vectors = [ctx.vectors[i.id] for i in insights]
    statuses = [InsightStatus.ACTIVE, InsightStatus.QUARANTINED]
    for insight, vector in zip(insights, vectors, strict=True):
        for hit in ctx.store.unscoped_vector_search(vector, 10, statuses):
            if hit.score < ctx.policy.endorse_similarity:
                break
            other = _independent(ctx, insight, hit.id) if hit.id != insight.id else None
            if other is not None and _endorse(ctx, insight.id, hit.id, insight.org_id):
                what = f"endorses {named_for(insight.org_id, other)}"
                ctx.log.add("linked", insight.id, insight.org_id, what)


def _independent(ctx: Context, insight: Insight, other_id: str) -> Insight | None:
    """Another author's org-scoped insight (another org's, or a colleague's), else None.

    Public insights are families' heads, not endorsers; private ones are their author's
    alone: never linked, so never counted for promotion nor superseded by it."""
    other = ctx.store.unscoped_insights([other_id]).get(other_id)
    if other is None or other.scope is not Scope.ORG:
        return None
    same_author = (other.org_id, other.agent_id) == (insight.org_id, insight.agent_id)
    return None if same_author else other


def named_for(org_id: str, other: Insight) -> str:
    """How an epoch event of ``org_id`` names ``other``: its id only if the org may see it."""
    if other.org_id == org_id or other.scope is Scope.PUBLIC:
        return other.id
    return "another org's insight"


# --- quarantine and promotion ----------------------------------------------------------------


def _promote(ctx: Context, seeds: Sequence[str]) -> None:
    done: set[str] = set()
    for seed in seeds:
        if seed in done:
            continue
        family = promotion.load_family(ctx.store, seed)
        done |= {m.id for m in family.members}
        _release(ctx, family)
        family = promotion.load_family(ctx.store, seed)
        if family.public is not None:
            _join_public(ctx, family, family.public)
        elif len(family.members) > 1:
            _try_promotion(ctx, family)


def _release(ctx: Context, family: promotion.Family) -> None:
    """A quarantined lesson independently matched by a trusted agent leaves quarantine."""
    vouchers = [
        m
        for m in family.members
        if m.status is InsightStatus.ACTIVE
        and ctx.standing(m.agent_id) >= ctx.policy.quarantine_below
    ]
    for member in family.members:
        if member.status is not InsightStatus.QUARANTINED:
            continue
        voucher = next((v for v in vouchers if v.agent_id != member.agent_id), None)
        if voucher is not None:
            ctx.store.put_insight(
                member.model_copy(update={"status": InsightStatus.ACTIVE}), None, None
            )
            what = f"independently matched by {named_for(member.org_id, voucher)}"
            ctx.log.add("released", member.id, member.org_id, what)


def _try_promotion(ctx: Context, family: promotion.Family) -> None:
    k = ctx.policy.promotion_orgs
    verdict = promotion.verdict(family, k, ctx.policy.public_needs_trace_evidence)
    orgs = family.orgs()
    first = family.members[0].id
    if verdict.refused:
        if len(orgs) >= k:  # enough endorsement, refused on its content: worth a log line
            ctx.log.add("rejected", first, "", f"promotion blocked: {verdict.refused[0]}")
        return
    if verdict.waiting:
        if len(orgs) >= k:
            ctx.log.add("waiting", first, "", f"promotion waits: {verdict.waiting[0]}")
        return
    public = promotion.build_public(family, promotion.family_names(family), ctx.policy.trust)
    ctx.store.put_insight(public, ctx.embed([insight_text(public)])[0], ctx.space)
    _supersede(ctx, family, public)
    ctx.log.add("promoted", public.id, "", f"endorsed by {len(orgs)} orgs (k={k})")


def _join_public(ctx: Context, family: promotion.Family, public: Insight) -> None:
    """Members that joined an already public family are superseded by it too."""
    fresh = [m for m in family.members if m.status is InsightStatus.ACTIVE]
    if fresh:
        _supersede(ctx, promotion.Family(fresh, public, family.links), public)


def _supersede(ctx: Context, family: promotion.Family, public: Insight) -> None:
    for link in promotion.promotion_links(family, public.id, ctx.log.id):
        ctx.store.put_link(link)
    for member in family.members:
        if member.status is InsightStatus.ACTIVE:
            superseded = member.model_copy(update={"status": InsightStatus.SUPERSEDED})
            ctx.store.put_insight(superseded, None, None)
