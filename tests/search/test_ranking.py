"""Ranking by relevance: floors, documentation and lessons in one list, one result per API."""

from __future__ import annotations

import math

from spark_memory.api_names import method_key, method_name
from spark_memory.models import LOCAL_PRINCIPAL, DocType, Snippet, SnippetKind
from spark_memory.search import symbols
from spark_memory.search.named import named_in_prose
from spark_memory.search.rank import USE_PRIOR, USE_SCALE
from spark_memory.service import Spark
from tests.coach.conftest import VERSIONS, add, api
from tests.support.waiting import wait_until

OFF_TOPIC = [
    ("Always set a timeout on HTTP requests", "requests.get without timeout can hang forever."),
    ("Use pathlib for file paths", "Build paths with pathlib.Path and the / operator."),
    ("Pin the base image in Dockerfiles", "Pin the digest so CI and production match."),
    ("np.column_stack for 1-D arrays", "Join 1-D arrays as columns with np.column_stack."),
    ("Pass dtype to read_csv for ID columns", "read_csv drops leading zeros of postal codes."),
]


def plant_off_topic(spark: Spark) -> None:
    for title, content in OFF_TOPIC:
        spark.create_memory(title, content, tags=["python"], principal=LOCAL_PRINCIPAL)


def test_documentation_outranks_off_topic_lessons_on_a_documentation_question(
    spark: Spark,
) -> None:
    plant_off_topic(spark)
    hits = spark.search("numpy.argsort descending", principal=LOCAL_PRINCIPAL, k=10)
    assert hits[0].symbol == "numpy.argsort"
    # a lesson that matches nothing of the question is not a candidate at all, however
    # small the pool of lessons it would have led
    assert [h.title for h in hits if h.doc_type is DocType.INSIGHT] == []


def test_a_lesson_about_the_question_still_competes(spark: Spark) -> None:
    plant_off_topic(spark)
    hits = spark.search(
        "append a row to a dataframe", principal=LOCAL_PRINCIPAL, k=10, libraries=["pandas"]
    )
    titles = [h.title for h in hits if h.doc_type is DocType.INSIGHT]
    assert "DataFrame.append was removed in pandas 2.0; use pandas.concat" in titles
    assert "Use pathlib for file paths" not in titles


def inherited(symbol: str, origin: str, summary: str = "Compute sum of group values.") -> Snippet:
    return Snippet.build(
        library="pandas",
        version="2.2.0",
        symbol=symbol,
        kind=SnippetKind.API,
        title=f"{symbol}(numeric_only=False, min_count=0)",
        text=f"{symbol}(numeric_only=False, min_count=0)\n\n{summary}\n\nInherited from {origin}.",
        embed_text=f"{symbol} {summary}",
    )


def section(symbol: str, title: str, prose: str, code: str, apis: list[str]) -> Snippet:
    """A pandas guide section (its guides teach ``pandas.core.groupby`` methods)."""
    return Snippet.build(
        library="pandas",
        version="2.2.0",
        symbol=symbol,
        kind=SnippetKind.GUIDE,
        title=title,
        text=f"{title}\n\n{prose}\n\n```python\n{code}\n```",
        embed_text=prose,
        apis=apis,
    )


def test_one_api_under_several_paths_is_one_result_under_its_public_name(spark: Spark) -> None:
    pages = [
        api(
            "pandas.core.groupby.GroupBy.sum",
            "(numeric_only=False, min_count=0)",
            "Compute sum of group values.",
            version="2.2.0",
        ),
        inherited("pandas.api.typing.DataFrameGroupBy.sum", "pandas.core.groupby.GroupBy.sum"),
        inherited("pandas.api.typing.SeriesGroupBy.sum", "pandas.core.groupby.GroupBy.sum"),
    ]
    add(spark, pages)
    hits = spark.search("compute sum of group values", principal=LOCAL_PRINCIPAL, k=10)
    sums = [h.symbol for h in hits if h.symbol.endswith(".sum")]
    assert len(sums) == 1
    assert not symbols.is_private(sums[0])


def test_private_paths_and_display_names() -> None:
    assert symbols.is_private("pandas.core.groupby.GroupBy.sum")
    assert symbols.is_private("numpy._core.fromnumeric.argsort")
    assert not symbols.is_private("pandas.api.typing.DataFrameGroupBy.sum")
    assert (
        symbols.display_name(["numpy.core.fromnumeric.argsort", "numpy.argsort"]) == "numpy.argsort"
    )
    # tensorflow.python is TensorFlow's implementation, never the name to show
    session = [
        "tensorflow.compat.v1.Session.as_default",
        "tensorflow.python.client.session.BaseSession.as_default",
    ]
    assert symbols.display_name(session) == "tensorflow.compat.v1.Session.as_default"
    assert symbols.is_private("tensorflow.python.client.session.BaseSession.as_default")
    text = "sum(...)\n\nCompute sum.\n\nInherited from pandas.core.groupby.GroupBy.sum."
    assert symbols.names("pandas.api.typing.SeriesGroupBy.sum", "api", text) == (
        "pandas.api.typing.SeriesGroupBy.sum",
        "pandas.core.groupby.GroupBy.sum",
    )


def test_methods_inherited_from_one_class_stay_distinct_apis() -> None:
    """Ingest writes the base class ("Inherited from pandas.core.generic.NDFrame."):
    every method a class inherits is its own API, the same method under two classes
    one. Keyed by the class alone, search collapsed Series.sample, DataFrame.size and
    hundreds more into one result, and the evaluation credited one hit for all."""

    def key(symbol: str) -> str:
        text = f"{symbol}()\n\nInherited from pandas.core.generic.NDFrame.\n\nSomething."
        return symbols.identity(symbol, "api", text, "snp_x")

    assert key("pandas.Series.sample") == key("pandas.DataFrame.sample")
    assert key("pandas.Series.sample") == symbols.identity(
        "pandas.core.generic.NDFrame.sample", "api", "sample()\n\nSomething.", "snp_y"
    )
    assert key("pandas.Series.sample") != key("pandas.DataFrame.size")


def test_one_method_under_two_private_module_paths_is_one_result(spark: Spark) -> None:
    """pandas documents GroupBy under ``pandas.core.groupby``, while the pages that
    inherit from it name the module that defines it, ``pandas.core.groupby.groupby``;
    and it assigns ``agg = aggregate``, two names with one documentation. Search for
    "group rows and broadcast the group sum" listed each API twice."""
    summary = "Cumulative sum for each group."
    body = "Aggregate using one or more operations over the specified axis."
    pages = [
        api("pandas.core.groupby.GroupBy.cumsum", "(axis=0)", summary, version="2.2.0"),
        inherited(
            "pandas.core.groupby.SeriesGroupBy.cumsum",
            "pandas.core.groupby.groupby.GroupBy",
            summary,
        ),
        api("pandas.core.groupby.SeriesGroupBy.agg", "(func=None)", body, version="2.2.0"),
        api("pandas.core.groupby.SeriesGroupBy.aggregate", "(func=None)", body, version="2.2.0"),
        api("pandas.core.groupby.SeriesGroupBy.sum", "()", "Compute sum.", version="2.2.0"),
        section(  # the guides teach them, so they are not internal pages
            "user_guide/groupby#aggregation",
            "Group by > Aggregation",
            "Aggregate each group.",
            "df.groupby('a')['b'].agg('sum')",
            [
                "pandas.core.groupby.GroupBy.cumsum",
                "pandas.core.groupby.SeriesGroupBy.agg",
                "pandas.core.groupby.SeriesGroupBy.sum",
            ],
        ),
    ]
    add(spark, pages)
    for query, name in (("cumulative sum for each group", ".cumsum"), ("aggregate groups", ".agg")):
        hits = spark.search(query, principal=LOCAL_PRINCIPAL, k=10)
        named = [h.symbol for h in hits if h.symbol.rsplit(".", 1)[-1].startswith(name[1:])]
        assert len(named) == 1, [h.symbol for h in hits]
    hits = spark.search("sum of each group", principal=LOCAL_PRINCIPAL, k=10)
    assert {"pandas.core.groupby.SeriesGroupBy.sum"} <= {h.symbol for h in hits}


def test_a_guide_section_names_the_apis_it_teaches() -> None:
    text = (
        "User Guide > Group by > Transformation\n\nAPIs: pandas.DataFrame.groupby,"
        " pandas.core.groupby.SeriesGroupBy.transform\n\n```python\n"
        "df['total'] = df.groupby('a')['b'].transform('sum')\n```"
    )
    assert symbols.names("user_guide/groupby.html#transformation", "guide", text) == (
        "pandas.DataFrame.groupby",
        "pandas.core.groupby.SeriesGroupBy.transform",
    )


def note(symbol: str, summary: str, notes: str) -> Snippet:
    """The Notes section of an API's docstring, stored apart as the harvester does."""
    return Snippet.build(
        library="numpy",
        version=VERSIONS["numpy"],
        symbol=symbol,
        kind=SnippetKind.NOTE,
        title=f"{symbol} — notes",
        text=f"{symbol}(ar, axis=None)\n\n{summary}\n\nNotes\n{notes}",
        embed_text=f"Notes for {symbol}: {summary}\n{notes}",
    )


def test_an_api_s_notes_are_that_api_one_result_under_its_name(spark: Spark) -> None:
    """A long Notes section is stored apart from its API's reference, yet it is the same
    API's documentation: found by its words, it stands for the API (one result, not a
    second one beside the reference), where a guide section stands for what it teaches."""
    summary = "Find the unique elements of an array."
    notes = (
        "When an axis is specified the subarrays indexed by the axis are sorted and"
        " flattened before the unique subarrays are found."
    )
    page = api("numpy.unique", "(ar, axis=None)", summary)
    its_notes = note("numpy.unique", summary, notes)
    add(spark, [page, its_notes])
    assert symbols.names(its_notes.symbol, "note", its_notes.text) == ("numpy.unique",)
    assert symbols.identity(its_notes.symbol, "note", its_notes.text, its_notes.id) == (
        symbols.identity(page.symbol, "api", page.text, page.id)
    )
    hits = spark.search(
        "unique subarrays along an axis sorted and flattened", principal=LOCAL_PRINCIPAL, k=10
    )
    assert [h.symbol for h in hits].count("numpy.unique") == 1


def test_internal_pages_stay_out_unless_a_guide_teaches_them_or_the_query_names_them(
    spark: Spark,
) -> None:
    """Introspection documents implementation classes (``pandas.core.internals``) that
    no guide uses; they must not crowd an agent's short answer. A private path that the
    library's own guides teach (pandas documents GroupBy as ``pandas.core.groupby``)
    stays, and a query that names the private path itself still finds it."""
    summary = "Shift index by desired number of periods."
    pages = [
        api("pandas.core.internals.Block.shift", "(periods=1)", summary, version="2.2.0"),
        api("pandas.core.groupby.DataFrameGroupBy.shift", "(periods=1)", summary, version="2.2.0"),
        section(
            "user_guide/groupby#shift",
            "Group by > Shift within groups",
            "Shift each group's values by desired number of periods.",
            "df.groupby('a').shift(1)",
            ["pandas.core.groupby.DataFrameGroupBy.shift"],
        ),
    ]
    add(spark, pages)

    def found(query: str) -> list[str]:
        hits = spark.search(query, principal=LOCAL_PRINCIPAL, k=20, libraries=["pandas"])
        return [h.symbol for h in hits]

    # search never waits for the index: its first call starts the build behind it
    found("shift index by desired number of periods")
    wait_until(
        lambda: (
            "pandas.core.internals.Block.shift"
            not in found("shift index by desired number of periods")
        ),
        "the symbol index built behind search",
    )
    shown = found("shift index by desired number of periods")
    assert "pandas.core.groupby.DataFrameGroupBy.shift" in shown
    assert "pandas.core.internals.Block.shift" not in shown
    rec = spark.recommend("shift index by desired number of periods", principal=LOCAL_PRINCIPAL)
    assert "pandas.core.internals.Block.shift" not in [c.symbol for c in rec.citations]
    assert "pandas.core.internals.Block.shift" in found("pandas.core.internals.Block.shift")


def test_an_api_its_page_marks_deprecated_ranks_below_an_equal_match(spark: Spark) -> None:
    summary = "Parse columns of date strings into one datetime column."
    old = api(
        "pandas.io.date_converters.parse_date_time",
        "(date_col, time_col)",
        summary,
        notes=".. deprecated:: 1.2\n    Use pandas.to_datetime instead.",
        version="2.2.0",
    )
    # the deprecated page matches the question exactly, the current one nearly
    new = api("pandas.to_datetime", "(arg, format=None)", "Parse date strings.", version="2.2.0")
    pages = [old, new]
    add(spark, pages)
    hits = spark.search(summary, principal=LOCAL_PRINCIPAL, k=5, libraries=["pandas"])
    shown = [h.symbol for h in hits]
    assert shown.index("pandas.to_datetime") < shown.index(
        "pandas.io.date_converters.parse_date_time"
    )


def test_an_api_the_question_names_in_its_prose_ranks_above_better_worded_pages(
    spark: Spark,
) -> None:
    """ "I used tz_localize ..." names the API the asker is stuck on: its page comes
    first even where another page shares more of the question's words. A name in the
    question's set-up code (``head``) is what the asker already has, and raises nothing."""
    pages = [
        api(
            "pandas.Series.dt.tz_localize",
            "(tz, ambiguous='raise')",
            "Localize tz-naive Datetime Array/Index to tz-aware Datetime Array/Index.",
            version="2.2.0",
        ),
        api(
            "pandas.Series.dt.tz_convert",
            "(tz)",
            "Remove the time zone offset from a datetime column, or convert it to another"
            " time zone.",
            version="2.2.0",
        ),
        api("pandas.Series.head", "(n=5)", "Return the first n rows.", version="2.2.0"),
    ]
    add(spark, pages)
    spark.warm()
    question = (
        "I used tz_localize on a datetime column and now want to remove the time zone"
        " offset from the column.\n<code>\ndf.head()\n</code>"
    )
    hits = spark.search(question, principal=LOCAL_PRINCIPAL, k=5, libraries=["pandas"])
    shown = [h.symbol for h in hits]
    assert shown[0] == "pandas.Series.dt.tz_localize", shown
    assert "named" in hits[0].channels
    assert all("named" not in h.channels for h in hits if h.symbol == "pandas.Series.head")
    plain = spark.search(question.replace("tz_localize", "a method"), principal=LOCAL_PRINCIPAL)
    assert plain[0].symbol == "pandas.Series.dt.tz_convert"


def test_a_call_the_question_writes_enters_the_results_when_no_channel_found_its_page(
    spark: Spark,
) -> None:
    """ "I tried df.sample(n)" names ``DataFrame.sample`` even where "sample" is too common
    a word for full text and the page reads nothing like the question: its page (and its
    Series twin, a column's) enters the results; a numpy function of that name does not,
    the task not using numpy; without the call in the prose, no page of it comes."""
    fillers = [
        api(
            f"pandas.io.sampling.draw_{n}",
            "(size)",
            f"Draw a sample from distribution {n}.",
            version="2.2.0",
        )
        for n in range(60)
    ]
    served = "2.2.0"  # the pandas version the store serves
    pages = [
        api(
            "pandas.DataFrame.sample",
            "(n=None, frac=None)",
            "Return a random selection.",
            version=served,
        ),
        api(
            "pandas.Series.sample",
            "(n=None, frac=None)",
            "Return a random selection.",
            version=served,
        ),
        api("numpy.random.sample", "(size=None)", "Return random floats."),
        api(
            "pandas.DataFrame.groupby",
            "(by=None)",
            "Group rows of each user by a key.",
            version=served,
        ),
    ]
    add(spark, [*fillers, *pages])
    spark.warm()
    question = (
        "For each user I want to keep 20% of the rows, using df.sample(n), and set the"
        " quantity of the others to zero.\n<code>\nimport pandas as pd\n</code>"
    )
    hits = spark.search(question, principal=LOCAL_PRINCIPAL, k=10)
    shown = [h.symbol for h in hits]
    assert {"pandas.DataFrame.sample", "pandas.Series.sample"} <= set(shown), shown
    entered = next(h for h in hits if h.symbol == "pandas.DataFrame.sample")
    assert set(entered.channels) == {"named"}, entered.channels
    assert "numpy.random.sample" not in shown
    plain = spark.search(question.replace("df.sample(n)", "a method"), principal=LOCAL_PRINCIPAL)
    assert not {"pandas.DataFrame.sample", "pandas.Series.sample"} & {h.symbol for h in plain}
    # the caller's filters hold for a named page as for any other
    numpy_only = spark.search(question, principal=LOCAL_PRINCIPAL, libraries=["numpy"])
    assert all(h.library == "numpy" for h in numpy_only), [h.symbol for h in numpy_only]
    guides_only = spark.search(question, principal=LOCAL_PRINCIPAL, kinds=["guide"])
    assert all(h.kind == "guide" for h in guides_only), [h.symbol for h in guides_only]


def test_the_names_a_question_spells_out_are_its_identifiers_calls_and_dotted_names() -> None:
    question = (
        "My DataFrame has a date column. I tried np.einsum and df.groupby('a').agg(f), e.g."
        " with `explode` and tz_localize, but not the sum.\n<code>\ndf = pd.read_csv(p)\n"
        "df.head()\n</code>"
    )
    assert named_in_prose(question) == {"einsum", "groupby", "agg", "explode", "tz_localize"}


def test_of_two_pages_matching_alike_the_one_the_guides_use_comes_first(spark: Spark) -> None:
    """A prior from the guides' own code (``rank.used``): it orders what matched, and a
    page the guides never use keeps its own score."""
    summary = "Replace the values of the frame at the positions a boolean condition selects."
    pages = [  # one body under two names would be one API (``collapse``)
        api(f"pandas.DataFrame.{name}", "(cond, other=nan)", f"{summary} {tail}", version="2.2.0")
        for name, tail in (("keep_where", "Returns a copy."), ("drop_where", "Returns a view."))
    ]
    add(spark, pages)
    spark.warm()

    def ranked() -> dict[str, tuple[int, float]]:
        hits = spark.search(summary, principal=LOCAL_PRINCIPAL, k=10, libraries=["pandas"])
        return {h.symbol: (n, h.score) for n, h in enumerate(hits) if h.symbol in names}

    names = {p.symbol for p in pages}
    before = ranked()
    second = max(names, key=lambda s: before[s][0])
    first = (names - {second}).pop()
    guides = [
        section(
            f"user_guide/plotting#line-{n}",
            f"Plotting a line {n}",
            "Draw a line chart of the measurements over time.",
            f"df.{second.rsplit('.', 1)[1]}(df > 0).plot()",
            [second],
        )
        for n in range(5)
    ]
    add(spark, guides)
    spark.warm()
    after = ranked()
    assert after[second][0] < after[first][0], (before, after)
    assert after[first][1] == before[first][1]
    assert after[second][1] > before[second][1]
    shown = spark.search(summary, principal=LOCAL_PRINCIPAL, k=10, libraries=["pandas"])
    why = {h.symbol: h.channels for h in shown}
    assert why[second]["used"].score == round(1 + USE_PRIOR * math.log1p(5) / USE_SCALE, 3)
    assert "used" not in why[first]


def test_a_how_to_section_goes_before_a_reference_page_that_matches_alike(spark: Spark) -> None:
    """A section is the guides' code itself: it takes the full prior (``rank.used``),
    so where a how-to and a reference page match a task alike, the how-to leads."""
    prose = "Turn the columns of a wide table into rows of a long table, one row per value."
    page = api("pandas.DataFrame.unpivot_rows", "(id_vars=None)", prose, version="2.2.0")
    how_to = section(
        "getting_started/reshape#wide-to-long",
        "Wide to long",
        prose,
        "long = wide.unpivot_rows(id_vars='id')",
        ["pandas.DataFrame.unpivot_rows"],
    )
    add(spark, [page, how_to])
    spark.warm()
    hits = spark.search(prose, principal=LOCAL_PRINCIPAL, k=10, libraries=["pandas"])
    shown = [h.symbol for h in hits]
    assert shown.index(how_to.symbol) < shown.index(page.symbol), shown


def test_one_method_of_many_classes_is_one_result_beside_its_frame_and_series_twins(
    spark: Spark,
) -> None:
    """Eight classes' ``shift`` in ten places is one answer eight times: search keeps the
    best one, DataFrame's and Series' beside it, and gives the places to other APIs."""
    owners = ("Categorical", "PeriodIndex", "arrays.IntervalArray", "DataFrame", "Series")
    v = {"version": "2.2.0"}  # the version pandas is served at
    pages = [
        api(f"pandas.{owner}.shift", "(periods=1)", f"Shift values by periods ({owner}).", **v)
        for owner in owners
    ]
    pages.append(api("pandas.Series.diff", "(periods=1)", "First discrete difference.", **v))
    add(spark, pages)
    hits = spark.search("shift values by periods", principal=LOCAL_PRINCIPAL, k=10)
    shifts = [h.symbol for h in hits if h.symbol.endswith(".shift")]
    others = {h.symbol for h in hits} - set(shifts)
    assert len(shifts) == 3
    assert {"pandas.DataFrame.shift", "pandas.Series.shift"} <= set(shifts)
    assert "pandas.Series.diff" in others


def test_one_documentation_under_several_classes_shows_the_class_the_task_works_on(
    spark: Spark,
) -> None:
    """``sample`` is documented once for DataFrame and Series, ``tolist`` for Index and
    Series: each is shown under the class the question works on (a column is a
    Series), with that class's page; else under a class tasks work on, not ``Index``."""
    generic, base = "pandas.core.generic.NDFrame.sample", "pandas.core.base.IndexOpsMixin.tolist"
    sample, listed = "Return a random sample of items.", "Return a list of the values."
    pages = [inherited(f"pandas.{c}.sample", generic, sample) for c in ("DataFrame", "Series")]
    pages += [inherited(f"pandas.{c}.tolist", base, listed) for c in ("Index", "Series")]
    add(spark, pages)

    def shown(query: str, method: str) -> list[str]:
        hits = spark.search(query, principal=LOCAL_PRINCIPAL, k=5)
        found = [h for h in hits if h.symbol.endswith(method)]
        assert all(h.text.startswith(h.symbol) for h in found)  # the page of that class
        return [h.symbol for h in found]

    assert shown("a random sample of items of my dataframe", ".sample") == [
        "pandas.DataFrame.sample"
    ]
    assert shown("a random sample of items of one column", ".sample") == ["pandas.Series.sample"]
    assert shown("return a list of the values", ".tolist") == ["pandas.Series.tolist"]


def test_numpy_array_classes_are_classes_and_an_inherited_page_shows_the_api_s_own_name(
    spark: Spark,
) -> None:
    """numpy spells its array classes in lower case: ``matrix.mean`` after
    ``ndarray.mean`` is the same answer again. A page that inherits ``ndarray.mean``
    (``memmap.mean``) is shown under the API's own name even when that page is not found."""
    summary = "Returns the average of the array elements along given axis."
    memmap = Snippet.build(
        library="numpy",
        version=VERSIONS["numpy"],
        symbol="numpy.memmap.mean",
        kind=SnippetKind.API,
        title="numpy.memmap.mean(axis=None)",
        text=f"numpy.memmap.mean(axis=None)\n\nInherited from numpy.ndarray.\n\n{summary}",
        embed_text=f"numpy.memmap.mean {summary}",
    )
    add(spark, [memmap, api("numpy.matrix.mean", "(axis=None)", f"{summary} (a matrix)")])
    add(spark, [api("numpy.mean", "(a, axis=None)", "Average of the array elements: the mean.")])
    hits = spark.search("average of the array elements", principal=LOCAL_PRINCIPAL, k=10)
    shown = [h.symbol for h in hits]
    assert "numpy.ndarray.mean" in shown
    assert "numpy.memmap.mean" not in shown
    assert "numpy.matrix.mean" not in shown
    assert "numpy.mean" in shown  # a function is not a class's method
    assert method_name("numpy.ndarray.mean") == "mean" == method_name("pandas.Series.mean")
    assert method_name("numpy.mean") == "" == method_name("pandas.DataFrame")
    # a window's or a group's mean is another API than a column's; Series' and
    # Categorical's tolist are one
    assert method_key("pandas.core.window.Rolling.mean") != method_key("pandas.Series.mean")
    assert method_key("pandas.core.groupby.SeriesGroupBy.mean") != method_key("pandas.Series.mean")
    assert method_key("pandas.Categorical.tolist") == method_key("pandas.Series.tolist")


def test_a_function_and_its_masked_array_variant_are_one_result_under_its_own_name(
    spark: Spark,
) -> None:
    """``numpy.ma.cumsum`` repeats ``numpy.cumsum`` for masked arrays: found better, it
    gives its place to the library's own function, and the ten places hold one of them."""
    summary = "Return the cumulative sum of the elements along a given axis."
    add(
        spark,
        [
            api("numpy.ma.cumsum", "(a, axis=None)", f"{summary} Masked values are skipped."),
            api("numpy.cumsum", "(a, axis=None)", f"{summary}."),
        ],
    )
    hits = spark.search(
        "cumulative sum of the elements, masked values skipped", principal=LOCAL_PRINCIPAL, k=10
    )
    shown = [h.symbol for h in hits]
    assert "numpy.cumsum" in shown, shown
    assert "numpy.ma.cumsum" not in shown, shown
    # a variant with no ordinary twin is the answer
    add(
        spark,
        [api("numpy.ma.masked_where", "(condition, a)", "Mask an array where a condition is met.")],
    )
    hits = spark.search("mask an array where a condition is met", principal=LOCAL_PRINCIPAL, k=3)
    assert "numpy.ma.masked_where" in [h.symbol for h in hits]


def test_scipy_sparse_formats_are_classes_whose_shared_methods_are_one_result(
    spark: Spark,
) -> None:
    """``csr_matrix.tolil`` and ``coo_array.tolil`` do one thing for two formats."""
    assert method_name("scipy.sparse.csr_matrix.tolil") == "tolil"
    assert method_key("scipy.sparse.coo_array.tolil") == method_key("scipy.sparse.csr_matrix.tolil")
    summary = "Convert this array to List of Lists format."
    add(
        spark,
        [
            api(f"scipy.sparse.{fmt}.tolil", "(copy=False)", summary, version="1.10.1")
            for fmt in ("csr_matrix", "coo_array", "bsr_array")
        ]
        + [
            api(
                "scipy.sparse.lil_matrix",
                "(arg1, shape=None)",
                "Row-based list of lists sparse matrix.",
                version="1.10.1",
            )
        ],
    )
    hits = spark.search("convert to list of lists format", principal=LOCAL_PRINCIPAL, k=10)
    shown = [h.symbol for h in hits]
    assert sum(s.endswith(".tolil") for s in shown) == 1, shown
    assert "scipy.sparse.lil_matrix" in shown
