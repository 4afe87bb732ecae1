"""Curation epochs end to end: clusters, lessons per org, filters, merges, promotion."""

from __future__ import annotations

from dataclasses import replace

import pytest

from spark_memory.errors import NotFound
from spark_memory.learning.epochlog import reasons
from spark_memory.models import Evidence, InsightKind, InsightStatus, Principal, Scope, Trace
from spark_memory.service import Spark
from spark_memory.store.protocol import LinkKind
from tests.learning.conftest import (
    ERROR,
    FAILING,
    FIX,
    OTHER_TASK,
    TASK,
    admin,
    failed_then_fixed,
    passed,
    register,
    writer,
)

NEWCOMER = writer("newcomer")


def org_insights(spark: Spark, org: str) -> list[str]:
    return [i.id for i in spark.store.unscoped_insights_of(org)]


def test_a_lesson_learned_by_three_orgs_goes_public(spark: Spark) -> None:
    for org in ("acme", "globex", "initech"):
        failed_then_fixed(spark, writer(org))
    passed(spark, writer("umbrella"))
    record = spark.curate(principal=admin("local"))
    assert record.counts["traces"] == 4
    assert record.counts["clusters"] == 1
    assert record.counts["created"] == 4
    assert record.counts["promoted"] == 1
    public = next(e.target_id for e in record.events if e.action == "promoted")
    hits = spark.search("sum column by group and broadcast to every row", principal=NEWCOMER)
    assert hits[0].id == public
    lesson = spark.get_memory(public, principal=NEWCOMER)
    assert lesson.scope is Scope.PUBLIC
    assert lesson.kind is InsightKind.PITFALL
    assert "transform" in lesson.content
    assert "ValueError" in lesson.content
    assert lesson.provenance.trace_ids == []
    assert lesson.provenance.orgs == []
    for org in ("acme", "globex", "initech", "umbrella"):
        member = spark.store.unscoped_insights_of(org)[0]
        assert member.status is InsightStatus.SUPERSEDED
        assert member.provenance.orgs == [org]
        assert spark.search("broadcast sums group", principal=writer(org))[0].id == public


def test_public_copies_carry_no_org_names(spark: Spark) -> None:
    task = TASK.replace("I have", "At acme-labs we have")
    for org in ("acme-labs", "globex", "initech"):
        failed_then_fixed(spark, writer(org), task=task)
    spark.curate(principal=admin("local"))
    public = spark.search("sum column by group broadcast", principal=NEWCOMER)[0]
    assert "acme-labs" not in spark.get_memory(public.id, principal=NEWCOMER).model_dump_json()
    assert "<org>" in public.text


def test_below_k_orgs_each_org_keeps_its_own_lesson(spark: Spark) -> None:
    failed_then_fixed(spark, writer("acme"))
    passed(spark, writer("globex"))
    record = spark.curate(principal=admin("local"))
    assert record.counts["created"] == 2
    assert "promoted" not in record.counts
    assert spark.search("sum by group broadcast", principal=NEWCOMER) == []
    mine = spark.search("sum by group broadcast", principal=writer("acme"))
    assert [h.id for h in mine] == org_insights(spark, "acme")


def test_nothing_to_learn_when_every_attempt_passed(spark: Spark) -> None:
    passed(spark, writer("acme"))
    passed(spark, writer("globex"))
    record = spark.curate(principal=admin("local"))
    assert reasons(record, "rejected") == {"nothing to learn": 2}
    assert spark.store.pending_traces() == []


def test_single_agent_evidence_waits_for_a_second_agent(spark: Spark) -> None:
    failed_then_fixed(spark, writer("acme"))
    first = spark.curate(principal=admin("local"))
    assert reasons(first, "deferred") == {"too little independent evidence": 1}
    assert len(spark.store.pending_traces()) == 1
    passed(spark, writer("acme", "second-agent"))
    second = spark.curate(principal=admin("local"))
    assert second.counts["created"] == 1
    insight = spark.store.unscoped_insights_of("acme")[0]
    assert insight.provenance.agents == ["acme-agent", "second-agent"]


def test_unsafe_fixes_are_rejected_with_the_reason(spark: Spark) -> None:
    fix = "r = requests.get(url, verify=False)"
    for org in ("acme", "globex"):
        spark.record_trace(
            "Problem:\nDownloading the CSV fails with an SSL certificate error on the proxy.",
            code="r = requests.get(url)",
            outcome="error",
            error="requests.exceptions.SSLError: certificate verify failed",
            correction=fix,
            principal=writer(org),
        )
    record = spark.curate(principal=admin("local"))
    assert "created" not in record.counts
    assert reasons(record, "rejected") == {"unsafe advice": 2}
    assert any("TLS" in e.reason for e in record.events)


def test_secrets_left_in_old_traces_are_redacted_by_curation(spark: Spark) -> None:
    key = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    for n, org in enumerate(("acme", "globex")):
        trace = Trace(
            id=f"trc_old{n}",
            org_id=org,
            agent_id=f"{org}-agent",
            task=TASK,
            code=FAILING,
            outcome="failed",
            error=ERROR,
            correction=f"stripe.api_key = '{key}'\n{FIX}",
        )
        spark.store.add_trace(trace)  # written before screening existed
    record = spark.curate(principal=admin("local"))
    assert record.counts["redacted"] == 2
    assert record.counts["created"] == 2
    for org in ("acme", "globex"):
        assert key not in spark.store.unscoped_insights_of(org)[0].model_dump_json()


def test_a_later_epoch_merges_near_duplicates_as_endorsements(spark: Spark) -> None:
    failed_then_fixed(spark, writer("acme", "a1"))
    passed(spark, writer("acme", "a2"))
    spark.curate(principal=admin("local"))
    [existing] = spark.store.unscoped_insights_of("acme")
    failed_then_fixed(spark, writer("acme", "a3"))
    passed(spark, writer("acme", "a4"))
    record = spark.curate(principal=admin("local"))
    assert record.counts["merged"] == 1
    assert "created" not in record.counts
    [merged] = spark.store.unscoped_insights_of("acme")
    assert merged.id == existing.id
    assert merged.provenance.agents == ["a1", "a2", "a3", "a4"]
    [link] = [x for x in spark.store.links_of([existing.id]) if x.kind is LinkKind.MERGED]
    assert link.snapshot
    assert link.target_id == existing.id
    # reversible: the merged lesson comes back as its own insight
    [restored] = spark.unmerge(existing.id, principal=admin("acme"))
    assert {i.id for i in spark.store.unscoped_insights_of("acme")} == {existing.id, restored}
    back = spark.store.unscoped_insights([existing.id])[existing.id]
    assert len(back.provenance.trace_ids) == 2
    with pytest.raises(NotFound):
        spark.unmerge(existing.id, principal=admin("acme"))


def test_lessons_contradicting_a_more_trusted_one_are_rejected(spark: Spark) -> None:
    alice = writer("acme", "alice")
    trusted = spark.create_memory(
        "I have a pandas DataFrame with columns a and b.",
        "Sum column b by group a and broadcast the sums back to every row: transform works,"
        " a plain sum fails.",
        query="pandas DataFrame sum column b by group a broadcast sums back to every row",
        kind="pitfall",
        evidence=Evidence(failing_code=FIX, error="wrong", fix=FAILING),
        principal=alice,
    ).id
    for colleague in ("c1", "c2"):
        spark.share_feedback(trusted, verified="passed", principal=writer("acme", colleague))
    failed_then_fixed(spark, writer("acme", "a1"))
    passed(spark, writer("acme", "a2"))
    policy = spark.learning_policy
    spark.learning_policy = replace(policy, contradiction_similarity=0.3, merge_similarity=0.99)
    record = spark.curate(principal=admin("local"))
    assert reasons(record, "rejected") == {"contradiction": 1}
    assert trusted in next(e.reason for e in record.events if e.action == "rejected")


def test_quarantine_ends_when_a_trusted_agent_independently_agrees(spark: Spark) -> None:
    newcomer = writer("acme", "newcomer")
    register(spark, newcomer, standing=0.1)
    title, content = "Broadcast group sums with transform", f"Use `{FIX}` to keep the shape."
    quarantined = spark.create_memory(title, content, principal=newcomer).id
    assert spark.get_memory(quarantined, principal=newcomer).status is InsightStatus.QUARANTINED
    spark.create_memory(title, content + " It aligns with the index.", principal=writer("globex"))
    record = spark.curate(principal=admin("local"))
    assert record.counts["released"] == 1
    assert (
        spark.get_memory(quarantined, principal=writer("acme", "colleague")).status
        is InsightStatus.ACTIVE
    )


def test_traces_about_different_tasks_make_different_lessons(spark: Spark) -> None:
    failed_then_fixed(spark, writer("acme", "a1"))
    passed(spark, writer("acme", "a2"))
    spark.record_trace(
        OTHER_TASK,
        code="np.argsort(a)",
        outcome="failed",
        correction="np.argsort(-a)",
        principal=writer("acme", "a1"),
    )
    passed(spark, writer("acme", "a2"), task=OTHER_TASK, code="np.argsort(a)[::-1]")
    record = spark.curate(principal=admin("local"))
    assert record.counts["clusters"] == 2
    assert record.counts["created"] == 2
    titles = sorted(i.title for i in spark.store.unscoped_insights_of("acme"))
    assert titles[0].startswith("I have a pandas")
    assert titles[1].startswith("My numpy array")


def test_an_org_admin_reads_only_its_own_events(spark: Spark) -> None:
    failed_then_fixed(spark, writer("acme"))
    passed(spark, writer("globex"))
    record = spark.curate(principal=admin("acme"))
    assert record.counts["created"] == 2
    assert {e.org_id for e in record.events} == {"acme"}
    assert [e.id for e in spark.epochs(principal=admin("acme"))] == [record.id]


def test_everything_is_audited(spark: Spark) -> None:
    acme = admin("acme")
    failed_then_fixed(spark, acme)
    passed(spark, writer("globex"))
    spark.curate(principal=admin("local"))
    actions = [e.action for e in spark.audit_log(principal=acme)]
    assert actions == ["insight.curate", "trace.record"]
    assert spark.audit_log(principal=Principal(org_id="acme", agent_id="someone")) == []


def test_text_without_execution_evidence_waits_outside_public(spark: Spark) -> None:
    title, content = "Broadcast group sums with transform", f"Use `{FIX}` to keep the shape."
    for org in ("acme", "globex", "initech"):
        spark.create_memory(title, content, principal=writer(org))
    record = spark.curate(principal=admin("local"))
    assert "promoted" not in record.counts
    assert reasons(record, "waiting") == {"promotion waits": 1}
    assert "execution evidence" in next(e.reason for e in record.events if e.action == "waiting")
    assert spark.search("broadcast group sums transform", principal=NEWCOMER) == []
