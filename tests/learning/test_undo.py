"""Reverting one's own writes within the window; an org admin erasing an agent or the org."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from spark_memory.errors import Forbidden, NotFound
from spark_memory.models import InsightStatus, Scope
from spark_memory.service import Spark
from tests.learning.conftest import TASK, admin, failed_then_fixed, passed, writer

ALICE = writer("acme", "alice")


def test_an_author_reverts_each_kind_of_write(spark: Spark) -> None:
    trace = spark.record_trace(TASK, outcome="passed", principal=ALICE).id
    insight = spark.create_memory("Sort descending", "Use np.argsort(-a).", principal=ALICE).id
    spark.enrich_memory(insight, "Use kind='stable' for ties.", principal=ALICE)
    spark.share_feedback(insight, relevant=True, principal=writer("acme", "bob"))

    assert spark.revert(insight, principal=ALICE).message.startswith("restored")
    assert "stable" not in spark.get_memory(insight, principal=ALICE).content
    assert spark.revert(insight, principal=ALICE).message.startswith("deleted insight")
    with pytest.raises(NotFound):
        spark.get_memory(insight, principal=ALICE)
    spark.revert(trace, principal=ALICE)
    assert spark.store.list_traces("acme") == []
    with pytest.raises(NotFound, match="no write of yours"):
        spark.revert(trace, principal=ALICE)
    actions = [e.action for e in spark.audit_log(principal=admin("acme"))]
    assert actions.count("revert") == 3


def test_reverting_feedback_restores_trust(spark: Spark) -> None:
    insight = spark.create_memory("Sort descending", "Use np.argsort(-a).", principal=ALICE).id
    before = spark.get_memory(insight, principal=ALICE).trust
    bob = writer("acme", "bob")
    spark.share_feedback(insight, verified="passed", principal=bob)
    assert spark.get_memory(insight, principal=ALICE).trust != before
    spark.revert(insight, principal=bob)
    assert spark.get_memory(insight, principal=ALICE).trust == before


def test_only_the_author_reverts_and_only_within_the_window(spark: Spark) -> None:
    insight = spark.create_memory("Sort descending", "Use np.argsort(-a).", principal=ALICE).id
    with pytest.raises(NotFound):
        spark.revert(insight, principal=writer("acme", "bob"))
    with pytest.raises(NotFound):
        spark.revert(insight, principal=writer("globex", "alice"))
    spark.learning_policy = replace(spark.learning_policy, revert_window=timedelta(0))
    with pytest.raises(Forbidden, match="revert window"):
        spark.revert(insight, principal=ALICE)


def test_an_enrichment_changed_since_cannot_be_reverted_blindly(spark: Spark) -> None:
    insight = spark.create_memory("Sort descending", "Use np.argsort(-a).", principal=ALICE).id
    spark.enrich_memory(insight, "First addition.", principal=ALICE)
    spark.enrich_memory(insight, "Second addition by a colleague.", principal=writer("acme", "bob"))
    from spark_memory.errors import Conflict

    with pytest.raises(Conflict):
        spark.revert(insight, principal=ALICE)


def test_erasing_an_agent_keeps_its_colleagues_work(spark: Spark) -> None:
    failed_then_fixed(spark, writer("acme", "a1"))
    passed(spark, writer("acme", "a2"))
    mine = spark.create_memory("A note", "Use np.argsort(-a).", principal=writer("acme", "a1")).id
    spark.curate(principal=admin("local"))
    report = spark.erase(agent_id="a1", principal=admin("acme"))
    assert (report.traces, report.insights_deleted, report.insights_rewritten) == (1, 1, 1)
    assert [t.agent_id for t in spark.store.list_traces("acme")] == ["a2"]
    [curated] = spark.store.unscoped_insights_of("acme")
    assert curated.id != mine
    assert curated.provenance.agents == ["a2"]
    assert "a1" not in [e.agent_id for e in spark.store.audit_log("acme")]
    assert spark.audit_log(principal=admin("acme"))[0].action == "agent.erase"


def test_erasing_needs_an_admin(spark: Spark) -> None:
    with pytest.raises(Forbidden):
        spark.erase(principal=writer("acme"))


def test_erasing_an_org_demotes_public_copies_it_made_possible(spark: Spark) -> None:
    for org in ("acme", "globex", "initech"):
        failed_then_fixed(spark, writer(org))
    spark.curate(principal=admin("local"))
    public = spark.search("sum column by group broadcast", principal=writer("newcomer"))[0].id
    report = spark.erase(principal=admin("acme"))
    assert report.public_demoted == 1
    assert report.traces == 1
    assert spark.store.list_traces("acme") == []
    assert spark.store.unscoped_insights_of("acme") == []
    with pytest.raises(NotFound):
        spark.get_memory(public, principal=writer("newcomer"))
    for org in ("globex", "initech"):
        [back] = spark.store.unscoped_insights_of(org)
        assert back.status is InsightStatus.ACTIVE
        assert back.scope is Scope.ORG


def test_erasing_one_org_of_four_rebuilds_the_public_copy(spark: Spark) -> None:
    task = TASK.replace("I have", "At acme we have")
    for org in ("acme", "globex", "initech", "umbrella"):
        failed_then_fixed(spark, writer(org), task=task)
    spark.curate(principal=admin("local"))
    public = spark.search("sum column by group broadcast", principal=writer("newcomer"))[0].id
    report = spark.erase(principal=admin("acme"))
    assert report.public_rebuilt == 1
    rebuilt = spark.get_memory(public, principal=writer("newcomer"))
    assert rebuilt.status is InsightStatus.ACTIVE
    assert rebuilt.supersedes not in {
        None,
        *[i.id for i in spark.store.unscoped_insights_of("acme")],
    }
