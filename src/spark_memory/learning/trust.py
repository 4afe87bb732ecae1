"""Trust in an insight: a Beta posterior on "following this insight helps".

- The prior comes from the author's standing: Beta(1 + s*n, 1 + (1 - s)*n) with n
  pseudo-votes, so a trusted author starts higher and a new one near 0.5.
- Each agent has one vote per insight: its latest feedback. The author's own votes
  do not count (nobody endorses themselves).
- A verified outcome (tests passed / failed after following the insight) weighs more
  than an opinion (correct / incorrect); relevance alone weighs little.
- Each org's total weight is capped, so one org with many agents cannot lift (or
  sink) an insight on its own.
- Votes decay with age (half-life), so without fresh evidence the posterior slides
  back toward the prior.

Ranking uses ``Trust.lower_bound()``: few votes leave the bound low however
enthusiastic they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from spark_memory.models import Feedback, Outcome, Trust

DEFAULT_STANDING = 0.5


@dataclass(frozen=True)
class TrustPolicy:
    prior_strength: float = 2.0  # pseudo-votes the prior is worth
    opinion_weight: float = 1.0  # correct / incorrect
    relevance_weight: float = 0.25  # relevant / not relevant, when nothing else is said
    verified_weight: float = 2.0  # tests passed / failed after following it
    evidence_weight: float = 0.5  # per independent agent whose traces back a curated lesson
    max_evidence_agents: int = 5
    org_cap: float = 3.0  # most weight one org's votes can carry in total
    half_life_days: float = 180.0


@dataclass(frozen=True)
class Vote:
    org_id: str
    agent_id: str
    alpha: float
    beta: float


def prior(standing: float, policy: TrustPolicy, evidence_agents: int = 0) -> Trust:
    """The starting posterior of an insight by an author of ``standing`` (0..1)."""
    s = min(max(standing, 0.0), 1.0)
    n = policy.prior_strength
    bonus = policy.evidence_weight * min(evidence_agents, policy.max_evidence_agents)
    return Trust(alpha=1.0 + s * n + bonus, beta=1.0 + (1.0 - s) * n)


def vote_of(feedback: Feedback, policy: TrustPolicy) -> Vote | None:
    """The weight one piece of feedback carries, or None when it says nothing of trust."""
    alpha = beta = 0.0
    if feedback.verified in (Outcome.PASSED,):
        alpha = policy.verified_weight
    elif feedback.verified in (Outcome.FAILED, Outcome.ERROR):
        beta = policy.verified_weight
    elif feedback.correct is not None:
        alpha, beta = (
            (policy.opinion_weight, 0.0) if feedback.correct else (0.0, policy.opinion_weight)
        )
    elif feedback.relevant is not None:
        weight = policy.relevance_weight
        alpha, beta = (weight, 0.0) if feedback.relevant else (0.0, weight)
    else:
        return None
    return Vote(feedback.org_id, feedback.agent_id, alpha, beta)


def latest_per_agent(feedback: Iterable[Feedback]) -> list[Feedback]:
    """One vote per agent: its most recent feedback."""
    latest: dict[tuple[str, str], Feedback] = {}
    for item in sorted(feedback, key=lambda f: (f.created, f.id)):
        latest[(item.org_id, item.agent_id)] = item
    return list(latest.values())


def posterior(
    start: Trust,
    feedback: Iterable[Feedback],
    *,
    author: tuple[str, str],
    now: datetime,
    policy: TrustPolicy,
) -> Trust:
    """``start`` updated by the counted, decayed and org-capped votes in ``feedback``."""
    per_org: dict[str, list[tuple[float, float]]] = {}
    for item in latest_per_agent(feedback):
        if (item.org_id, item.agent_id) == author:
            continue
        vote = vote_of(item, policy)
        if vote is None:
            continue
        decay = _decay(now, item.created, policy.half_life_days)
        per_org.setdefault(vote.org_id, []).append((vote.alpha * decay, vote.beta * decay))
    alpha, beta = start.alpha, start.beta
    for votes in per_org.values():
        a, b = _capped(votes, policy.org_cap)
        alpha, beta = alpha + a, beta + b
    return Trust(alpha=round(alpha, 6), beta=round(beta, 6))


def _decay(now: datetime, then: datetime, half_life_days: float) -> float:
    age_days = max((now - then).total_seconds(), 0.0) / 86_400.0
    return float(0.5 ** (age_days / half_life_days))


def _capped(votes: list[tuple[float, float]], cap: float) -> tuple[float, float]:
    alpha = sum(a for a, _ in votes)
    beta = sum(b for _, b in votes)
    total = alpha + beta
    if total <= cap or total == 0:
        return alpha, beta
    scale = cap / total
    return alpha * scale, beta * scale
