"""Finding 4: curation crossed tenants. An org admin could confirm that another org
privately held a text (epoch events named the other org's private insight when a guess
linked to it), and a private insight was counted as the third org for promotion, then
superseded, vanishing from its author's own search."""

from __future__ import annotations

from spark_memory.learning.policy import LearningPolicy
from spark_memory.models import DocType, InsightStatus, Principal, Scope
from spark_memory.service import Spark
from tests.learning.conftest import admin, register, spark

__all__ = ["spark"]

TITLE = "Broadcast per-group sums back to the rows with groupby transform"
CONTENT = (
    "When a pandas DataFrame needs the per-group sum of column b next to every row, call"
    " df.groupby('a')['b'].transform('sum'): it keeps the frame's index, where .sum() does not."
)
QUERY = "pandas groupby sum broadcast back to every row transform"


def write(spark: Spark, who: Principal, scope: str) -> str:
    register(spark, who, 0.9)
    return spark.create_memory(TITLE, CONTENT, query=QUERY, scope=scope, principal=who).id


def test_a_private_insight_is_never_named_counted_or_superseded(spark: Spark) -> None:
    # public_needs_trace_evidence off: agent-written lessons are enough to be promotable
    spark.learning_policy = LearningPolicy(public_needs_trace_evidence=False)
    victim = admin("victim", "v1")
    secret_id = write(spark, victim, "private")
    guesser, third = admin("guesser", "g1"), admin("third", "t1")
    guess_id = write(spark, guesser, "org")
    third_id = write(spark, third, "org")

    record = spark.curate(principal=guesser)

    # the guesser's events name nothing of another org's
    assert record.events, "the guesser's lesson should have been linked to the third org's"
    assert all(secret_id not in e.reason and third_id not in e.reason for e in record.events)
    everything = spark.curate(principal=admin("victim", "v1"))
    assert all(secret_id not in e.reason for e in everything.events if e.org_id != "victim")
    # two org-scoped lessons and one private one: not three orgs, no promotion
    assert spark.store.unscoped_insights([secret_id])[secret_id].status is InsightStatus.ACTIVE
    public = [h for h in _search(spark, guesser) if h.id not in (guess_id, third_id)]
    assert public == []
    # the private insight still answers its author
    assert secret_id in [h.id for h in _search(spark, victim)]
    assert guess_id


def test_a_third_org_promotes_without_touching_a_private_look_alike(spark: Spark) -> None:
    spark.learning_policy = LearningPolicy(public_needs_trace_evidence=False)
    victim = admin("victim", "v1")
    secret_id = write(spark, victim, "private")
    for org in ("org-1", "org-2", "org-3"):
        write(spark, admin(org, f"{org}-a"), "org")

    spark.curate(principal=admin("org-1", "org-1-a"))

    found = spark.store.unscoped_insights([secret_id])[secret_id]
    assert found.status is InsightStatus.ACTIVE  # not superseded by the others' promotion
    hits = _search(spark, victim)
    assert secret_id in [h.id for h in hits]
    publics = [
        i
        for i in spark.store.unscoped_insights([h.id for h in hits]).values()
        if i.scope is Scope.PUBLIC
    ]
    assert publics, "three orgs' lessons should have been promoted"


def _search(spark: Spark, who: Principal) -> list:  # type: ignore[type-arg]
    return spark.search(QUERY, principal=who, k=10, doc_types=(DocType.INSIGHT,))
