"""Finding 1: a Python expression thousands of levels deep (`x = a+a+...+a`) made
``ast`` raise RecursionError: HTTP 500 on create_memory/enrich, and, stored as a trace,
every later curation epoch failed for every org."""

from __future__ import annotations

import httpx
import pytest

from spark_memory.learning.curation import Curator
from spark_memory.learning.generalise import DeterministicGeneraliser, Group, Lesson
from spark_memory.models import Principal
from spark_memory.service import Spark
from tests.interfaces.server import Server
from tests.learning.conftest import (
    ERROR,
    OTHER_TASK,
    TASK,
    admin,
    failed_then_fixed,
    register,
    spark,
)

__all__ = ["spark"]

DEEP = [
    "x = " + "+".join(["a"] * 3000),  # RecursionError in ast.parse / ast.unparse
    "x = " + "-" * 100_000 + "1",  # MemoryError: the parser's nesting limit
    "y = " + "(" * 190 + "1" + ")" * 190,
    "z = " + "f(" * 1000 + ")" * 1000,
]


@pytest.mark.parametrize("deep", DEEP, ids=["sum", "unary", "parens", "calls"])
def test_deep_expressions_get_no_5xx_over_http(server: Server, deep: str) -> None:
    headers = server.headers("writer")
    statuses = []
    memory = {
        "title": "Broadcast group sums",
        "content": f"Use transform.\n\n```python\n{deep}\n```",
        "evidence": {"fix": deep, "failing_code": deep},
    }
    created = httpx.post(f"{server.url}/v1/memories", json=memory, headers=headers, timeout=60)
    statuses.append(created.status_code)
    if created.status_code == 200:
        enrich = {"addition": f"Also:\n```python\n{deep}\n```"}
        url = f"{server.url}/v1/memories/{created.json()['id']}/enrich"
        statuses.append(httpx.post(url, json=enrich, headers=headers, timeout=60).status_code)
    trace = {"task": TASK, "code": deep, "outcome": "failed", "error": ERROR, "correction": deep}
    statuses.append(
        httpx.post(f"{server.url}/v1/traces", json=trace, headers=headers, timeout=60).status_code
    )
    assert all(status < 500 for status in statuses), statuses


def test_curation_goes_on_past_a_deep_expression_trace(spark: Spark) -> None:
    poisoner, other_a, other_b = admin("evil", "e1"), admin("good", "g1"), admin("good", "g2")
    evil_b = admin("evil", "e2")
    for who in (poisoner, evil_b, other_a, other_b):
        register(spark, who, 0.9)
    deep = DEEP[0]
    for who in (poisoner, evil_b):
        spark.record_trace(
            OTHER_TASK, code=deep, outcome="failed", error=ERROR, correction=deep, principal=who
        )
    good = [failed_then_fixed(spark, other_a), failed_then_fixed(spark, other_b)]

    record = spark.curate(principal=admin("good", "g1"))

    created = [e for e in record.events if e.action == "created" and e.org_id == "good"]
    assert created, record.events
    used = [e for e in record.events if e.action == "created"]
    assert any(e.org_id == "good" for e in used)
    assert spark.store.pending_traces() == []  # the deep traces were decided, not left to fail
    assert spark.curate(principal=admin("good", "g1")).counts.get("traces", 0) == 0
    assert good


class _Unreviewable(DeterministicGeneraliser):
    """A generaliser that cannot handle one org's traces (any crash in review)."""

    def generalise(self, group: Group) -> Lesson:
        if group.org_id == "evil":
            raise RecursionError("maximum recursion depth exceeded")
        return super().generalise(group)


def test_a_cluster_that_cannot_be_reviewed_is_rejected_with_its_reason(
    spark: Spark,
) -> None:
    people = [admin("evil", "e1"), admin("evil", "e2"), admin("good", "g1"), admin("good", "g2")]
    for who in people:
        register(spark, who, 0.9)
    bad = [_trace(spark, who, OTHER_TASK) for who in people[:2]]
    good = [failed_then_fixed(spark, who) for who in people[2:]]
    curator = Curator(
        spark.store, spark.embedder, _Unreviewable(), spark.learning_policy, spark.standing
    )

    record = curator.run()

    rejected = [e for e in record.events if e.action == "rejected" and e.org_id == "evil"]
    assert rejected
    assert "cannot be reviewed: RecursionError" in rejected[0].reason
    assert set(rejected[0].target_id.split()) == set(bad)
    assert any(e.action == "created" and e.org_id == "good" for e in record.events)
    assert good
    assert spark.store.pending_traces() == []


def _trace(spark: Spark, who: Principal, task: str) -> str:
    failing = "a = np.array([3, 1, 2])\nidx = np.sort(a)[::-1]"
    fix = "a = np.array([3, 1, 2])\nidx = np.argsort(a)[::-1]"
    return spark.record_trace(
        task, code=failing, outcome="failed", error=ERROR, correction=fix, principal=who
    ).id
