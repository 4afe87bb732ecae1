"""What an API's dotted name says about it, as search and the coach both read it.

``pandas.DataFrame.shift`` is a class's method and ``pandas.merge`` a module's function;
the owner's capital says which, except for numpy, whose array classes are spelled in
lower case (``numpy.ndarray.mean``, ``numpy.memmap.mean``). Facts about the libraries'
names, not about any benchmark.
"""

from __future__ import annotations

# numpy's classes with methods that share names with functions and other classes' methods
LOWER_CASE_CLASSES = frozenset(
    {
        *("ndarray", "matrix", "memmap", "recarray", "chararray", "record", "generic"),
        *("mvoid", "mrecarray", "poly1d", "nditer", "flatiter", "dtype", "ufunc"),
    }
)


def method_name(symbol: str) -> str:
    """The member name when ``symbol`` is a class's member (``shift`` for
    ``pandas.DataFrame.shift``), else "" (a function, a module, a class)."""
    owner, _, name = symbol.rpartition(".")
    cls = owner.rpartition(".")[2]
    is_class = cls[:1].isupper() or cls in LOWER_CASE_CLASSES
    return name if owner.count(".") >= 1 and is_class else ""
