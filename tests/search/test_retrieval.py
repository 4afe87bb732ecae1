"""search.retrieval, the coach's retrieval over a real store: lookups, versions, the plan search."""

from __future__ import annotations

from spark_memory.coach.models import PlannedQuery
from spark_memory.models import LOCAL_PRINCIPAL, DocType, SearchFilters, Snippet, SnippetKind
from spark_memory.service import Spark
from tests.coach.conftest import api, corpus

PANDAS = SearchFilters(libraries=["pandas"])
OLD = SearchFilters(libraries=["pandas"], versions={"pandas": "1.5.3"})


def symbols(spark: Spark, name: str, filters: SearchFilters) -> list[tuple[str, str]]:
    found = spark.coach.retriever.find_symbols([name], filters).get(name, [])
    return [(h.symbol, h.version) for h in found]


def test_exact_names_and_suffixes_resolve(spark: Spark) -> None:
    assert symbols(spark, "numpy.argsort", SearchFilters()) == [
        ("numpy.argsort", "1.26.4"),
        ("numpy.argsort", "1.26.4"),  # its reference and its example snippet
    ]
    assert symbols(spark, "Series.value_counts", OLD) == [("pandas.Series.value_counts", "1.5.3")]


def test_bare_names_stay_in_the_filtered_libraries(spark: Spark) -> None:
    assert [s for s, _ in symbols(spark, "join", PANDAS)] == []
    assert [s for s, _ in symbols(spark, "join", SearchFilters())] == ["polars.DataFrame.join"]


def test_lookups_serve_the_callers_version_else_the_latest(spark: Spark) -> None:
    assert symbols(spark, "concat", OLD) == [("pandas.concat", "1.5.3")]
    assert symbols(spark, "concat", PANDAS) == [("pandas.concat", "2.2.0")]


def test_lookups_carry_no_text_until_fetched(spark: Spark) -> None:
    retriever = spark.coach.retriever
    hit = retriever.find_symbols(["pandas.DataFrame.where"], OLD)["pandas.DataFrame.where"][0]
    assert hit.text == ""
    assert (
        "Replace values where the condition is False." in retriever.snippets([hit.id])[hit.id].text
    )


def test_new_snippets_are_found_without_a_restart(spark: Spark) -> None:
    assert symbols(spark, "pivot_table", PANDAS) == []
    added: list[Snippet] = [
        api("pandas.pivot_table", "(data, values=None)", "Create a pivot table.", version="2.2.0")
    ]
    vectors = spark.embedder.embed([s.embed_text for s in added])
    spark.store.upsert_snippets(added, vectors, spark.space)
    assert symbols(spark, "pivot_table", PANDAS) == [("pandas.pivot_table", "2.2.0")]


def test_the_plan_search_keeps_to_libraries_and_versions(spark: Spark) -> None:
    plan = [
        PlannedQuery(purpose="task", text="group rows by a column", embed="group rows by a column"),
        PlannedQuery(purpose="api", text="concat", embed="concat"),
    ]
    results = spark.coach.retriever.search(plan, OLD, LOCAL_PRINCIPAL, 10)
    assert len(results) == 2
    snippets = [h for hits in results for h in hits if h.doc_type is DocType.SNIPPET]
    assert snippets
    assert {(h.library, h.version) for h in snippets} == {("pandas", "1.5.3")}
    first = next(h for h in results[0] if h.doc_type is DocType.SNIPPET)
    assert first.symbol == "pandas.DataFrame.groupby"
    assert "bm25" in first.channels
    assert all(h.text for h in snippets)


def test_the_corpus_has_what_these_tests_assume() -> None:
    names = {(s.symbol, s.version) for s in corpus()}
    assert ("pandas.concat", "2.2.0") in names
    assert ("pandas.concat", "1.5.3") in names


def test_lookups_and_searches_name_an_api_by_its_public_path(spark: Spark) -> None:
    origin = api(
        "pandas.core.groupby.GroupBy.sum",
        "(numeric_only=False)",
        "Compute sum of group values.",
        version="2.2.0",
    )
    copy = Snippet.build(
        library="pandas",
        version="2.2.0",
        symbol="pandas.api.typing.DataFrameGroupBy.sum",
        kind=SnippetKind.API,
        title="sum",
        text="sum(numeric_only=False)\n\nCompute sum of group values.\n\n"
        "Inherited from pandas.core.groupby.GroupBy.sum.",
    )
    spark.store.upsert_snippets(
        [origin, copy], spark.embedder.embed([origin.embed_text, copy.embed_text]), spark.space
    )
    retriever = spark.coach.retriever
    found = retriever.find_symbols(["pandas.core.groupby.GroupBy.sum"], PANDAS)
    assert {h.symbol for h in found["pandas.core.groupby.GroupBy.sum"]} == {
        "pandas.api.typing.DataFrameGroupBy.sum"
    }
    plan = [PlannedQuery(purpose="task", text="compute sum of group values")]
    hits = retriever.search(plan, PANDAS, LOCAL_PRINCIPAL, 10)[0]
    sums = [h.symbol for h in hits if h.symbol.endswith(".sum")]
    assert sums == ["pandas.api.typing.DataFrameGroupBy.sum"]


def test_the_whole_request_is_ranked_as_plain_search_ranks_it(spark: Spark) -> None:
    """The coach's see-also step follows plain search's order of the whole request; the
    coach's own faster channels must not change that order."""
    retriever = spark.coach.retriever
    for request in (
        "How do I group rows of a DataFrame by a column and sum each group?",
        "sort a numpy array in descending order and get the indices",
        "I used df.groupby('a').transform('sum') and got NaN for missing groups",
    ):
        for filters in (SearchFilters(), PANDAS):
            plain = spark.search(
                request, principal=LOCAL_PRINCIPAL, k=10, libraries=filters.libraries
            )
            asked = retriever.search_as_asked(request, filters, LOCAL_PRINCIPAL, 10)
            assert [h.id for h in asked] == [h.id for h in plain], request
            assert asked, request
