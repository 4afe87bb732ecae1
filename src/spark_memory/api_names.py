"""What an API's dotted name says about it, as search and the coach both read it.

``pandas.DataFrame.shift`` is a class's method and ``pandas.merge`` a module's function;
the owner's capital says which, except for numpy, whose array classes are spelled in
lower case (``numpy.ndarray.mean``, ``numpy.memmap.mean``). Facts about the libraries'
names, not about any benchmark.
"""

from __future__ import annotations

import re

# numpy's classes with methods that share names with functions and other classes' methods
LOWER_CASE_CLASSES = frozenset(
    {
        *("ndarray", "matrix", "memmap", "recarray", "chararray", "record", "generic"),
        *("mvoid", "mrecarray", "poly1d", "nditer", "flatiter", "dtype", "ufunc"),
    }
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
