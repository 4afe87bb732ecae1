"""The store contract, learning-loop section: every backend passes these, unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spark_memory.errors import NotFound
from spark_memory.models import (
    DocType,
    Feedback,
    Insight,
    InsightStatus,
    Principal,
    Scope,
    SearchFilters,
    Trace,
)
from spark_memory.store.protocol import (
    AuditEntry,
    EpochEvent,
    EpochRecord,
    IdempotentWrite,
    InsightLink,
    LinkKind,
    Store,
    TraceState,
)
from tests.conftest import SPACE, unit_vectors


@pytest.fixture(autouse=True)
def _learning_section(store: Store) -> None:
    # The PostgreSQL backend gains this section after SQLite; until then its runs skip
    # (by name, so the skip disappears the moment the backend implements it).
    if not hasattr(store, "pending_traces"):
        pytest.skip(f"{type(store).__name__} does not implement the learning-loop section yet")


ALICE = Principal(org_id="org-a", agent_id="alice")
BOB = Principal(org_id="org-b", agent_id="bob")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def trace(ident: str, who: Principal, minutes: int = 0) -> Trace:
    return Trace(
        id=ident,
        org_id=who.org_id,
        agent_id=who.agent_id,
        task=f"task {ident}",
        created=T0 + timedelta(minutes=minutes),
    )


def insight(ident: str, who: Principal, scope: Scope = Scope.ORG, **extra: object) -> Insight:
    return Insight(
        id=ident,
        org_id=who.org_id,
        agent_id=who.agent_id,
        scope=scope,
        title=f"lesson {ident}",
        content="use transform",
        **extra,  # type: ignore[arg-type]
    )


def link(ident: str, source: str, target: str, org: str, active: bool = True) -> InsightLink:
    return InsightLink(
        id=ident,
        kind=LinkKind.MERGED,
        source_id=source,
        target_id=target,
        org_id=org,
        epoch_id="epc_1",
        created=T0,
        active=active,
        snapshot='{"id": "x"}',
    )


def test_the_trace_queue_spans_orgs_and_honours_states(store: Store) -> None:
    for n, (ident, who) in enumerate([("trc_1", ALICE), ("trc_2", BOB), ("trc_3", ALICE)]):
        store.add_trace(trace(ident, who, minutes=n))
    assert [t.id for t in store.pending_traces()] == ["trc_1", "trc_2", "trc_3"]
    assert [t.id for t in store.pending_traces(limit=2)] == ["trc_1", "trc_2"]
    store.mark_traces(["trc_1"], "epc_1", TraceState.USED)
    store.mark_traces(["trc_2"], "epc_1", TraceState.DEFERRED)
    assert [t.id for t in store.pending_traces()] == ["trc_2", "trc_3"]
    store.mark_traces(["trc_2", "trc_3"], "epc_2", TraceState.EXPIRED)
    assert store.pending_traces() == []


def test_deleting_a_trace_needs_its_org(store: Store) -> None:
    store.add_trace(trace("trc_1", ALICE))
    assert store.delete_trace("trc_1", BOB.org_id).deleted == 0
    assert store.delete_trace("trc_1", ALICE.org_id).deleted == 1
    assert store.delete_trace("trc_1", ALICE.org_id).deleted == 0
    with pytest.raises(NotFound):
        store.get_trace("trc_1", ALICE)


def test_deleting_feedback_needs_its_org(store: Store) -> None:
    store.add_feedback(Feedback(id="fb_1", target_id="ins_1", org_id="org-a", agent_id="alice"))
    store.add_feedback(Feedback(id="fb_2", target_id="snp_1", org_id="org-b", agent_id="bob"))
    assert store.feedback_targets() == ["ins_1", "snp_1"]
    assert store.delete_feedback("fb_1", "org-b").deleted == 0
    assert store.delete_feedback("fb_1", "org-a").deleted == 1
    assert store.list_feedback("ins_1") == []
    assert store.feedback_targets() == ["snp_1"]


def test_deleting_an_insight_removes_it_from_every_channel(store: Store) -> None:
    vectors = unit_vectors(2)
    store.put_insight(insight("ins_1", ALICE), vectors[0], SPACE)
    store.put_insight(insight("ins_2", ALICE), vectors[1], SPACE)
    store.put_link(link("lnk_1", "ins_2", "ins_1", "org-a"))
    assert store.delete_insight("ins_1").deleted == 1
    assert store.delete_insight("ins_1").deleted == 0
    with pytest.raises(NotFound):
        store.get_insight("ins_1", ALICE)
    lex = store.lexical_search("transform", DocType.INSIGHT, SearchFilters(), ALICE, 10)
    vec = store.vector_search(vectors[0], DocType.INSIGHT, SearchFilters(), ALICE, 10)
    assert {h.id for h in lex} == {h.id for h in vec} == {"ins_2"}
    assert store.links_of(["ins_1", "ins_2"]) == []


def test_unscoped_reads_see_every_org_and_filter_status(store: Store) -> None:
    vectors = unit_vectors(3)
    store.put_insight(insight("ins_a", ALICE, Scope.PRIVATE), vectors[0], SPACE)
    store.put_insight(insight("ins_b", BOB), vectors[1], SPACE)
    retired = insight("ins_r", BOB, status=InsightStatus.RETIRED)
    store.put_insight(retired, vectors[2], SPACE)
    assert set(store.unscoped_insights(["ins_a", "ins_b", "nope"])) == {"ins_a", "ins_b"}
    assert [i.id for i in store.unscoped_insights_of("org-b")] == ["ins_b", "ins_r"]
    hits = store.unscoped_vector_search(vectors[0], 5, [InsightStatus.ACTIVE])
    assert hits[0].id == "ins_a"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert {h.id for h in hits} == {"ins_a", "ins_b"}
    assert store.unscoped_vector_search(vectors[2], 5, [InsightStatus.RETIRED])[0].id == "ins_r"
    assert store.unscoped_vector_search(vectors[0], 5, []) == []


def test_links_are_replaced_by_id_and_found_from_both_ends(store: Store) -> None:
    first = link("lnk_1", "ins_1", "ins_2", "org-a")
    assert store.put_link(first).inserted == 1
    assert store.put_link(first).unchanged == 1
    store.put_link(link("lnk_2", "ins_3", "ins_2", "org-b"))
    assert [x.id for x in store.links_of(["ins_2"])] == ["lnk_1", "lnk_2"]
    assert store.links_of(["ins_1"]) == [first]
    off = link("lnk_1", "ins_1", "ins_2", "org-a", active=False)
    assert store.put_link(off).updated == 1
    assert not store.links_of(["ins_1"])[0].active


def test_epochs_round_trip_most_recent_first(store: Store) -> None:
    events = (EpochEvent("created", "ins_1", "org-a"), EpochEvent("rejected", "trc_1", "", "why"))
    old = EpochRecord("epc_1", T0, T0 + timedelta(seconds=3), {"created": 1}, events)
    new = EpochRecord("epc_2", T0 + timedelta(hours=1), T0 + timedelta(hours=1))
    assert store.put_epoch(old).inserted == 1
    assert store.put_epoch(old).unchanged == 1
    store.put_epoch(new)
    assert store.list_epochs() == [new, old]
    assert store.list_epochs(limit=1) == [new]


def test_audit_entries_are_read_within_their_org(store: Store) -> None:
    store.audit(AuditEntry(0, T0, "org-a", "alice", "trace.record", "trc_1", "{}"))
    seq = store.audit_log("org-a")[0].seq
    assert store.audit_entry("org-a", seq).target_id == "trc_1"
    with pytest.raises(NotFound):
        store.audit_entry("org-b", seq)


def test_erasing_an_agent_leaves_its_colleagues(store: Store) -> None:
    albert = Principal(org_id="org-a", agent_id="albert")
    store.add_trace(trace("trc_1", ALICE))
    store.add_trace(trace("trc_2", albert))
    store.add_feedback(Feedback(id="fb_1", target_id="ins_1", org_id="org-a", agent_id="alice"))
    store.audit(AuditEntry(0, T0, "org-a", "alice", "trace.record", "trc_1"))
    store.audit(AuditEntry(0, T0, "org-a", "albert", "trace.record", "trc_2"))
    erased = store.erase_records("org-a", "alice")
    assert (erased.traces, erased.feedback, erased.audit) == (1, 1, 1)
    assert [t.id for t in store.list_traces("org-a")] == ["trc_2"]
    assert [e.agent_id for e in store.audit_log("org-a")] == ["albert"]


def test_erasing_an_org_leaves_other_orgs(store: Store) -> None:
    store.add_trace(trace("trc_1", ALICE))
    store.add_trace(trace("trc_2", BOB))
    store.mark_traces(["trc_1"], "epc_1", TraceState.DEFERRED)
    store.remember_idempotent("org-a", "k", "trc_1")
    store.remember_idempotent("org-b", "k", "trc_2")
    store.put_link(link("lnk_1", "ins_1", "ins_2", "org-a"))
    store.put_link(link("lnk_2", "ins_3", "ins_2", "org-b"))
    erased = store.erase_records("org-a", None)
    assert (erased.traces, erased.idempotency, erased.links) == (1, 1, 1)
    assert store.list_traces("org-a") == []
    assert [t.id for t in store.pending_traces()] == ["trc_2"]
    assert store.recall_idempotent("org-a", "k") is None
    assert store.recall_idempotent("org-b", "k") == IdempotentWrite("trc_2")
    assert [x.id for x in store.links_of(["ins_2"])] == ["lnk_2"]


def test_insights_written_since_a_time_span_orgs(store: Store) -> None:
    old = insight("ins_old", ALICE, updated=T0)
    new = insight("ins_new", BOB, scope=Scope.PRIVATE, updated=T0 + timedelta(hours=2))
    store.put_insight(old, None, None)
    store.put_insight(new, None, None)
    assert [i.id for i in store.unscoped_insights_since(None)] == ["ins_old", "ins_new"]
    since = T0 + timedelta(hours=1)
    assert [i.id for i in store.unscoped_insights_since(since)] == ["ins_new"]
