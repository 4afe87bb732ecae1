"""The console's service additions on a real SQLite store: who may govern which lesson,
what the audit log keeps, and what an admin's review may see."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from spark_memory.config import Settings
from spark_memory.errors import Forbidden, InvalidInput, NotFound
from spark_memory.models import (
    LOCAL_PRINCIPAL,
    Insight,
    InsightStatus,
    Principal,
    Role,
    Scope,
    Trust,
    utcnow,
)
from spark_memory.service import Spark, console_reads, governance
from spark_memory.service.console_reads import MemoryFilter

ADMIN = Principal(org_id="acme", agent_id="acme/lead", role=Role.ADMIN)
WRITER = Principal(org_id="acme", agent_id="acme/bot", role=Role.WRITER)
OTHER = Principal(org_id="globex", agent_id="globex/boss", role=Role.ADMIN)


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[Spark]:
    settings = Settings.load(environ={"SPARK_EMBEDDER": "hash"}, home=tmp_path)
    with Spark.open(settings) as opened:
        for p in (ADMIN, WRITER, OTHER):
            org, agent = p.agent_id.split("/")
            opened.create_key(org, agent, p.role, principal=LOCAL_PRINCIPAL)
        yield opened


def lesson(spark: Spark, principal: Principal, title: str, scope: Scope = Scope.ORG) -> str:
    content = f"{title}: prefer numpy.unique(a, return_counts=True) over a loop."
    return spark.create_memory(title, content, scope=scope, principal=principal).id


def test_an_admin_quarantines_and_approves_with_the_reason_audited(spark: Spark) -> None:
    target = lesson(spark, WRITER, "Count values")
    governance.set_status(spark, target, "quarantine", reason="check it", principal=ADMIN)
    assert spark.store.unscoped_insights([target])[target].status is InsightStatus.QUARANTINED
    # the agent API no longer shows it to others; the admin's review still does
    with pytest.raises(NotFound):
        spark.get_memory(target, principal=Principal(org_id="acme", agent_id="acme/x"))
    queue = console_reads.review_queue(spark, principal=ADMIN)
    assert [i.id for i in queue.held] == [target]
    assert not queue.more
    governance.set_status(spark, target, "approve", reason="fine", principal=ADMIN)
    assert spark.get_memory(target, principal=ADMIN).status is InsightStatus.ACTIVE
    actions = [(e.action, e.agent_id) for e in spark.audit_log(principal=ADMIN)]
    assert ("insight.quarantine", "acme/lead") in actions
    assert ("insight.approve", "acme/lead") in actions
    approve = next(e for e in spark.audit_log(principal=ADMIN) if e.action == "insight.approve")
    assert '"reason": "fine"' in approve.detail
    assert '"before": "quarantined"' in approve.detail


def test_only_the_owning_orgs_admin_governs(spark: Spark) -> None:
    target = lesson(spark, WRITER, "Group sums")
    with pytest.raises(Forbidden):
        governance.set_status(spark, target, "quarantine", principal=WRITER)
    with pytest.raises(NotFound):
        governance.set_status(spark, target, "quarantine", principal=OTHER)
    with pytest.raises(NotFound):
        governance.erase_insight(spark, target, principal=OTHER)
    assert spark.get_memory(target, principal=ADMIN).status is InsightStatus.ACTIVE


def test_public_lessons_change_only_through_curation(spark: Spark) -> None:
    public = lesson(spark, ADMIN, "Shared lesson")
    stored = spark.store.unscoped_insights([public])[public]
    spark.store.put_insight(stored.model_copy(update={"scope": Scope.PUBLIC}), None, None)
    with pytest.raises(Forbidden):
        governance.set_status(spark, public, "reject", principal=ADMIN)


def test_a_move_that_does_not_apply_is_refused(spark: Spark) -> None:
    target = lesson(spark, WRITER, "Sort indices")
    with pytest.raises(InvalidInput):
        governance.set_status(spark, target, "approve", principal=ADMIN)  # already active
    with pytest.raises(InvalidInput):
        governance.set_status(spark, target, "delete", principal=ADMIN)


def test_erase_deletes_the_lesson_and_audits_it(spark: Spark) -> None:
    target = lesson(spark, WRITER, "Merge keys")
    governance.erase_insight(spark, target, reason="wrong", principal=ADMIN)
    with pytest.raises(NotFound):
        spark.get_memory(target, principal=ADMIN)
    assert any(e.action == "insight.erase" for e in spark.audit_log(principal=ADMIN))


def test_another_agents_private_lesson_stays_hidden_from_the_admin(spark: Spark) -> None:
    private = lesson(spark, WRITER, "My own note", scope=Scope.PRIVATE)
    assert private not in [
        i.id for i in console_reads.memories(spark, MemoryFilter(), principal=ADMIN)
    ]
    with pytest.raises(NotFound):
        console_reads.insight_story(spark, private, principal=ADMIN)
    with pytest.raises(NotFound):
        governance.set_status(spark, private, "quarantine", principal=ADMIN)


def test_org_members_list_keys_without_their_hashes(spark: Spark) -> None:
    members = console_reads.org_members(spark, principal=ADMIN)
    assert sorted(m.agent.id for m in members) == ["acme/bot", "acme/lead"]
    assert all(k.key_hash == "" for m in members for k in m.keys)
    assert all(k.org_id == "acme" for m in members for k in m.keys)


def _stored(n: int, status: InsightStatus, trust: Trust, hours_ago: int) -> Insight:
    when = utcnow() - timedelta(hours=hours_ago)
    return Insight(
        id=f"ins_many{n:05d}",
        org_id="acme",
        agent_id="acme/bot",
        scope=Scope.ORG,
        status=status,
        title=f"lesson {n}",
        content=f"content of lesson {n}",
        trust=trust,
        created=when,
        updated=when,
    )


def test_the_review_queue_pages_through_the_quarantine(spark: Spark) -> None:
    count = console_reads.QUEUE_PAGE + 3
    for n in range(count):
        spark.store.put_insight(_stored(n, InsightStatus.QUARANTINED, Trust(), n), None, None)
    first = console_reads.review_queue(spark, principal=ADMIN)
    assert len(first.held) == console_reads.QUEUE_PAGE
    assert first.more
    assert first.held[0].id == "ins_many00000"  # newest first
    second = console_reads.review_queue(spark, principal=ADMIN, page=2)
    assert [i.id for i in second.held] == [f"ins_many{n:05d}" for n in range(count - 3, count)]
    assert not second.more


def test_a_trust_filter_reads_past_the_newest_insights(spark: Spark) -> None:
    # 400 new lessons of low trust, then 60 older trusted ones: the filter must reach them.
    for n in range(400):
        low = _stored(n, InsightStatus.ACTIVE, Trust(alpha=1, beta=9), n)
        spark.store.put_insight(low, None, None)
    for n in range(400, 460):
        high = _stored(n, InsightStatus.ACTIVE, Trust(alpha=40, beta=1), n)
        spark.store.put_insight(high, None, None)
    found = console_reads.memories(spark, MemoryFilter(min_trust=0.5), principal=ADMIN)
    assert len(found) == MemoryFilter().limit
    assert all(i.trust.lower_bound() >= 0.5 for i in found)
    assert found[0].id == "ins_many00400"
