"""The see-also step: what the answer names beyond the APIs it explains."""

from __future__ import annotations

from spark_memory.coach.extractive import see_also
from spark_memory.coach.recall import Source, fold_variants
from spark_memory.models import Snippet, SnippetKind
from spark_memory.search.hybrid import snippet_hit
from tests.coach.conftest import api


def source(symbol: str, summary: str, score: float, *found_by: str) -> Source:
    return Source(hit=snippet_hit(api(symbol, "()", summary)), score=score, found_by=list(found_by))


def test_see_also_follows_the_search_of_the_whole_request_then_the_fused_scores() -> None:
    """Past the leading APIs, plain search's ranking of the whole request finds more of
    what a task uses than the fusion of the focused queries."""
    lead = source("pandas.DataFrame.groupby", "Group DataFrame using a mapper.", 1.0, "task #1")
    fused_only = source("pandas.DataFrame.sum", "Return the sum.", 0.9, "task #2", "says:sum")
    second = source("pandas.DataFrame.transform", "Call func on self.", 0.3, "whole #2")
    first = source("pandas.DataFrame.merge", "Merge DataFrame objects.", 0.2, "whole #1")
    # far below the best by the fused score, yet among plain search's first four
    ranked = source("pandas.DataFrame.pipe", "Apply chainable functions.", 0.05, "whole #3")
    # far below the best and ranked by neither
    weak = source("pandas.DataFrame.add", "Get addition of dataframe and other.", 0.05, "task #9")
    docs = [lead, fused_only, second, first, ranked, weak]
    named = [s.hit.symbol for s in see_also(docs, [lead], total=5)]
    assert named == [
        "pandas.DataFrame.merge",
        "pandas.DataFrame.transform",
        "pandas.DataFrame.pipe",
        "pandas.DataFrame.sum",
    ]


def test_a_variant_of_a_function_folds_into_the_library_s_own_function() -> None:
    """``numpy.ma.argsort`` found first and ``numpy.argsort`` later are one citation,
    under numpy's own function, with the better score and both reasons; a variant with
    no ordinary twin among the sources stays."""
    masked = source("numpy.ma.argsort", "Return indices that sort a masked array.", 0.9, "task #1")
    own = source("numpy.argsort", "Returns the indices that would sort an array.", 0.4, "whole #3")
    other = source("numpy.sort", "Return a sorted copy of an array.", 0.5, "task #2")
    alone = source("numpy.ma.masked_where", "Mask an array where a condition is met.", 0.3)
    folded = fold_variants([masked, other, own, alone])
    assert [s.hit.symbol for s in folded] == [
        "numpy.argsort",
        "numpy.sort",
        "numpy.ma.masked_where",
    ]
    assert folded[0].score == 0.9
    assert folded[0].found_by == ["whole #3", "task #1"]


def guide(anchor: str, apis: tuple[str, ...], score: float, rank: int) -> Source:
    hit = snippet_hit(
        Snippet.build(
            library="pandas",
            version="1.5.3",
            symbol=f"user_guide/groupby#{anchor}",
            kind=SnippetKind.GUIDE,
            title=f"Group by > {anchor}",
            text=f"Group by > {anchor}\n\n```python\ndf.groupby('a').sum()\n```",
            embed_text=anchor,
            apis=apis,
        )
    )
    return Source(hit=hit, score=score, found_by=[f"whole #{rank}"])


def test_a_section_is_named_only_for_apis_not_named_yet() -> None:
    """A see-also entry is something to look up next: a guide section that teaches only
    the APIs the answer already cites, or none, gives the agent nothing new."""
    lead = source("pandas.DataFrame.groupby", "Group DataFrame using a mapper.", 1.0, "task #1")
    again = guide("aggregation", ("pandas.DataFrame.groupby",), 0.9, 1)
    empty = guide("introduction", (), 0.9, 2)
    new = guide("transformation", ("pandas.DataFrame.groupby", "pandas.Series.transform"), 0.8, 3)
    also = guide("filtration", ("pandas.Series.transform",), 0.7, 4)
    named = [s.hit.symbol for s in see_also([lead, again, empty, new, also], [lead], total=5)]
    assert named == ["user_guide/groupby#transformation"]
