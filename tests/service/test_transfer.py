"""`spark export` / `spark import` through the service: SQLite to PostgreSQL and back,
one org or everything, vectors copied or re-embedded, damaged files refused."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spark_memory.config import SearchWeights
from spark_memory.errors import EmbeddingMismatch, InvalidInput
from spark_memory.models import (
    Agent,
    ApiKey,
    DocType,
    Feedback,
    Insight,
    InsightKind,
    Org,
    Principal,
    Role,
    Scope,
    SearchFilters,
    Snippet,
    SnippetKind,
    Trace,
)
from spark_memory.providers.hash_embedder import HashEmbedder
from spark_memory.search.hybrid import HybridSearch, SearchRequest
from spark_memory.service.transfer import export_store, import_store
from spark_memory.store.protocol import (
    AuditEntry,
    EmbeddingSpace,
    EpochEvent,
    EpochRecord,
    InsightLink,
    LinkKind,
    Store,
    TraceState,
)
from tests.conftest import PostgresDatabases, open_backend

T0 = datetime(2025, 3, 1, tzinfo=UTC)
ALICE = Principal(org_id="org-a", agent_id="alice")
BOB = Principal(org_id="org-b", agent_id="bob")
EMBEDDER = HashEmbedder(64)
SPACE = EmbeddingSpace(EMBEDDER.model_name, EMBEDDER.dim)
QUERIES = [
    "group a dataframe by a column and sum",
    "count unique values in a series",
    "sort an array and get the indices",
    "merge two dataframes on a key",
    "KeyError when selecting a column",
    "plot a histogram with matplotlib",
]

DOCS = [
    ("pandas", "2.2.0", "pandas.DataFrame.groupby", "Group DataFrame using a mapper or columns."),
    ("pandas", "2.2.0", "pandas.Series.value_counts", "Return counts of unique values."),
    ("pandas", "2.2.0", "pandas.DataFrame.merge", "Merge DataFrame objects database-style."),
    ("pandas", "1.5.3", "pandas.DataFrame.append", "Append rows of other to the end."),
    ("pandas", "1.5.3", "pandas.DataFrame.groupby", "Group DataFrame using a mapper."),
    ("numpy", "1.26.4", "numpy.argsort", "Returns the indices that would sort an array."),
    ("numpy", "1.26.4", "numpy.unique", "Find the unique elements of an array."),
    ("matplotlib", "3.8.0", "matplotlib.pyplot.hist", "Compute and plot a histogram."),
]


def snippets() -> list[Snippet]:
    return [
        Snippet.build(
            library=lib, version=ver, symbol=sym, kind=SnippetKind.API, title=sym, text=text
        )
        for lib, ver, sym, text in DOCS
    ]


def insights() -> list[Insight]:
    rows = [
        ("ins_1", ALICE, Scope.ORG, "Sum by group with transform", "groupby transform sum"),
        ("ins_2", ALICE, Scope.PRIVATE, "Check columns before selecting", "KeyError column"),
        ("ins_3", BOB, Scope.PUBLIC, "Use merge with validate=", "merge two dataframes"),
        ("ins_4", BOB, Scope.ORG, "argsort returns indices", "sort indices numpy"),
    ]
    return [
        Insight(
            id=i, org_id=who.org_id, agent_id=who.agent_id, scope=scope, title=title,
            content=f"{title}. Details for {query}.", query=query, tags=["pandas:2.2.0"],
            kind=InsightKind.PITFALL, created=T0, updated=T0 + timedelta(minutes=n),
        )
        for n, (i, who, scope, title, query) in enumerate(rows)
    ]  # fmt: skip


def fill(store: Store) -> None:
    """A little of every record kind, for two orgs."""
    items = snippets()
    store.upsert_snippets(items, EMBEDDER.embed([s.embed_text for s in items]), SPACE)
    for row in insights():
        store.put_insight(row, EMBEDDER.embed([f"{row.title}\n{row.query}"])[0], SPACE)
    for org, agent in (("org-a", "alice"), ("org-b", "bob")):
        store.put_org(Org(id=org, name=org.upper(), created=T0))
        store.put_agent(Agent(id=agent, org_id=org, name=agent, created=T0))
        store.put_api_key(
            ApiKey(
                id=f"key_{agent}", org_id=org, agent_id=agent, role=Role.WRITER,
                key_hash=f"hash-{agent}", created=T0,
            )
        )  # fmt: skip
        for n in range(3):
            store.add_trace(
                Trace(
                    id=f"trc_{agent}_{n}", org_id=org, agent_id=agent, task=f"task {n}",
                    error="KeyError: 'x'", environment={"pandas": "2.2.0"},
                    created=T0 + timedelta(minutes=n),
                )
            )  # fmt: skip
        store.add_feedback(
            Feedback(
                id=f"fb_{agent}", target_id="ins_1", org_id=org, agent_id=agent,
                relevant=True, created=T0,
            )
        )  # fmt: skip
        store.remember_idempotent(org, f"req-{agent}", f"trc_{agent}_0")
        store.audit(AuditEntry(0, T0, org, agent, "trace.record", f"trc_{agent}_0", "{}"))
        store.audit(AuditEntry(0, T0, org, agent, "feedback.share", f"fb_{agent}"))
    store.mark_traces(["trc_alice_0", "trc_bob_1"], "epc_1", TraceState.USED)
    store.mark_traces(["trc_alice_1"], "epc_1", TraceState.DEFERRED)
    store.put_link(
        InsightLink("lnk_1", LinkKind.ENDORSES, "ins_4", "ins_3", "org-b", "epc_1", T0, True, "{}")
    )
    events = (EpochEvent("created", "ins_1", "org-a", "three traces"),)
    store.put_epoch(EpochRecord("epc_1", T0, T0 + timedelta(seconds=5), {"created": 1}, events))


def export_text(store: Store, org_id: str | None = None, vectors: bool = True) -> str:
    out = io.StringIO()
    export_store(store, out, org_id=org_id, vectors=vectors)
    return out.getvalue()


def opener(text: str) -> Callable[[], Iterator[str]]:
    return lambda: iter(text.splitlines(keepends=True))


def body(text: str) -> list[str]:
    """An export without its header line, which carries the time it was made."""
    return text.splitlines()[1:]


def search(store: Store, query: str, who: Principal) -> list[tuple[str, str]]:
    searcher = HybridSearch(store, EMBEDDER, SearchWeights())
    hits = searcher.search(SearchRequest(query, who, SearchFilters(), k=5))
    return [(h.id, h.doc_type.value) for h in hits]


def vector_channel(store: Store, query: str, who: Principal) -> list[tuple[str, float]]:
    vector = EMBEDDER.embed([query])[0]
    out = []
    for doc_type in DocType:
        hits = store.vector_search(vector, doc_type, SearchFilters(), who, 10)
        out += [(h.id, round(h.score, 5)) for h in hits]
    return out


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = open_backend("sqlite", tmp_path / "source")
    fill(store)
    yield store
    store.close()


def test_sqlite_export_into_postgres_searches_the_same(
    sqlite_store: Store, postgres: PostgresDatabases, tmp_path: Path
) -> None:
    exported = export_text(sqlite_store)
    target = open_backend("postgres", tmp_path / "target")
    try:
        report = import_store(target, opener(exported))
        assert report.counts["snippet"] == len(DOCS)
        assert report.counts["audit"] == 4
        # The import analysed the tables: the lexical ranking reads word frequencies
        # from the planner's statistics, which autovacuum would fill only later.
        from spark_memory.store.postgres import PostgresStore

        assert isinstance(target, PostgresStore)
        analysed = target._db.query(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
        )
        assert {"snippets", "insights"} <= {name for (name,) in analysed}
        # Same records, same vectors, byte for byte: an export of the copy is the export.
        assert body(export_text(target)) == body(exported)
        for who in (ALICE, BOB):
            for query in QUERIES:
                assert vector_channel(target, query, who) == vector_channel(
                    sqlite_store, query, who
                )
                # Lexical scores are the backend's own (FTS5 bm25, ts_rank_cd) and hybrid
                # search now uses them (relevance floors, one list per channel), so the
                # lists may differ below the top; what leads them must not.
                copied, source = search(target, query, who), search(sqlite_store, query, who)
                assert copied[:1] == source[:1], query
    finally:
        target.close()
        postgres.drop(tmp_path / "target")


def test_an_org_export_holds_that_org_only(sqlite_store: Store) -> None:
    exported = export_text(sqlite_store, org_id="org-a")
    assert '"org":"org-a"' in exported.splitlines()[0]
    assert "org-b" not in "\n".join(body(exported))
    kinds = {json.loads(line)["kind"] for line in body(exported)}
    assert "snippet" not in kinds
    assert "epoch" not in kinds
    assert {"org", "agent", "api_key", "insight", "trace", "feedback", "audit"} <= kinds


def test_importing_twice_changes_nothing(sqlite_store: Store, tmp_path: Path) -> None:
    exported = export_text(sqlite_store)
    target = open_backend("sqlite", tmp_path / "copy")
    try:
        import_store(target, opener(exported))
        again = import_store(target, opener(exported))
        assert again.skipped == {"audit": 4}  # already there; appending would duplicate
        assert body(export_text(target)) == body(exported)
        assert [t.id for t in target.pending_traces()] == [
            "trc_bob_0",
            "trc_alice_1",
            "trc_alice_2",
            "trc_bob_2",
        ]
    finally:
        target.close()


def test_a_cut_short_export_is_refused_and_writes_nothing(
    sqlite_store: Store, tmp_path: Path
) -> None:
    lines = export_text(sqlite_store).splitlines(keepends=True)
    target = open_backend("sqlite", tmp_path / "copy")
    try:
        with pytest.raises(InvalidInput, match="cut short"):
            import_store(target, opener("".join(lines[:-3])))
        with pytest.raises(InvalidInput, match="line 3 is not JSON"):
            import_store(target, opener("".join([*lines[:2], "{oops\n", *lines[2:]])))
        assert target.library_stats() == []
        assert target.list_traces("org-a") == []
    finally:
        target.close()


def test_reembedding_on_import_adopts_the_configured_model(
    sqlite_store: Store, tmp_path: Path
) -> None:
    exported = export_text(sqlite_store, vectors=False)
    assert '"vector":null' in exported
    other = HashEmbedder(32)
    target = open_backend("sqlite", tmp_path / "copy")
    try:

        def insight_text(i: Insight) -> str:
            return f"{i.title}\n{i.query}"

        report = import_store(target, opener(exported), embedder=other, insight_text=insight_text)
        assert report.embedded == len(DOCS) + 4
        space = target.embedding_space()
        assert space is not None
        assert (space.model, space.dim) == (other.model_name, 32)
        query = other.embed(["count unique values"])[0]
        hits = target.vector_search(query, DocType.SNIPPET, SearchFilters(), ALICE, 1)
        assert hits[0].id == snippets()[1].id
    finally:
        target.close()


def test_vectors_of_another_model_are_refused_before_writing(
    sqlite_store: Store, tmp_path: Path
) -> None:
    exported = export_text(sqlite_store)
    target = open_backend("sqlite", tmp_path / "copy")
    try:
        other = HashEmbedder(32)
        target.upsert_snippets(
            snippets()[:1], other.embed(["x"]), EmbeddingSpace(other.model_name, other.dim)
        )
        with pytest.raises(EmbeddingMismatch, match="--reembed"):
            import_store(target, opener(exported))
        assert target.list_traces("org-a") == []
    finally:
        target.close()
