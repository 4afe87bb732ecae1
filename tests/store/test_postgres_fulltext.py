"""The PostgreSQL lexical channel (store/postgres/fulltext.py): it drops the query's very
common words once ANALYZE has counted them, keeps them when nothing else is left, takes
candidates from headings and from the rarest words of bodies, and takes every word
before the first ANALYZE or while the table is small.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from spark_memory.models import LOCAL_PRINCIPAL, DocType, SearchFilters, Snippet, SnippetKind
from spark_memory.store.postgres.fulltext import MIN_ANALYSED_ROWS
from spark_memory.store.protocol import Store
from tests.conftest import PostgresDatabases, open_backend

pytestmark = pytest.mark.usefixtures("postgres")


def snippet(n: int, text: str, name: str = "") -> Snippet:
    return Snippet.build(
        library="numpy",
        version="1.26.4",
        symbol=f"numpy.{name or f'f{n}'}",
        kind=SnippetKind.API,
        title=name or f"f{n}",
        text=text,
    )


@pytest.fixture
def analysed(postgres: PostgresDatabases, tmp_path: Path) -> Iterator[Store]:
    """Enough snippets for the statistics to count, all saying "return array", one of
    which (``snippet(LAST)``) also says "argsort"; analysed."""
    store = open_backend("postgres", tmp_path)
    items = [snippet(n, "Return an array of values.") for n in range(LAST)]
    items.append(snippet(LAST, "Return the array indices that argsort would give."))
    for start in range(0, len(items), 1_000):
        store.upsert_snippets(items[start : start + 1_000], None, None)
    with psycopg.connect(postgres.url(tmp_path), autocommit=True) as conn:
        conn.execute("ANALYZE snippets")
    yield store
    store.close()
    postgres.drop(tmp_path)


LAST = MIN_ANALYSED_ROWS


def search(store: Store, query: str) -> list[str]:
    hits = store.lexical_search(query, DocType.SNIPPET, SearchFilters(), LOCAL_PRINCIPAL, 50)
    return [h.id for h in hits]


def test_words_in_most_rows_are_dropped_from_the_query(analysed: Store) -> None:
    assert search(analysed, "return an array from argsort") == [snippet(LAST, "").id]


def test_a_query_of_common_words_only_keeps_them(analysed: Store) -> None:
    assert len(set(search(analysed, "return array"))) == 50  # k: every row matches


def test_a_heading_word_finds_the_api_it_names(analysed: Store) -> None:
    # "argsort" is in the body of snippet LAST only; an API named so would come first.
    named = snippet(LAST + 1, "Sort the values.", name="argsort")
    analysed.upsert_snippets([named], None, None)
    assert search(analysed, "argsort an array")[:2] == [named.id, snippet(LAST, "").id]


def test_before_analyze_every_word_of_a_long_query_counts(
    postgres: PostgresDatabases, tmp_path: Path
) -> None:
    store = open_backend("postgres", tmp_path)
    try:
        target = snippet(0, "Broadcast the group sum back to each row.")
        store.upsert_snippets([target, snippet(1, "Something else entirely.")], None, None)
        # No statistics yet: the one matching word, last of many, still finds the row.
        query = "keyerror while selecting columns from frames after merging broadcast"
        assert search(store, query) == [target.id]
    finally:
        store.close()
        postgres.drop(tmp_path)


SMALL = [
    "Group a DataFrame by columns and sum each group.",
    "Sum of array elements over a given axis.",
    "Broadcast the group sum back to each row with transform.",
    "Merge two frames on a key column, like a database join.",
    "Rolling window sum over a column of a DataFrame.",
    "Count the values of each group in a column.",
    "Sort an array and return the indices.",
    "Concatenate frames along rows or columns.",
]
QUERIES = [
    "group a dataframe by a column and sum",
    "sum the group back onto each row",
    "join two frames on a column",
    "rolling sum of a column",
]


def test_a_small_table_ranks_the_same_before_and_after_analyze(
    postgres: PostgresDatabases, tmp_path: Path
) -> None:
    # A handful of rows would make most words "common" in the statistics and change
    # the ranking (and break SQLite -> PostgreSQL parity); below MIN_ANALYSED_ROWS they
    # are ignored.
    store = open_backend("postgres", tmp_path)
    try:
        store.upsert_snippets([snippet(n, t) for n, t in enumerate(SMALL)], None, None)
        before = [search(store, q) for q in QUERIES]
        store.refresh_statistics()
        assert [search(store, q) for q in QUERIES] == before
    finally:
        store.close()
        postgres.drop(tmp_path)
