"""What an API's dotted name says about it, as search and the coach both read it.

``pandas.DataFrame.shift`` is a class's method and ``pandas.merge`` a module's function;
the owner's capital says which, except for numpy and scipy.sparse, whose array classes
are spelled in lower case (``numpy.ndarray.mean``, ``scipy.sparse.csr_matrix.tolil``).
Some namespaces repeat a library's functions for another kind of data or an older
interface (``numpy.ma.sum`` beside ``numpy.sum``): ``is_variant``. Facts about the
libraries' names, not about any benchmark.
"""

from __future__ import annotations

import re

# numpy's and scipy.sparse's classes with methods that share names with functions and
# other classes' methods
_SPARSE_FORMATS = ("bsr", "coo", "csc", "csr", "dia", "dok", "lil")
LOWER_CASE_CLASSES = frozenset(
    {
        *("ndarray", "matrix", "memmap", "recarray", "chararray", "record", "generic"),
        *("mvoid", "mrecarray", "poly1d", "nditer", "flatiter", "dtype", "ufunc"),
        *(f"{f}_{kind}" for f in _SPARSE_FORMATS for kind in ("array", "matrix")),
        *("spmatrix", "sparray"),
    }
)
# Namespaces whose functions repeat the library's own for masked arrays, matrices, the
# array-API standard's subset, strings, MATLAB-style scripts, raw kernels, older
# interfaces, masked and sparse tensors: an answer for ordinary data names the library's
# function, and the variant only where nothing else has the name.
VARIANT_NAMESPACES = (
    *("numpy.ma.", "numpy.matlib.", "numpy.array_api.", "numpy.char.", "scipy.stats.mstats."),
    *("matplotlib.pylab.", "tensorflow.raw_ops.", "tensorflow.compat."),
    *("tensorflow.ragged.", "tensorflow.sparse.", "torch.masked.", "torch.sparse."),
    "torch.special.",
)


# Classes whose methods share names with the data's but do something else: a rolling
# window's ``mean`` is not a column's ``mean``, nor a group's.
_OPERATION = re.compile(r"GroupBy|Rolling|Expanding|ExponentialMovingWindow|Window|Resampler")


def owner_class(symbol: str) -> str:
    """The last part of the owner of a member (``DataFrame`` of ``pandas.DataFrame.shift``,
    ``numpy`` of ``numpy.ma.mean``), else "" (a top-level name such as ``numpy.mean``)."""
    parts = symbol.split(".")
    return parts[-2] if len(parts) > 2 else ""


def method_name(symbol: str) -> str:
    """The member name when ``symbol`` is a class's member (``shift`` for
    ``pandas.DataFrame.shift``), else "" (a function, a module, a class)."""
    cls = owner_class(symbol)
    is_class = cls[:1].isupper() or cls in LOWER_CASE_CLASSES
    return symbol.rpartition(".")[2] if is_class else ""


def method_key(symbol: str) -> str:
    """One key for a method name across the classes that hold the same data
    (``Series.tolist``, ``Categorical.tolist``, ``Index.tolist``), another for each kind
    of operation object (``Rolling.mean`` is not ``Series.mean``); "" for no method."""
    name = method_name(symbol)
    if not name:
        return ""
    operation = _OPERATION.search(owner_class(symbol))
    return f"{operation.group(0)}.{name}" if operation else name


def function_key(symbol: str) -> tuple[str, str] | None:
    """(library, name) of a module's function, None for a class's member; the key
    ``numpy.sum`` and its variants ``numpy.ma.sum``, ``numpy.matlib.sum`` share."""
    if method_name(symbol) or "." not in symbol:
        return None
    return symbol.split(".", 1)[0], symbol.rpartition(".")[2]


def is_variant(symbol: str) -> bool:
    """A function of a ``VARIANT_NAMESPACES`` namespace."""
    return symbol.startswith(VARIANT_NAMESPACES)
