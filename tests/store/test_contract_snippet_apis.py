"""Store contract: the APIs a guide section teaches survive a write and every read path."""

from __future__ import annotations

from spark_memory.models import Snippet, SnippetKind
from spark_memory.store.protocol import Store
from tests.conftest import SPACE, unit_vectors


def guide(apis: tuple[str, ...], text: str = "Use transform to broadcast a group sum.") -> Snippet:
    return Snippet.build(
        library="pandas",
        version="1.5.3",
        symbol="user_guide/groupby#transformation",
        kind=SnippetKind.GUIDE,
        title="Group by > Transformation",
        text=text,
        source="user_guide/groupby.html",
        apis=apis,
    )


def test_apis_are_stored_and_read_back_by_id_and_by_iteration(store: Store) -> None:
    taught = ("pandas.DataFrame.groupby", "pandas.core.groupby.DataFrameGroupBy.transform")
    plain = Snippet.build(
        library="pandas",
        version="1.5.3",
        symbol="pandas.DataFrame.sum",
        kind=SnippetKind.API,
        title="sum",
        text="Return the sum of the values.",
    )
    store.upsert_snippets([guide(taught), plain], unit_vectors(2), SPACE)
    assert store.get_snippet(guide(taught).id).apis == taught
    assert store.get_snippet(plain.id).apis == ()
    listed = {s.id: s.apis for batch in store.iter_snippets() for s in batch}
    assert listed == {guide(taught).id: taught, plain.id: ()}


def test_a_change_of_apis_alone_is_an_update(store: Store) -> None:
    before = guide(("pandas.DataFrame.groupby",))
    after = guide(("pandas.DataFrame.groupby", "pandas.Series.transform"))
    assert before.id == after.id
    assert before.content_hash != after.content_hash
    store.upsert_snippets([before], unit_vectors(1), SPACE)
    assert store.upsert_snippets([after], unit_vectors(1), SPACE).updated == 1
    assert store.get_snippet(after.id).apis == after.apis
