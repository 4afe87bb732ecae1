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
