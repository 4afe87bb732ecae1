"""What only the PostgreSQL backend has: migrations shared by replicas, the pgvector
columns and their HNSW index, filtered ANN, concurrent writers, error translation."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from spark_memory.errors import InvalidInput, StoreError
from spark_memory.models import LOCAL_PRINCIPAL, DocType, SearchFilters, Snippet, SnippetKind, Trace
from spark_memory.store.protocol import EmbeddingSpace
from tests.conftest import SPACE, PostgresDatabases, unit_vectors

if TYPE_CHECKING:
    from spark_memory.store.postgres import PostgresStore

# The `postgres` fixture skips these without pgserver, or fails them when CI=true.
pytestmark = pytest.mark.usefixtures("postgres")


def open_pg(url: str, ann_threshold: int = 64) -> PostgresStore:
    from spark_memory.store.postgres import PostgresStore

    return PostgresStore(url, ann_threshold=ann_threshold)


def migrations() -> list[int]:
    from spark_memory.store.postgres.migrate import available

    return [m.version for m in available()]


@pytest.fixture
def url(postgres: PostgresDatabases, tmp_path: Path) -> Iterator[str]:
    yield postgres.url(tmp_path)
    postgres.drop(tmp_path)


@pytest.fixture
def pg(url: str) -> Iterator[PostgresStore]:
    store = open_pg(url)
    yield store
    store.close()


def sql(url: str, query: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query)
        return cur.fetchall() if cur.description else []


def snippets(n: int, library: str = "lib") -> list[Snippet]:
    return [
        Snippet.build(
            library=library,
            version="1",
            symbol=f"{library}.f{i}",
            kind=SnippetKind.API,
            title=f"f{i}",
            text=f"function {i}",
        )
        for i in range(n)
    ]


def test_migrations_are_recorded_once_even_with_racing_replicas(
    postgres: PostgresDatabases,
) -> None:
    url = postgres.empty_url()
    stores: list[PostgresStore] = []
    lock = threading.Lock()

    def open_one() -> None:
        store = open_pg(url)
        with lock:
            stores.append(store)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stores) == 4
    applied = [m.version for s in stores for m in s.applied_migrations]
    assert applied == migrations()  # exactly one replica applied them
    for store in stores:
        store.close()
    versions = [v for (v,) in sql(url, "SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == migrations()
    reopened = open_pg(url)
    assert reopened.applied_migrations == []
    reopened.close()


def test_the_first_vector_fixes_the_dimension_and_enough_build_hnsw(url: str) -> None:
    column = (
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = 'snippets'::regclass AND attname = 'embedding'"
    )
    index = "SELECT indexdef FROM pg_indexes WHERE indexname = 'snippets_embedding'"
    pg = open_pg(url, ann_threshold=5)
    try:
        assert sql(url, column) == [("vector",)]
        pg.upsert_snippets(snippets(3), unit_vectors(3), SPACE)
        assert sql(url, column) == [("vector(16)",)]
        assert sql(url, index) == []  # below the threshold an exact scan is the better plan
        pg.upsert_snippets(snippets(6), unit_vectors(6), SPACE)
        assert "hnsw (embedding vector_ip_ops)" in str(sql(url, index)[0][0])
        pg.reset_embedding_space(EmbeddingSpace("wide", 32))
        assert sql(url, column) == [("vector(32)",)]
        assert sql(url, index) == []
        assert sql(url, "SELECT count(*) FROM snippets WHERE embedding IS NOT NULL") == [(0,)]
        assert pg.check_integrity() == []
    finally:
        pg.close()


def test_unfiltered_search_walks_the_hnsw_index(pg: PostgresStore, url: str) -> None:
    n = 3_000
    pg.upsert_snippets(snippets(n), unit_vectors(n, seed=5), SPACE)
    sql(url, "ANALYZE snippets")
    q = "[" + ",".join(str(x) for x in unit_vectors(1, seed=9)[0]) + "]"
    plan = sql(url, f"EXPLAIN SELECT id FROM snippets ORDER BY embedding <#> '{q}' LIMIT 10")
    assert "snippets_embedding" in " ".join(str(r[0]) for r in plan)


def test_a_selective_filter_still_gets_k_exact_neighbours(pg: PostgresStore) -> None:
    # HNSW filters after walking the graph; with 10 matching rows in 2,010 the walk
    # finds few of them, so the store must fall back to an exact scan.
    common, rare = snippets(2_000, "common"), snippets(10, "rare")
    vectors = unit_vectors(2_010, seed=11)
    pg.upsert_snippets(common + rare, vectors, SPACE)
    query = unit_vectors(1, seed=12)[0]
    only_rare = SearchFilters(libraries=["rare"])
    hits = pg.vector_search(query, DocType.SNIPPET, only_rare, LOCAL_PRINCIPAL, 5)
    exact = np.argsort(-(vectors[2_000:] @ query))[:5]
    assert [h.id for h in hits] == [rare[i].id for i in exact]


def test_concurrent_writers_of_the_same_rows_agree(url: str) -> None:
    items = snippets(300)
    vectors = unit_vectors(300, seed=4)
    errors: list[BaseException] = []

    def ingest() -> None:
        store = open_pg(url)
        try:
            for start in range(0, 300, 50):
                store.upsert_snippets(items[start : start + 50], vectors[start : start + 50], SPACE)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=ingest) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = open_pg(url)
    try:
        assert [(s.library, s.snippets) for s in store.library_stats()] == [("lib", 300)]
        assert store.check_integrity() == []
    finally:
        store.close()


def test_counts_follow_moves_and_deletes(pg: PostgresStore, url: str) -> None:
    items = snippets(4)
    pg.upsert_snippets(items, unit_vectors(4), SPACE)
    moved = items[0].model_copy(update={"kind": SnippetKind.GUIDE, "content_hash": "new"})
    pg.upsert_snippets([moved], None, None)
    stats = pg.library_stats()
    assert [(s.library, s.by_kind) for s in stats] == [("lib", {"api": 3, "guide": 1})]
    pg.delete_snippets("lib", ids=[items[1].id])
    assert pg.library_stats()[0].snippets == 3
    sql(url, "UPDATE snippet_counts SET n = n + 5 WHERE kind = 'api'")
    assert pg.check_integrity() == [
        "snippet_counts says 7 api snippets of lib 1, the table holds 2"
    ]


def test_text_postgres_cannot_hold_is_refused_untouched(pg: PostgresStore) -> None:
    trace = Trace(id="trc_nul", org_id="org-a", agent_id="alice", task="a\x00b")
    with pytest.raises(InvalidInput, match="NUL"):
        pg.add_trace(trace)
    assert pg.list_traces("org-a") == []


def test_an_unreachable_server_is_a_clear_store_error() -> None:
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:1/spark") as caught:
        open_pg("postgresql://spark:s3cret@127.0.0.1:1/spark")
    assert "s3cret" not in str(caught.value)


def test_a_database_without_pgvector_rights_says_so(postgres: PostgresDatabases) -> None:
    url = postgres.empty_url()
    role = f"plain_{uuid.uuid4().hex[:8]}"
    sql(url, f"CREATE ROLE {role} LOGIN")
    plain = url.replace("postgres@", f"{role}@")
    with pytest.raises(StoreError, match="refused"):
        open_pg(plain)


def test_a_database_owner_migrates_once_pgvector_is_installed(
    postgres: PostgresDatabases,
) -> None:
    # The production set-up: an administrator creates the role, the database and the
    # extension once; Spark's own role, owner but not superuser, does the rest.
    role = f"owner_{uuid.uuid4().hex[:8]}"
    admin = postgres.cluster.url()
    sql(admin, f"CREATE ROLE {role} LOGIN")
    sql(admin, f"CREATE DATABASE {role} OWNER {role}")
    sql(postgres.cluster.url(role), "CREATE EXTENSION vector")
    store = open_pg(postgres.cluster.url(role).replace("postgres@", f"{role}@"))
    try:
        assert [m.version for m in store.applied_migrations] == migrations()
        store.upsert_snippets(snippets(70), unit_vectors(70), SPACE)  # builds HNSW as owner
        assert store.check_integrity() == []
    finally:
        store.close()
