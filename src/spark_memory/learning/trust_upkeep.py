"""Keeping stored trust in step with feedback: on every vote, and each epoch for decay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from spark_memory.learning.policy import LearningPolicy
from spark_memory.learning.trust import DEFAULT_STANDING, posterior, prior
from spark_memory.models import Insight, Scope, Trust
from spark_memory.store.protocol import Store

Standing = Callable[[str], float]


def base_trust(insight: Insight, standing: Standing, policy: LearningPolicy) -> Trust:
    """The prior an insight starts from: its author's standing and its evidence."""
    if insight.scope is Scope.PUBLIC:
        return prior(DEFAULT_STANDING, policy.trust, evidence_agents=policy.promotion_orgs)
    return prior(
        standing(insight.agent_id), policy.trust, evidence_agents=len(insight.provenance.agents)
    )


def recompute(
    store: Store, insight: Insight, standing: Standing, policy: LearningPolicy, now: datetime
) -> Insight | None:
    """The insight with its trust recomputed, or None when nothing changed."""
    trust = posterior(
        base_trust(insight, standing, policy),
        store.list_feedback(insight.id),
        author=(insight.org_id, insight.agent_id),
        now=now,
        policy=policy.trust,
    )
    if trust == insight.trust:
        return None
    return insight.model_copy(update={"trust": trust})


def refresh_all(store: Store, standing: Standing, policy: LearningPolicy, now: datetime) -> int:
    """Recompute every insight that has feedback (votes decay); how many changed."""
    ids = [t for t in store.feedback_targets() if t.startswith("ins_")]
    changed = 0
    for insight in store.unscoped_insights(ids).values():
        updated = recompute(store, insight, standing, policy, now)
        if updated is not None:
            store.put_insight(updated, None, None)
            changed += 1
    return changed
