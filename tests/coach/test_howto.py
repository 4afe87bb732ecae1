"""A recommendation leads with how: the matching guide section, its code, its APIs."""

from __future__ import annotations

from spark_memory.coach import howto
from spark_memory.coach.recall import Source
from spark_memory.coach.render import render
from spark_memory.models import LOCAL_PRINCIPAL, DocType, Snippet, SnippetKind
from spark_memory.search.hybrid import snippet_hit
from spark_memory.service import Spark
from tests.coach.conftest import add, api

TASK = (
    "I have a pandas DataFrame with columns a and b; for each row I want the sum of b over"
    " the rows with the same a, as a new column"
)


def guide() -> Snippet:
    return Snippet.build(
        library="pandas",
        version="2.2.0",  # the version served when the task names none
        symbol="user_guide/groupby#transformation",
        kind=SnippetKind.GUIDE,
        title="Group by: split-apply-combine > Transformation",
        text="Group by: split-apply-combine > Transformation\n\n"
        "The transform method returns an object indexed like the one being grouped: the"
        " sum of each group is broadcast to every row of the group, as a new column.\n\n"
        "```\ndf['total'] = df.groupby('a')['b'].transform('sum')\n```",
        embed_text="Transformation: sum of each group broadcast to every row as a new column",
        apis=("pandas.DataFrame.groupby", "pandas.core.groupby.SeriesGroupBy.transform"),
    )


def test_a_matching_guide_section_leads_with_its_code_then_its_apis(spark: Spark) -> None:
    transform = api(
        "pandas.core.groupby.SeriesGroupBy.transform",
        "(func, *args, **kwargs)",
        "Call function producing a same-indexed Series on each group.",
        version="2.2.0",
    )
    add(spark, [guide(), transform])
    rec = spark.recommend(TASK, principal=LOCAL_PRINCIPAL, mode="extractive")
    assert rec.guidance.text.startswith("How: Group by: split-apply-combine > Transformation")
    assert "df.groupby('a')['b'].transform('sum')" in rec.code_sketch.code
    cited = [c.symbol for c in rec.citations]
    assert cited[0] == "user_guide/groupby#transformation"
    # then the references of the APIs its code uses, in the order the code calls them
    assert cited[1:3] == ["pandas.DataFrame.groupby", "pandas.core.groupby.SeriesGroupBy.transform"]
    assert len(rec.apis) <= 4  # fewer, better citations
    # only the leading section shows how; any other is related reading
    assert [c.reason for c in rec.citations].count("shows how, with code") == 1
    text = render(rec)
    for footer in ("matched the", "intent", "queries"):
        assert footer not in text


def test_without_a_matching_section_the_leading_api_leads(spark: Spark) -> None:
    add(spark, [guide()])
    rec = spark.recommend(
        "import numpy as np\nHow do I get the indices that sort an array?",
        principal=LOCAL_PRINCIPAL,
        mode="extractive",
    )
    assert not rec.guidance.text.startswith("How:")
    assert rec.apis[0] == "numpy.argsort"
    assert all(c.doc_type is DocType.SNIPPET for c in rec.citations)
    # found by words and meaning alone, the lead is offered as the nearest page, not an order
    assert rec.guidance.text.startswith("Closest match (no how-to passage matched")
    assert "`numpy.argsort`" in rec.guidance.text
    named = spark.recommend(
        "import numpy as np\nHow do I make np.argsort sort descending?",
        principal=LOCAL_PRINCIPAL,
        mode="extractive",
    )
    assert named.guidance.text.startswith("Use `numpy.argsort`")


def test_an_off_topic_lesson_is_not_cited_and_one_about_the_error_is(spark: Spark) -> None:
    spark.create_memory(
        "Use pathlib for file paths",
        "Build paths with pathlib.Path and the / operator instead of string concatenation.",
        tags=["python"],
        principal=LOCAL_PRINCIPAL,
    )
    rec = spark.recommend(
        "append a row to a pandas dataframe",
        error="AttributeError: 'DataFrame' object has no attribute 'append'",
        principal=LOCAL_PRINCIPAL,
        mode="extractive",
    )
    lessons = [c.title for c in rec.citations if c.doc_type is DocType.INSIGHT]
    assert "DataFrame.append was removed in pandas 2.0; use pandas.concat" in lessons
    assert "Use pathlib for file paths" not in lessons


def test_a_section_with_code_leads_from_the_sixth_place_not_the_seventh() -> None:
    """The merged sources put the task's class methods first ("a DataFrame" raises
    every DataFrame method), so the section that shows how often sits fourth to sixth:
    it still leads; below that it is only cited."""
    section = Source(hit=snippet_hit(guide()))
    apis = [Source(hit=snippet_hit(api(f"pandas.DataFrame.m{n}", "()", "Do m."))) for n in range(6)]
    assert howto.pick([*apis[:5], section]) is section
    assert howto.pick([*apis, section]) is None


def test_a_how_to_teaches_the_task_s_library_before_the_data_its_example_makes() -> None:
    """A plotting example starts by making its data with numpy; for a plotting task the
    references that follow it are matplotlib's."""
    section = Snippet.build(
        library="matplotlib",
        version="3.8.4",
        symbol="galleries/examples/subplots_axes_and_figures/ganged_plots#_",
        kind=SnippetKind.GUIDE,
        title="Creating adjacent subplots",
        text="Creating adjacent subplots\n\n```\nt = np.arange(0.0, 2.0, 0.01)\n"
        "s1 = np.sin(2 * np.pi * t)\nfig, axs = plt.subplots(3, 1, sharex=True)\n"
        "fig.subplots_adjust(hspace=0)\naxs[0].plot(t, s1)\n```",
        embed_text="Creating adjacent subplots",
        apis=(
            "numpy.arange",
            "numpy.sin",
            "matplotlib.pyplot.subplots",
            "matplotlib.figure.Figure.subplots_adjust",
            "matplotlib.axes.Axes.plot",
        ),
    )
    hit = snippet_hit(section)
    assert howto.taught(hit)[:2] == ["numpy.arange", "numpy.sin"]  # in the code's order
    assert howto.taught(hit, "matplotlib") == [
        "matplotlib.pyplot.subplots",
        "matplotlib.figure.Figure.subplots_adjust",
        "matplotlib.axes.Axes.plot",
        "numpy.arange",
    ]
