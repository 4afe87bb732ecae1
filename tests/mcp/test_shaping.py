"""Tool results stay within their token budget and always name ids to fetch more."""

from __future__ import annotations

from spark_memory.coach.render import estimate_tokens
from spark_memory.mcp.shaping import memory_result, search_result
from spark_memory.models import DocType, Insight, SearchHit, Snippet, SnippetKind


def hit(n: int) -> SearchHit:
    return SearchHit(
        id=f"snp_{n:04d}",
        doc_type=DocType.SNIPPET,
        title=f"func{n}",
        library="numpy",
        version="1.26",
        symbol=f"numpy.func{n}",
        kind="api",
        text="A long explanation of what this function does. " * 20,
        score=1.0 / (n + 1),
    )


def test_search_results_are_one_line_each_within_the_budget() -> None:
    text, out = search_result([hit(n) for n in range(50)], budget_tokens=150)
    assert estimate_tokens(text) <= 150 + 40  # the hint lines come on top
    assert 0 < len(out.hits) < 50
    assert out.omitted == 50 - len(out.hits)
    assert all(f"snp_{n:04d}" in text for n in range(len(out.hits)))
    assert "get_memory" in text


def test_full_texts_share_the_budget_and_say_when_cut() -> None:
    snippet = Snippet.build(
        library="pandas",
        version="2.2",
        symbol="pandas.merge",
        kind=SnippetKind.API,
        title="merge",
        text="x" * 20_000,
    )
    insight = Insight(id="ins_1", org_id="o", agent_id="a", title="Short", content="Keep it.")
    text, out = memory_result([snippet, insight], ["ins_gone"], budget_tokens=1000)
    assert out.items[0].truncated
    assert not out.items[1].truncated
    assert len(text) < 1000 * 3 + 500
    assert "raise budget_tokens" in text
    assert out.missing == ["ins_gone"]


def test_a_search_hit_carries_its_summary_and_the_lines_holding_the_query_words() -> None:
    doc = SearchHit(
        id="snp_argsort",
        doc_type=DocType.SNIPPET,
        title="argsort",
        library="numpy",
        version="1.26",
        symbol="numpy.argsort",
        kind="api",
        text="numpy.argsort(a, axis=-1, kind=None)\n\nReturns the indices that would sort.\n\n"
        "Parameters\n- a : array_like: Array to sort.\n- axis : int: Axis along which to sort.\n"
        "- kind : str: Sorting algorithm.\n\nSee also: sort, lexsort",
        score=1.0,
    )
    text, out = search_result([doc], budget_tokens=400, query="sort along an axis")
    hit = out.hits[0]
    assert (
        hit.summary == "numpy.argsort(a, axis=-1, kind=None) Returns the indices that would sort."
    )
    assert "- axis : int: Axis along which to sort." in hit.key_lines
    assert len(hit.key_lines) <= 3
    assert "Sorting algorithm" not in " ".join(hit.key_lines)  # no query word in it
    assert all(line in text for line in hit.key_lines)
    assert out.note in text
