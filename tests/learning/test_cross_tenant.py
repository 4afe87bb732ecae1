"""Nothing of org A's private traces or insights ever reaches org B, through any verb.

Org A's data carries a canary word; every answer org B gets is serialised and searched
for it, and every id of A's is tried through every verb that takes an id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any

import pytest

from spark_memory.errors import NotFound
from spark_memory.models import Evidence
from spark_memory.service import Spark
from tests.learning.conftest import ERROR, admin, writer

CANARY = "zebraquokka"
TASK_A = (
    f"Problem:\nOur {CANARY} pipeline needs a pandas DataFrame grouped by column a with"
    f" the sums of b broadcast back to every row of {CANARY}.\nA:\n<code>\nimport pandas as pd\n</code>"
)
A1, A2 = writer("org-a", "a1"), writer("org-a", "a2")
B = writer("org-b", "b1")
B_ADMIN = admin("org-b", "b-admin")


def dump(value: Any) -> str:
    if hasattr(value, "model_dump"):
        return json.dumps(value.model_dump(mode="json"))
    if is_dataclass(value) and not isinstance(value, type):
        return json.dumps(asdict(value), default=str)
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value, default=str)


@pytest.fixture
def a_ids(spark: Spark) -> list[str]:
    """Org A's private experience: traces, memories (private and org), feedback, curation."""
    ids = [
        spark.record_trace(
            TASK_A,
            code=f"{CANARY} = df.groupby('a')['b'].sum()",
            outcome="failed",
            error=ERROR,
            correction=f"{CANARY} = df.groupby('a')['b'].transform('sum')",
            principal=A1,
        ).id,
        spark.record_trace(
            TASK_A,
            code=f"{CANARY} = df.groupby('a')['b'].transform('sum')",
            outcome="passed",
            principal=A2,
        ).id,
    ]
    for scope in ("private", "org"):
        ids.append(
            spark.create_memory(
                f"{CANARY} lesson ({scope})",
                f"In {CANARY}, use transform to broadcast group sums.",
                query=f"{CANARY} groupby transform",
                scope=scope,
                evidence=Evidence(fix=f"{CANARY}.groupby('a').transform('sum')"),
                principal=A1,
            ).id
        )
    spark.share_feedback(ids[-1], correct=True, comment=f"{CANARY} confirmed", principal=A2)
    record = spark.curate(principal=admin("org-a", "a-admin"))
    ids += [e.target_id for e in record.events if e.target_id.startswith("ins_")]
    assert any(i.startswith("ins_") for i in ids[4:])  # curation made an org lesson
    return ids


def test_searches_never_return_org_a_content(spark: Spark, a_ids: list[str]) -> None:
    queries = [CANARY, f"{CANARY} groupby transform", "broadcast group sums pandas", TASK_A]
    for query in queries:
        hits = spark.search(query, principal=B)
        assert not {h.id for h in hits} & set(a_ids)
        assert CANARY not in dump(hits)


def test_every_id_verb_answers_not_found(spark: Spark, a_ids: list[str]) -> None:
    verbs: list[Callable[[str], object]] = [
        lambda i: spark.get_memory(i, principal=B),
        lambda i: spark.enrich_memory(i, "more", principal=B),
        lambda i: spark.share_feedback(i, relevant=True, principal=B),
        lambda i: spark.revert(i, principal=B),
        lambda i: spark.store.get_trace(i, B),
    ]
    for insight_or_trace in a_ids:
        for verb in verbs:
            with pytest.raises(NotFound) as caught:
                verb(insight_or_trace)
            assert CANARY not in caught.value.message


def test_logs_and_epochs_show_org_b_only_its_own(spark: Spark, a_ids: list[str]) -> None:
    spark.record_trace("Problem:\nsort a numpy array descending", outcome="passed", principal=B)
    assert all(e.org_id == "org-b" for e in spark.audit_log(principal=B_ADMIN))
    record = spark.curate(principal=B_ADMIN)
    for epoch in [record, *spark.epochs(principal=B_ADMIN)]:
        assert all(e.org_id == "org-b" for e in epoch.events)
        assert CANARY not in dump(epoch)
        assert not any(i in dump(epoch) for i in a_ids)


def test_org_b_cannot_erase_or_revert_org_a(spark: Spark, a_ids: list[str]) -> None:
    before = len(spark.store.list_traces("org-a"))
    spark.erase(principal=B_ADMIN)
    with pytest.raises(NotFound):  # an agent id of org A, from org B: not B's to erase
        spark.erase(agent_id="a1", principal=B_ADMIN)
    assert len(spark.store.list_traces("org-a")) == before
    assert spark.get_memory(a_ids[2], principal=A1).title.startswith(CANARY)


def test_served_ids_reveal_nothing(spark: Spark, a_ids: list[str]) -> None:
    receipt = spark.record_trace("Problem:\nsomething", served_ids=a_ids[2:4], principal=B)
    assert CANARY not in dump(receipt)


def test_recommendations_never_cite_org_a(spark: Spark, a_ids: list[str]) -> None:
    recommend = getattr(spark, "recommend", None)
    if recommend is None:
        pytest.skip("recommend is not wired into the façade in this tree")
    # B's own words would be echoed back, so B asks without the canary
    answer = recommend(TASK_A.replace(CANARY, "sales"), principal=B)
    assert CANARY not in dump(answer)
    assert not any(i in dump(answer) for i in a_ids)
