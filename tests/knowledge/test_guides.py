"""Guide ingestion on real, trimmed documentation: sections, heading paths, code kept,
what is left out, and the API symbols each section teaches, canonicalised."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_memory.knowledge.apis import CodeReader, SymbolTable, code_calls
from spark_memory.knowledge.doctree import doc_snippets
from spark_memory.knowledge.guides import choose, guide_snippets
from spark_memory.knowledge.markup import trim_outputs
from spark_memory.knowledge.sources import GuideSource, parse_source
from spark_memory.models import Snippet, SnippetKind
from tests.knowledge.conftest import FIXTURES

GUIDES = FIXTURES / "guides"


def api(symbol: str, *aliases: str) -> Snippet:
    also = f"\nAlso available as: {', '.join(aliases)}" if aliases else ""
    return Snippet.build(
        library=symbol.split(".")[0],
        version="1",
        symbol=symbol,
        kind=SnippetKind.API,
        title=symbol,
        text=f"{symbol}(...){also}\n\nSummary.",
    )


# What a docstring harvest of the libraries puts in the knowledge base: canonical
# names, and the other paths they are reachable by.
TABLE = SymbolTable.from_snippets(
    [
        api("pandas.DataFrame"),
        api("pandas.Series"),
        api("pandas.DataFrame.groupby"),
        api("pandas.DataFrame.set_index"),
        api("pandas.DataFrame.plot"),
        api("pandas.Series.groupby"),
        api("pandas.Series.rolling"),
        api("pandas.Series.head"),
        api("pandas.Series.str"),
        api("pandas.Series.str.lower"),
        api("pandas.Series.str.replace"),
        api("pandas.DataFrame.reset_index"),
        api("pandas.Series.iloc"),
        api("pandas.DataFrame.values"),
        api("pandas.Index"),
        api("pandas.date_range"),
        api(
            "pandas.core.groupby.SeriesGroupBy.transform",
            "pandas.core.groupby.generic.SeriesGroupBy.transform",
        ),
        api("pandas.core.groupby.DataFrameGroupBy.sum", "pandas.core.groupby.GroupBy.sum"),
        api("numpy.random.normal"),
        api("numpy.random.randn"),
        api("numpy.array"),
        api("numpy.zeros"),
        api("numpy.ones"),
        api("numpy.arange"),
        api("numpy.unique"),
        api("numpy.reshape"),
        api("numpy.ravel"),
        api("numpy.argsort"),
        api("numpy.amax", "numpy.max"),
        api("numpy.ndarray.flatten"),
        api("numpy.ndarray.transpose"),
        api("numpy.ndarray.reshape"),
        api("numpy.ndarray.T"),
        api("matplotlib.pyplot.subplots"),
        api("matplotlib.pyplot.bar"),
        api("matplotlib.pyplot.show"),
        api("matplotlib.axes.Axes.bar", "matplotlib.axes._axes.Axes.bar"),
        api("matplotlib.axes.Axes.set_title"),
        api("matplotlib.axes.Axes.legend"),
        api("sklearn.datasets.load_digits"),
        api("sklearn.cluster.KMeans"),
        api("sklearn.decomposition.PCA"),
        api("sklearn.decomposition.PCA.fit"),
        api("sklearn.pipeline.make_pipeline"),
        api("sklearn.preprocessing.StandardScaler"),
        api("sklearn.metrics.silhouette_score"),
        api("scipy.optimize.minimize"),
    ]
)


def ingest_tree(
    folder: str, library: str = "", table: SymbolTable | None = TABLE
) -> dict[str, Snippet]:
    source = parse_source(str(GUIDES / folder), library=library, version="1.5.3" if library else "")
    found, _ = guide_snippets(GUIDES / folder, source, table)
    return {s.title: s for s in found}


def test_sphinx_html_sections_keep_heading_path_prose_and_code() -> None:
    found = ingest_tree("pandas-doc", "pandas")
    part = found["Group by: split-apply-combine > Transformation (2)"]
    assert part.kind is SnippetKind.GUIDE
    assert part.symbol == "user_guide/groupby#transformation"
    assert "Transformation functions that have lower dimension outputs" in part.text
    assert "ts.groupby(lambda x: x.year).transform(lambda x: x.max() - x.min())" in part.text
    assert part.text.count("```") % 2 == 0  # every code block closed, none cut open
    # an IPython session's printed output is cut after a few lines
    assert "2000-01-12    0.623893\n..." in part.text
    groupby = [s for s in found.values() if s.source.endswith("groupby.html")]
    assert not any("merge" in s.text for s in groupby)  # the sidebar is not content


def test_a_traceback_keeps_its_error_and_one_from_a_build_without_data_goes() -> None:
    """Debian built pandas' comparison pages without the tips table: every line that
    reads it printed ``NameError: name 'tips' is not defined`` and twelve lines of stack.
    An agent reads the code, not the build's failure; an error a page shows on purpose
    (reindexing duplicate labels raises) keeps the line that names it."""
    found = ingest_tree("pandas-doc", "pandas")
    sas = found["Comparison with SAS > GroupBy > Transformation"]
    assert 'tips["adj_total_bill"] = tips["total_bill"] - gb.transform("mean")' in sas.text
    assert "Traceback" not in sas.text, sas.text
    assert "NameError" not in sas.text
    session = "\n".join(
        [
            'In [3]: s1 = pd.Series([0, 1, 2], index=["a", "b", "b"])',
            "",
            'In [4]: s1.reindex(["a", "b", "c"])',
            "-" * 75,
            "ValueError                                Traceback (most recent call last)",
            "Cell In [4], line 1",
            '----> 1 s1.reindex(["a", "b", "c"])',
            "",
            "File /usr/lib/python3/dist-packages/pandas/core/series.py:5094, in Series.reindex",
            "-> 5094 return super().reindex(**kwargs)",
            "",
            "ValueError: cannot reindex on an axis with duplicate labels",
            "",
            "In [5]: s1.index.is_unique",
            "Out[5]: False",
        ]
    )
    assert trim_outputs(session).split("\n")[2:] == [
        'In [4]: s1.reindex(["a", "b", "c"])',
        "ValueError: cannot reindex on an axis with duplicate labels",
        "",
        "In [5]: s1.index.is_unique",
        "Out[5]: False",
    ]


def test_html_apis_come_from_reference_links_and_code_calls() -> None:
    found = ingest_tree("pandas-doc", "pandas")
    split = found["Group by: split-apply-combine > Splitting an object into groups"]
    # the prose links to reference/api/pandas.DataFrame.groupby.html: listed first
    assert split.apis[0] == "pandas.DataFrame.groupby"
    transform = found["Group by: split-apply-combine > Transformation (2)"]
    # ts = pd.Series(...); ts.groupby(...).transform(...): a SeriesGroupBy's transform
    assert "pandas.core.groupby.SeriesGroupBy.transform" in transform.apis
    assert "pandas.DataFrame.plot" in transform.apis  # compare = pd.DataFrame(...); compare.plot()
    assert all(a in TABLE.names for s in found.values() for a in s.apis)


def test_reference_pages_release_notes_and_redirects_are_left_out() -> None:
    source = parse_source(str(GUIDES / "pandas-doc"), library="pandas", version="1.5.3")
    found, report = guide_snippets(GUIDES / "pandas-doc", source, TABLE)
    assert {s.source for s in found} == {
        "html/user_guide/groupby.html",
        "html/getting_started/comparison/comparison_with_sas.html",
    }
    assert report.skipped == {"redirect": 1, "reference/ folder": 1, "whatsnew/ folder": 1}
    api_page = (GUIDES / "pandas-doc/html/reference/api/pandas.DataFrame.groupby.html").read_text()
    # an object-description page is an API reference wherever it sits
    assert choose("html/user_guide/pandas.DataFrame.groupby.html", api_page) == "API reference page"


def test_rest_roles_resolve_against_currentmodule_and_the_library() -> None:
    found = ingest_tree("numpy-1.26.4")
    methods = found["Array methods"]
    # `.. currentmodule:: numpy` then :func:`argsort`, :func:`max <amax>`
    assert {"numpy.argsort", "numpy.amax", "numpy.ravel", "numpy.reshape"} <= set(methods.apis)
    other = found["Copies and views > Other operations"]
    # :func:`numpy.reshape`, :meth:`.ndarray.transpose` (a suffix), :func:`.ravel`, ...
    assert other.apis[:4] == (
        "numpy.reshape",
        "numpy.ndarray.transpose",
        "numpy.ravel",
        "numpy.ndarray.flatten",
    )
    assert "numpy.ones" in other.apis  # >>> x = np.ones((2, 3)) in its example
    assert ">>> y = x.T  # makes the array non-contiguous" in other.text
    assert "Sorting, searching, and counting" not in {t.split(" > ")[0] for t in found}


def test_rest_roles_without_a_symbol_table_keep_their_written_names() -> None:
    methods = ingest_tree("numpy-1.26.4", table=None)["Array methods"]
    assert "numpy.argsort" in methods.apis


def test_gallery_script_is_an_example_with_its_code_and_apis() -> None:
    found = ingest_tree("matplotlib-3.8.4")
    (example,) = found.values()  # README.txt is a gallery header, not an example
    assert example.kind is SnippetKind.EXAMPLE
    assert example.title == "Stacked bar chart"
    assert "fig, ax = plt.subplots()" in example.text
    assert "p = ax.bar(species, weight_count, width, label=boolean, bottom=bottom)" in example.text
    # `~matplotlib.pyplot.bar` in the docstring, then calls: ax comes from plt.subplots()
    assert example.apis[0] == "matplotlib.pyplot.bar"
    assert {"matplotlib.axes.Axes.bar", "matplotlib.pyplot.subplots", "numpy.zeros"} <= set(
        example.apis
    )
    assert example.source == (
        "https://matplotlib.org/3.8.4/gallery/lines_bars_and_markers/bar_stacked.html"
    )


def test_gallery_cells_become_sections_under_the_script_title() -> None:
    found = ingest_tree("sklearn-doc", "sklearn")
    title = "A demo of K-Means clustering on the handwritten digits data"
    assert list(found) == [
        title,
        f"{title} > Load the dataset",
        f"{title} > Define our evaluation benchmark",
        f"{title} > Run the benchmark",
    ]
    run = found[f"{title} > Run the benchmark"]
    assert 'kmeans = KMeans(init="k-means++"' in run.text
    assert run.apis[0] == "sklearn.decomposition.PCA"  # :class:`~sklearn.decomposition.PCA`
    assert "sklearn.decomposition.PCA.fit" in run.apis  # PCA(n_components=...).fit(data)
    loaded = found[f"{title} > Load the dataset"]
    assert loaded.apis == ("sklearn.datasets.load_digits", "numpy.unique")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            'df.groupby("a")["b"].transform("sum")',
            ["pandas.DataFrame.groupby", "pandas.core.groupby.SeriesGroupBy.transform"],
        ),
        ("import numpy\nnumpy.argsort(x)[::-1]", ["numpy.argsort"]),
        (">>> a = np.array([3, 1])\n>>> np.max(a)\n3", ["numpy.array", "numpy.amax"]),
        (
            "In [1]: s = pd.Series([1])\n\nIn [2]: s.head()\nOut[2]:\n0    1",
            ["pandas.Series", "pandas.Series.head"],
        ),
        ("from sklearn.cluster import KMeans as KM\nKM(3)", ["sklearn.cluster.KMeans"]),
        ("len(x)\nfoo.bar()\nx.groupby('a')", []),  # builtins and unknown receivers: nothing
        # attributes of a known object, read or set, are taught as its methods are;
        # module attributes and names the table does not know are not
        (
            "arr = np.zeros(3)\nv = df.values\ns.iloc[0] = arr.T\nnp.pi\ndf.no_such",
            ["numpy.zeros", "pandas.DataFrame.values", "numpy.ndarray.T", "pandas.Series.iloc"],
        ),
        # a column read as an attribute is a series; a frame's own attribute is not
        ("df.price.head()\ndf.values", ["pandas.Series.head", "pandas.DataFrame.values"]),
        # what a group's aggregation, an accessor's method and numpy's functions return
        (
            'g = df.groupby("a").sum()\ng.reset_index()\ndf["b"].str.lower().str.replace("x", "")'
            "\nnp.argsort(a).flatten()",
            [
                "pandas.DataFrame.groupby",
                "pandas.core.groupby.DataFrameGroupBy.sum",
                "pandas.DataFrame.reset_index",
                "pandas.Series.str",
                "pandas.Series.str.lower",
                "pandas.Series.str.replace",
                "numpy.argsort",
                "numpy.ndarray.flatten",
            ],
        ),
    ],
)
def test_code_calls_resolve_to_canonical_names(code: str, expected: list[str]) -> None:
    assert code_calls(code, TABLE) == expected


def test_one_page_s_code_blocks_share_imports_and_variables() -> None:
    reader = CodeReader(TABLE)
    assert reader.calls(">>> from scipy.optimize import minimize\n>>> df = load()") == []
    assert reader.calls(">>> res = minimize(rosen, x0)\n>>> df.groupby('a')") == [
        "scipy.optimize.minimize",
        "pandas.DataFrame.groupby",
    ]
    assert code_calls("res = minimize(rosen, x0)", TABLE) == []  # a fresh page knows nothing


def test_a_folder_named_library_version_names_both() -> None:
    source = parse_source(str(GUIDES / "numpy-1.26.4"))
    assert (source.library, source.version, source.kind) == ("numpy", "1.26.4", "dir")
    assert isinstance(source, GuideSource)


def test_an_unreadable_source_spec_is_refused() -> None:
    from spark_memory.errors import InvalidInput

    with pytest.raises(InvalidInput, match="no such folder"):
        parse_source(str(GUIDES / "nope"))
    with pytest.raises(InvalidInput, match="which library"):
        parse_source(str(GUIDES / "pandas-doc"))
    assert Path(GUIDES / "pandas-doc").is_dir()


def test_the_api_a_heading_names_belongs_to_its_section() -> None:
    text = (
        "Sorting\n=======\n\nUse :func:`numpy.argsort`\n-------------------------\n\nReverse it.\n"
    )
    (section,) = doc_snippets(text, library="numpy", version="1", source="s.rst", table=TABLE)
    assert section.title == "Sorting > Use numpy.argsort"
    assert section.apis == ("numpy.argsort",)
