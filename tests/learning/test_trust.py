"""The Beta posterior: prior from standing, one vote per agent, org caps, verified > opinion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spark_memory.learning.trust import TrustPolicy, posterior, prior
from spark_memory.models import Feedback, Outcome, Trust

NOW = datetime(2025, 6, 1, tzinfo=UTC)
POLICY = TrustPolicy()
AUTHOR = ("org-a", "alice")


def vote(
    org: str,
    agent: str,
    *,
    correct: bool | None = None,
    verified: Outcome | None = None,
    relevant: bool | None = None,
    days_ago: float = 0.0,
    n: int = 0,
) -> Feedback:
    return Feedback(
        id=f"fb_{org}_{agent}_{n}",
        target_id="ins_1",
        org_id=org,
        agent_id=agent,
        correct=correct,
        verified=verified,
        relevant=relevant,
        created=NOW - timedelta(days=days_ago),
    )


def post(*votes: Feedback, start: Trust | None = None) -> Trust:
    base = start or prior(0.5, POLICY)
    return posterior(base, votes, author=AUTHOR, now=NOW, policy=POLICY)


def test_the_prior_follows_standing() -> None:
    low, mid, high = prior(0.1, POLICY), prior(0.5, POLICY), prior(0.9, POLICY)
    assert low.mean < mid.mean < high.mean
    assert mid.mean == pytest.approx(0.5)
    assert prior(0.5, POLICY, evidence_agents=3).mean > mid.mean


def test_one_vote_per_agent_the_latest_counts() -> None:
    flip = [
        vote("org-b", "bob", correct=True, days_ago=2, n=1),
        vote("org-b", "bob", correct=False, days_ago=1, n=2),
    ]
    assert post(*flip).mean < 0.5
    many = [vote("org-b", "bob", correct=True, n=i) for i in range(10)]
    assert post(*many) == post(many[0])


def test_authors_cannot_vote_for_themselves() -> None:
    assert post(vote("org-a", "alice", correct=True)) == prior(0.5, POLICY)


def test_verified_outcomes_weigh_more_than_opinions() -> None:
    opinion = post(vote("org-b", "bob", correct=True))
    verified = post(vote("org-b", "bob", verified=Outcome.PASSED))
    assert verified.mean > opinion.mean > 0.5
    assert (
        post(vote("org-b", "bob", verified=Outcome.FAILED)).mean
        < post(vote("org-b", "bob", correct=False)).mean
    )


def test_relevance_alone_barely_moves_trust() -> None:
    relevant = post(vote("org-b", "bob", relevant=True))
    assert 0.5 < relevant.mean < post(vote("org-b", "bob", correct=True)).mean


def test_one_org_cannot_lift_an_insight_alone() -> None:
    one_org = post(*[vote("org-b", f"b{i}", verified=Outcome.PASSED) for i in range(20)])
    three_orgs = post(
        *[
            vote(org, f"{org}-{i}", verified=Outcome.PASSED)
            for org in ("org-b", "org-c", "org-d")
            for i in range(2)
        ]
    )
    assert one_org.alpha - prior(0.5, POLICY).alpha == pytest.approx(POLICY.org_cap)
    assert three_orgs.lower_bound() > one_org.lower_bound()


def test_ranking_by_lower_bound_prefers_broad_evidence() -> None:
    enthusiastic = Trust(alpha=3.0, beta=1.0)  # mean 0.75 from little evidence
    established = Trust(alpha=30.0, beta=12.0)  # mean 0.71 from a lot
    assert enthusiastic.mean > established.mean
    assert established.lower_bound() > enthusiastic.lower_bound()


def test_old_votes_decay_toward_the_prior() -> None:
    fresh = post(vote("org-b", "bob", verified=Outcome.PASSED))
    old = post(vote("org-b", "bob", verified=Outcome.PASSED, days_ago=POLICY.half_life_days))
    ancient = post(
        vote("org-b", "bob", verified=Outcome.PASSED, days_ago=10 * POLICY.half_life_days)
    )
    start = prior(0.5, POLICY)
    assert fresh.alpha - start.alpha == pytest.approx(POLICY.verified_weight)
    assert old.alpha - start.alpha == pytest.approx(POLICY.verified_weight / 2)
    assert ancient.mean == pytest.approx(start.mean, abs=0.01)
