"""Doc-tree chunkers on small real-looking fixtures."""

from __future__ import annotations

import pytest

from spark_memory.errors import InvalidInput
from spark_memory.knowledge.doctree import (
    doc_format,
    doc_snippets,
    harvest_tree,
    parse_blocks,
    sections,
)
from spark_memory.models import Snippet, SnippetKind
from tests.knowledge.conftest import FIXTURES

TREE = FIXTURES / "doctree"


def snippets_of(rel: str, **kwargs: object) -> dict[str, Snippet]:
    text = (TREE / rel).read_text(encoding="utf-8")
    found = doc_snippets(text, library="pandas", version="1.5.3", source=rel, **kwargs)  # type: ignore[arg-type]
    return {s.title: s for s in found}


def test_markdown_headings_front_matter_and_code() -> None:
    found = snippets_of("guide/groupby.md")
    assert list(found) == [
        "Group by: split-apply-combine",
        "Group by: split-apply-combine > Splitting an object into groups",
        "Group by: split-apply-combine > Splitting an object into groups > GroupBy sorting",
        "Group by: split-apply-combine > Aggregation",  # a setext heading
        "Group by: split-apply-combine > Transformation",
    ]
    split = found["Group by: split-apply-combine > Splitting an object into groups"]
    assert "# This comment is code, not a heading" in split.text
    assert split.symbol == "guide/groupby#splitting-an-object-into-groups"
    assert split.kind is SnippetKind.GUIDE
    assert split.source == "guide/groupby.md"
    assert split.embed_text.startswith(
        "Group by: split-apply-combine > Splitting an object into groups: The mapping"
    )
    assert not any("title:" in s.text or "editor's comment" in s.text for s in found.values())


def test_markdown_without_h1_is_named_by_front_matter() -> None:
    found = doc_snippets(
        "---\ntitle: Release notes\n---\n\n## 1.0\n\nFirst.\n",
        library="x",
        version="1",
        source="notes.md",
    )
    assert [s.title for s in found] == ["Release notes > 1.0"]


def test_rst_titles_directives_and_literal_blocks() -> None:
    found = snippets_of("reference/indexing.rst")
    assert list(found) == [
        "Indexing and selecting data",
        "Indexing and selecting data > Different choices for indexing",
        "Indexing and selecting data > Different choices for indexing > Boolean indexing",
        "Indexing and selecting data > The ``where()`` Method and Masking",
    ]
    intro = found["Indexing and selecting data"].text
    assert "Note:\nThe Python and NumPy indexing operators" in intro
    assert "toctree" not in intro
    assert "maxdepth" not in intro
    assert "currentmodule" not in intro
    choices = found["Indexing and selecting data > Different choices for indexing"].text
    assert "see\nDataFrame.loc and DataFrame.iloc." in choices  # roles read as their text
    assert 'For example:\n\n```\ndf.loc["a", "B"]' in choices
    assert "```\ns = pd.Series(range(5))\ns.loc[s > 2]\n```" in choices
    assert ":linenos:" not in choices
    boolean = found[
        "Indexing and selecting data > Different choices for indexing > Boolean indexing"
    ].text
    assert "s[~(s < 0)]" in boolean
    assert "rST comment" not in boolean


def test_sphinx_html_keeps_the_main_content_only() -> None:
    found = snippets_of("html/reshaping.html")
    assert list(found) == [
        "Reshaping and pivot tables > Reshaping by pivoting DataFrame objects",
        "Reshaping and pivot tables > Reshaping by stacking and unstacking",
    ]
    pivot = found["Reshaping and pivot tables > Reshaping by pivoting DataFrame objects"].text
    assert "Use pivot() to reshape it." in pivot
    assert (
        '```\ndf.pivot(index="date", columns="variable", values="value")\npivoted["value"]\n```'
        in pivot
    )
    everything = " ".join(s.text for s in found.values())
    for chrome in ("Navigation", "Table of Contents", "Copyright", "¶", "doctools", "font-family"):
        assert chrome not in everything


def test_html_theme_with_main_and_article() -> None:
    found = snippets_of("html/pydata_theme.html")
    assert list(found) == ["numpy.sum", "numpy.sum > Examples"]
    assert "numpy.sum(a, axis=None)" in found["numpy.sum"].text
    assert ">>> np.sum([0.5, 1.5])\n2.0" in found["numpy.sum > Examples"].text
    assert "bd-docs-nav" not in found["numpy.sum"].text
    assert "Array objects" not in found["numpy.sum"].text


def test_llms_txt_link_lists() -> None:
    found = snippets_of("llms.txt")
    docs = found["FastFrame > Docs"].text
    assert (
        "- Getting started: install and a ten-minute tour (https://fastframe.dev/start.md)" in docs
    )
    assert "- Reshaping (https://fastframe.dev/reshaping.md)" in docs
    assert "FastFrame > Optional" in found
    assert "dataframe library for tabular data" in found["FastFrame"].text


def test_llms_full_is_markdown() -> None:
    found = snippets_of("llms-full.txt")
    assert 'df = ff.read_csv("data.csv")' in found["FastFrame > Getting started"].text


def test_long_sections_split_between_blocks() -> None:
    text = "# Big\n\n" + "\n\n".join(f"Paragraph {i} " + "word " * 40 for i in range(12))
    found = doc_snippets(text, library="x", version="1", source="big.md", max_chars=700)
    assert len(found) > 3
    assert all(len(s.text) <= 700 + len("Big (10)\n\n") for s in found)
    assert [s.title for s in found[:2]] == ["Big (1)", "Big (2)"]
    assert len({s.id for s in found}) == len(found)
    assert "Paragraph 11" in found[-1].text


def test_code_block_is_cut_only_when_longer_than_a_snippet() -> None:
    code = "\n".join(f"x{i} = {i}" for i in range(200))
    blocks = parse_blocks(f"# Code\n\n```\n{code}\n```\n", "markdown")
    found = sections(blocks, max_chars=500)
    assert len(found) > 1
    assert all(len(s.text) <= 500 for s in found)


def test_harvest_tree_walks_known_formats() -> None:
    found, report = harvest_tree(
        TREE, library="pandas", version="1.5.3", base_url="https://pandas.pydata.org/docs/"
    )
    assert report.files == 6
    assert report.skipped == ["notes.bin"]
    assert report.problems == []
    assert report.snippets == len(found) == len({s.id for s in found})
    sources = {s.source for s in found}
    assert "https://pandas.pydata.org/docs/guide/groupby.md" in sources
    assert {s.kind for s in found} == {SnippetKind.GUIDE}


def test_formats_by_name_and_unknown_format() -> None:
    assert doc_format("a/_sources/index.rst.txt") == "rst"
    assert doc_format("llms.txt") == "llms"
    assert doc_format("llms-full.txt") == "markdown"
    assert doc_format("x.pdf") is None
    with pytest.raises(InvalidInput):
        doc_snippets("text", library="x", version="1", source="x.pdf")
