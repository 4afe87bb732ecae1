"""The docstring parser on real numpydoc, Google and Sphinx-field docstrings."""

from __future__ import annotations

import random

import pytest

from spark_memory.knowledge.docstrings import Param, parse_docstring
from tests.knowledge.conftest import FIXTURES

DOCSTRINGS = FIXTURES / "docstrings"


def real(name: str) -> str:
    return (DOCSTRINGS / f"{name}.txt").read_text(encoding="utf-8")


def test_numpydoc_function() -> None:
    doc = parse_docstring(real("numpy_sum"))
    assert doc.summary == "Sum of array elements over a given axis."
    assert [p.name for p in doc.parameters][:4] == ["a", "axis", "dtype", "out"]
    assert doc.parameters[0] == Param("a", "array_like", "Elements to sum.")
    assert doc.returns[0].name == "sum_along_axis"
    assert doc.returns[0].type == "ndarray"
    assert doc.see_also[:3] == ("ndarray.sum", "add.reduce", "cumsum")
    assert doc.notes.startswith("Arithmetic is modular")
    assert doc.examples.startswith(">>> np.sum([0.5, 1.5])")
    assert doc.problems == ()


def test_numpydoc_class_attributes() -> None:
    doc = parse_docstring(real("sklearn_minmaxscaler"))
    assert doc.summary == "Transform features by scaling each feature to a given range."
    assert "feature_range" in [p.name for p in doc.parameters]
    attributes = {a.name: a for a in doc.attributes}
    assert attributes["data_min_"].type == "ndarray of shape (n_features,)"
    assert "MinMaxScaler()" in doc.examples


def test_pandas_docstring_keeps_prose_and_sections() -> None:
    doc = parse_docstring(real("pandas_where"))
    assert doc.summary == "Replace values where the condition is False."
    assert doc.notes.startswith("The where method is an application of the if-then idiom.")
    assert doc.parameters[0].name == "cond"
    assert doc.returns[0].type == "Same type as caller or None if ``inplace=True``."
    assert "s.where(s > 0)" in doc.examples


def test_google_style_with_c_signature_and_overloads() -> None:
    doc = parse_docstring(real("torch_sum"))
    assert doc.signature == "sum(input, *, dtype=None) -> Tensor"
    assert doc.summary == "Returns the sum of all elements in the :attr:`input` tensor."
    names = [p.name for p in doc.parameters]
    # "Args:" and "Keyword args:" of both overloads, each indented its own way
    assert {"input", "dtype", "dim", "keepdim"} <= set(names)
    assert Param("input", "Tensor", "the input tensor.") in doc.parameters
    assert doc.notes.startswith(".. note:: Use the `dtype` argument")
    assert ">>> torch.sum(a)" in doc.examples


def test_google_style_note_directive_keeps_its_paragraphs() -> None:
    doc = parse_docstring(real("torch_softmax"))
    assert [p.name for p in doc.parameters] == ["input", "dim", "dtype"]
    assert doc.parameters[1].type == "int"
    assert "NLLLoss" in doc.notes
    assert "NLLLoss" not in doc.extended


def test_google_style_with_doctests_in_the_prose() -> None:
    doc = parse_docstring(real("tf_reduce_sum"))
    assert doc.summary == "Computes the sum of elements across dimensions of a tensor."
    assert [p.name for p in doc.parameters] == ["input_tensor", "axis", "keepdims", "name"]
    assert doc.returns == (
        Param("", "", "The reduced tensor, of the same dtype as the input_tensor."),
    )
    assert ">>> tf.reduce_sum(x)" in doc.examples
    assert ">>>" not in doc.extended


def test_sphinx_field_lists() -> None:
    doc = parse_docstring(
        """Open a store.

        :param path: where the file lives
        :type path: pathlib.Path
        :param int timeout: seconds to wait
            for the lock
        :returns: the open store
        :rtype: Store
        :raises StoreError: when the file is corrupt
        """
    )
    assert doc.summary == "Open a store."
    assert doc.parameters == (
        Param("path", "pathlib.Path", "where the file lives"),
        Param("timeout", "int", "seconds to wait for the lock"),
    )
    assert Param("", "", "the open store") in doc.returns
    assert doc.raises == (Param("StoreError", "", "when the file is corrupt"),)


def test_module_doc_with_rst_title() -> None:
    doc = parse_docstring("NumPy\n=====\n\nProvides\n  1. An array object\n")
    assert doc.summary == "NumPy"
    assert doc.problems == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Parameters\n----------\n  orphan\nx : int\n", "parameters: text before the first item"),
        ("Notes\n-----\nA\n\nNotes\n-----\nB\n", "repeated section notes"),
        ("Parameters\n----------\nx : int\n", "no summary line"),
    ],
)
def test_malformed_docstrings_parse_and_say_why(text: str, problem: str) -> None:
    assert problem in parse_docstring(text).problems


def test_any_text_parses() -> None:
    """Total: random fragments of real docstrings never raise."""
    pieces = [
        line
        for name in ("numpy_sum", "torch_sum", "tf_reduce_sum")
        for line in real(name).splitlines()
    ]
    pieces += ["-----", "Args:", "::", ">>>", "```", ":param:", "", "    ", "\t", "Returns", "\x00"]
    rng = random.Random(7)
    for _ in range(300):
        parse_docstring("\n".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))))
    assert parse_docstring(None).summary == ""
    assert parse_docstring("").parameters == ()


def test_module_doc_with_site_markup() -> None:
    doc = parse_docstring(
        """
        .. _statsrefmanual:

        ==========================================
        Statistical functions (:mod:`scipy.stats`)
        ==========================================

        .. currentmodule:: scipy.stats

        This module contains a large number of probability distributions.

        .. autosummary::
           :toctree: generated/

           rv_continuous
        """
    )
    assert doc.summary == "Statistical functions (:mod:`scipy.stats`)"
    assert doc.extended == "This module contains a large number of probability distributions."
