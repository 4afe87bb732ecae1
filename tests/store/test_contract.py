"""The store contract: every backend passes these, unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spark_memory.errors import EmbeddingMismatch, InvalidInput, NotFound
from spark_memory.models import (
    Agent,
    ApiKey,
    DocType,
    Feedback,
    Insight,
    InsightStatus,
    Org,
    Principal,
    Role,
    Scope,
    SearchFilters,
    Snippet,
    SnippetKind,
    Trace,
)
from spark_memory.store.protocol import EmbeddingSpace, IdempotentWrite, Store
from tests.conftest import SPACE, unit_vectors

ALICE = Principal(org_id="org-a", agent_id="alice")
ALBERT = Principal(org_id="org-a", agent_id="albert")
BOB = Principal(org_id="org-b", agent_id="bob")


def snippet(symbol: str, text: str, library: str = "pandas", version: str = "1.5.3") -> Snippet:
    return Snippet.build(
        library=library,
        version=version,
        symbol=symbol,
        kind=SnippetKind.API,
        title=symbol.split(".")[-1],
        text=text,
    )


def corpus() -> list[Snippet]:
    return [
        snippet(
            "pandas.DataFrame.groupby", "Group DataFrame using a mapper or by a Series of columns."
        ),
        snippet(
            "pandas.Series.value_counts", "Return a Series containing counts of unique values."
        ),
        snippet(
            "pandas.DataFrame.merge",
            "Merge DataFrame or named Series objects with a database-style join.",
        ),
        snippet(
            "numpy.argsort", "Returns the indices that would sort an array.", "numpy", "1.26.4"
        ),
        snippet("numpy.unique", "Find the unique elements of an array.", "numpy", "1.26.4"),
    ]


def test_upsert_is_idempotent_and_detects_changes(store: Store) -> None:
    items = corpus()
    vectors = unit_vectors(len(items))
    assert store.upsert_snippets(items, vectors, SPACE).inserted == 5
    assert store.upsert_snippets(items, vectors, SPACE).unchanged == 5
    changed = snippet(
        "numpy.unique", "Find the sorted unique elements of an array.", "numpy", "1.26.4"
    )
    assert changed.id == items[4].id
    result = store.upsert_snippets([changed], vectors[4:5], SPACE)
    assert result.updated == 1
    assert store.get_snippet(changed.id).text.startswith("Find the sorted")
    assert sum(s.snippets for s in store.library_stats()) == 5


def test_hashes_cover_every_row_of_one_version_blank_without_vector(store: Store) -> None:
    items = corpus()
    store.upsert_snippets(items[:2], unit_vectors(2), SPACE)
    store.upsert_snippets(items[2:3], None, None)
    hashes = store.snippet_hashes("pandas", "1.5.3")
    # a row without a vector is listed (so ingest can delete it) with "" (so it is re-embedded)
    assert hashes == {
        items[0].id: items[0].content_hash,
        items[1].id: items[1].content_hash,
        items[2].id: "",
    }
    assert store.snippet_hashes("pandas", "9.9") == {}


def test_delete_by_version_and_by_ids(store: Store) -> None:
    items = corpus()
    store.upsert_snippets(items, unit_vectors(5), SPACE)
    assert store.delete_snippets("pandas", "1.5.3", ids=[items[0].id]).deleted == 1
    assert store.delete_snippets("numpy").deleted == 2
    remaining = {s.library: s.snippets for s in store.library_stats()}
    assert remaining == {"pandas": 2}
    with pytest.raises(NotFound):
        store.get_snippet(items[0].id)
    hits = store.vector_search(unit_vectors(5)[3], DocType.SNIPPET, SearchFilters(), ALICE, 10)
    assert items[3].id not in {h.id for h in hits}


def test_lexical_search_ranks_and_filters(store: Store) -> None:
    items = corpus()
    store.upsert_snippets(items, unit_vectors(5), SPACE)
    hits = store.lexical_search("count unique values", DocType.SNIPPET, SearchFilters(), ALICE, 10)
    assert hits[0].id == items[1].id
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    only_numpy = SearchFilters(libraries=["numpy"])
    hits = store.lexical_search("unique values", DocType.SNIPPET, only_numpy, ALICE, 10)
    assert {h.id for h in hits} == {items[4].id}
    assert store.lexical_search("the of and", DocType.SNIPPET, SearchFilters(), ALICE, 10) == []


def test_lexical_search_finds_split_identifiers(store: Store) -> None:
    items = corpus()
    store.upsert_snippets(items, unit_vectors(5), SPACE)
    hits = store.lexical_search(
        "df.groupby value_counts", DocType.SNIPPET, SearchFilters(), ALICE, 10
    )
    assert {items[0].id, items[1].id} <= {h.id for h in hits[:2]}


def test_vector_search_exact_neighbour_first(store: Store) -> None:
    items = corpus()
    vectors = unit_vectors(5)
    store.upsert_snippets(items, vectors, SPACE)
    for i, item in enumerate(items):
        hits = store.vector_search(vectors[i], DocType.SNIPPET, SearchFilters(), ALICE, 3)
        assert hits[0].id == item.id
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    numpy_only = SearchFilters(libraries=["numpy"])
    hits = store.vector_search(vectors[0], DocType.SNIPPET, numpy_only, ALICE, 10)
    assert {h.id for h in hits} == {items[3].id, items[4].id}


def test_vector_search_over_the_ann_threshold_keeps_recall(store: Store) -> None:
    n = 600  # the test backends switch to HNSW above 64 vectors
    items = [snippet(f"pandas.f{i}", f"function number {i}") for i in range(n)]
    vectors = unit_vectors(n, seed=3)
    store.upsert_snippets(items, vectors, SPACE)
    found = 0
    for i in range(0, n, 20):
        hits = store.vector_search(vectors[i], DocType.SNIPPET, SearchFilters(), ALICE, 10)
        found += hits[0].id == items[i].id
    # HNSW is approximate: a rare miss is allowed, a broken index finds almost nothing.
    assert found >= 0.9 * (n // 20)


def test_version_preference_serves_one_version(store: Store) -> None:
    old = snippet("pandas.DataFrame.append", "Append rows of other.", version="1.5.3")
    new = snippet("pandas.DataFrame.append", "Removed; use concat.", version="2.2.0")
    store.upsert_snippets([old, new], unit_vectors(2), SPACE)
    query = "append rows"
    wants_old = SearchFilters(versions={"pandas": "1.5.3"})
    ids = [h.id for h in store.lexical_search(query, DocType.SNIPPET, wants_old, ALICE, 10)]
    assert ids == [old.id]
    close_to_new = SearchFilters(versions={"pandas": "2.3.1"})
    ids = [h.id for h in store.lexical_search(query, DocType.SNIPPET, close_to_new, ALICE, 10)]
    assert ids == [new.id]
    ids = [h.id for h in store.lexical_search(query, DocType.SNIPPET, SearchFilters(), ALICE, 10)]
    assert ids == [new.id]  # no preference: newest


def test_a_filter_gets_k_allowed_rows_however_far_down_they_rank(store: Store) -> None:
    # 450 torch snippets say "tensor" twice and outrank the 30 numpy ones that say it
    # once; filtered to numpy, every numpy match must still come back, best first.
    torch = [
        snippet(f"torch.op{n}", f"Tensor op {n}: tensor tensor.", "torch", "2.1.0")
        for n in range(450)
    ]
    numpy = [
        snippet(f"numpy.fn{n}", f"Function {n} of arrays, also for a tensor.", "numpy", "1.26.4")
        for n in range(30)
    ]
    store.upsert_snippets([*torch, *numpy], unit_vectors(480), SPACE)
    only_numpy = SearchFilters(libraries=("numpy",))
    hits = store.lexical_search("tensor", DocType.SNIPPET, only_numpy, ALICE, 20)
    assert len(hits) == 20
    assert {h.id for h in hits} <= {s.id for s in numpy}
    everything = store.lexical_search("tensor", DocType.SNIPPET, SearchFilters(), ALICE, 20)
    assert {h.id for h in everything} <= {s.id for s in torch}


def test_the_served_version_follows_writes_in_both_channels(store: Store) -> None:
    old = [snippet(f"pandas.f{n}", f"Old frame helper {n}.", version="1.5.3") for n in range(40)]
    new = [snippet(f"pandas.f{n}", f"New frame helper {n}.", version="2.2.0") for n in range(40)]
    vectors = unit_vectors(80)
    store.upsert_snippets([*old, *new], vectors, SPACE)
    probe = vectors[3]  # old[3]'s own vector: only the served version may answer
    first = store.vector_search(probe, DocType.SNIPPET, SearchFilters(), ALICE, 5)
    assert {h.id for h in first} <= {s.id for s in new}
    added = snippet("pandas.g", "Another new helper.", version="2.2.0")
    store.upsert_snippets([added], probe.reshape(1, -1), SPACE)  # same filter, newer store
    assert store.vector_search(probe, DocType.SNIPPET, SearchFilters(), ALICE, 5)[0].id == added.id
    store.delete_snippets(library="pandas", version="2.2.0")
    after = store.vector_search(probe, DocType.SNIPPET, SearchFilters(), ALICE, 5)
    assert after[0].id == old[3].id
    lexical = store.lexical_search("frame helper", DocType.SNIPPET, SearchFilters(), ALICE, 50)
    assert {h.id for h in lexical} == {s.id for s in old}


def test_refuses_vectors_of_another_space(store: Store) -> None:
    items = corpus()
    store.upsert_snippets(items[:1], unit_vectors(1), SPACE)
    other = EmbeddingSpace("other-model", SPACE.dim)
    with pytest.raises(EmbeddingMismatch):
        store.upsert_snippets(items[1:2], unit_vectors(1), other)
    wrong_dim = EmbeddingSpace(SPACE.model, 8)
    with pytest.raises(EmbeddingMismatch):
        store.upsert_snippets(items[1:2], unit_vectors(1, dim=8), wrong_dim)
    with pytest.raises(InvalidInput):
        store.upsert_snippets(items[1:3], unit_vectors(1), SPACE)
    assert sum(s.snippets for s in store.library_stats()) == 1
    assert store.embedding_space() == SPACE


def test_reset_embedding_space_drops_vectors(store: Store) -> None:
    items = corpus()
    store.upsert_snippets(items, unit_vectors(5), SPACE)
    new_space = EmbeddingSpace("new-model", 8)
    store.reset_embedding_space(new_space)
    assert store.embedding_space() == new_space
    assert (
        store.vector_search(unit_vectors(1, 8)[0], DocType.SNIPPET, SearchFilters(), ALICE, 5) == []
    )
    store.set_vectors(DocType.SNIPPET, [s.id for s in items], unit_vectors(5, 8), new_space)
    assert (
        len(store.vector_search(unit_vectors(1, 8)[0], DocType.SNIPPET, SearchFilters(), ALICE, 5))
        == 5
    )
    assert sum(len(batch) for batch in store.iter_snippets(batch=2)) == 5


def insight(
    ident: str, owner: Principal, scope: Scope, status: InsightStatus = InsightStatus.ACTIVE
) -> Insight:
    return Insight(
        id=ident,
        org_id=owner.org_id,
        agent_id=owner.agent_id,
        scope=scope,
        status=status,
        title=f"Lesson {ident} about groupby",
        content="Use transform to broadcast group sums.",
        query="groupby transform broadcast",
        tags=["pandas:1.5.3"],
    )


def _visible(store: Store, who: Principal) -> set[str]:
    lex = store.lexical_search("groupby", DocType.INSIGHT, SearchFilters(), who, 50)
    vec = store.vector_search(unit_vectors(1)[0], DocType.INSIGHT, SearchFilters(), who, 50)
    listed = store.list_insights(who, SearchFilters())
    ids = {h.id for h in lex} | {h.id for h in vec} | {i.id for i in listed}
    return ids


def test_scopes_are_enforced_in_every_read(store: Store) -> None:
    rows = [
        insight("ins_private", ALICE, Scope.PRIVATE),
        insight("ins_org", ALICE, Scope.ORG),
        insight("ins_public", BOB, Scope.PUBLIC),
        insight("ins_quarantined", ALICE, Scope.ORG, InsightStatus.QUARANTINED),
        insight("ins_bob_org", BOB, Scope.ORG),
    ]
    for i, row in enumerate(rows):
        store.put_insight(row, unit_vectors(5)[i], SPACE)
    assert _visible(store, ALICE) == {"ins_private", "ins_org", "ins_public", "ins_quarantined"}
    assert _visible(store, ALBERT) == {"ins_org", "ins_public"}
    assert _visible(store, BOB) == {"ins_public", "ins_bob_org"}
    with pytest.raises(NotFound):
        store.get_insight("ins_org", BOB)
    with pytest.raises(NotFound):
        store.get_insight("ins_quarantined", ALBERT)
    assert store.get_insight("ins_private", ALICE).title.startswith("Lesson")
    assert set(store.get_insights(["ins_private", "ins_public"], BOB)) == {"ins_public"}


def test_insight_update_keeps_vector_and_search_text(store: Store) -> None:
    row = insight("ins_1", ALICE, Scope.ORG)
    store.put_insight(row, unit_vectors(1)[0], SPACE)
    assert store.put_insight(row, None, None).unchanged == 1
    promoted = row.model_copy(update={"scope": Scope.PUBLIC, "content": "Use transform('sum')."})
    assert store.put_insight(promoted, None, None).updated == 1
    assert store.get_insight("ins_1", BOB).content == "Use transform('sum')."
    hits = store.vector_search(unit_vectors(1)[0], DocType.INSIGHT, SearchFilters(), BOB, 5)
    assert [h.id for h in hits] == ["ins_1"]


def test_traces_never_leave_their_org(store: Store) -> None:
    trace = Trace(id="trc_1", org_id="org-a", agent_id="alice", task="sum by group")
    assert store.add_trace(trace).inserted == 1
    assert store.add_trace(trace).unchanged == 1
    assert store.get_trace("trc_1", ALBERT).task == "sum by group"
    with pytest.raises(NotFound):
        store.get_trace("trc_1", BOB)
    assert [t.id for t in store.list_traces("org-a")] == ["trc_1"]
    assert store.list_traces("org-b") == []


def test_feedback_tenancy_idempotency_and_audit(store: Store) -> None:
    fb = Feedback(id="fb_1", target_id="ins_1", org_id="org-a", agent_id="alice", relevant=True)
    store.add_feedback(fb)
    store.add_feedback(fb)
    assert [f.id for f in store.list_feedback("ins_1")] == ["fb_1"]

    store.put_org(Org(id="org-a", name="A"))
    store.put_agent(Agent(id="alice", org_id="org-a", name="alice"))
    assert store.get_agent("alice").org_id == "org-a"
    key = ApiKey(id="key_1", org_id="org-a", agent_id="alice", role=Role.WRITER, key_hash="h1")
    store.put_api_key(key)
    found = store.find_api_key("h1")
    assert found is not None
    assert not found.revoked
    store.revoke_api_key("key_1")
    found = store.find_api_key("h1")
    assert found is not None
    assert found.revoked
    assert store.find_api_key("nope") is None

    assert store.recall_idempotent("org-a", "k1") is None
    store.remember_idempotent("org-a", "k1", "ins_9")
    store.remember_idempotent("org-a", "k1", "ins_other")
    assert store.recall_idempotent("org-a", "k1") == IdempotentWrite("ins_9")
    assert store.recall_idempotent("org-b", "k1") is None
    store.remember_idempotent("org-a", "k2", "trc_1", "body-hash")
    assert store.recall_idempotent("org-a", "k2") == IdempotentWrite("trc_1", "body-hash")


def test_a_second_handle_sees_acknowledged_writes(
    store: Store, backend: str, tmp_path: Path
) -> None:
    from tests.conftest import open_backend

    items = corpus()
    vectors = unit_vectors(5)
    store.upsert_snippets(items[:2], vectors[:2], SPACE)
    other = open_backend(backend, tmp_path)
    try:
        assert len(other.vector_search(vectors[0], DocType.SNIPPET, SearchFilters(), ALICE, 5)) == 2
        store.upsert_snippets(items[2:], vectors[2:], SPACE)
        hits = other.vector_search(vectors[4], DocType.SNIPPET, SearchFilters(), ALICE, 5)
        assert hits[0].id == items[4].id
        store.delete_snippets("numpy")
        hits = other.vector_search(vectors[4], DocType.SNIPPET, SearchFilters(), ALICE, 5)
        assert items[4].id not in {h.id for h in hits}
    finally:
        other.close()


def test_integrity_check_is_clean(store: Store) -> None:
    store.upsert_snippets(corpus(), unit_vectors(5), SPACE)
    assert store.check_integrity() == []
    assert np.isfinite(unit_vectors(1)).all()
