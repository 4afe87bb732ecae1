"""What a documentation snippet names: its symbol, its aliases, the APIs a guide teaches.

One API can be stored under several paths: an inherited method is documented again
under every class that inherits it (``DataFrameGroupBy.sum`` says "Inherited from
pandas.core.groupby.GroupBy.sum."), and an object reachable by several import paths
lists them ("Also available as: ..."). These are one thing to a reader, so search and
the coach collapse them into one result (``identity``) and show its public name
(``display_name``): never a private ``*.core.*`` or ``_``-prefixed path where a public
one exists.

A documentation section (a user-guide or tutorial passage, a gallery example; its
symbol is ``doc#anchor``) carries the API symbols it teaches (``Snippet.apis``, or a
line ``APIs: pandas.DataFrame.groupby, ...`` of its text): a hit on it counts for,
and cites, those APIs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from spark_memory.api_names import owner_class
from spark_memory.models import API_KINDS, GUIDE_KINDS

# Path parts that mark an implementation module rather than the public API
# (``tensorflow.python`` holds TensorFlow's implementation). ``compat`` stays private
# even for ``tensorflow.compat.v1``: TF1's API under TensorFlow 2 is what a TF2 task
# should not be shown; made public, its pages crowded out ``tf.argmin`` with
# ``tf.compat.v1.argmin`` and ``tf.compat.v1.math.reduce_min`` (TensorFlow's
# distinctive R@10 0.667 -> 0.500 on the development split).
_PRIVATE_PARTS = frozenset({"core", "internals", "compat", "src", "impl", "python"})
_INHERITED = re.compile(r"^Inherited from ([\w.]+?)\.?$", re.M)
_ALSO = re.compile(r"^Also available as: (.+)$", re.M)
_TAUGHT = re.compile(r"^(?:APIs|API symbols|Teaches): (.+)$", re.M)
_NAME = re.compile(r"^[A-Za-z_][\w.]*$")


def is_private(symbol: str) -> bool:
    parts = symbol.split(".")
    return any(p.startswith("_") or p in _PRIVATE_PARTS for p in parts[1:])


def display_name(names: Iterable[str], owners: Sequence[frozenset[str]] = ()) -> str:
    """The name to show: public before private, then a method of the first of ``owners``
    (sets of class names, best first) its class is in, then the shortest path."""
    found = [n for n in names if n]
    if not found:
        return ""

    def rank(name: str) -> int:
        owner = owner_class(name)
        return next((i for i, group in enumerate(owners) if owner in group), len(owners))

    return min(found, key=lambda n: (is_private(n), rank(n), n.count("."), len(n), n))


def aliases(text: str) -> list[str]:
    found = _ALSO.search(text)
    if not found:
        return []
    return [a.strip() for a in found[1].split(",") if _NAME.match(a.strip())]


def inherited_from(text: str, symbol: str = "") -> str:
    """The API an inherited copy documents again. Ingest names the base *class*
    ("Inherited from pandas.core.generic.NDFrame."): the method is that class's member
    of the same name. Keyed by the class alone, every method a class inherits
    (``Series.sample``, ``DataFrame.size``, ``Series.pipe``) would be one API."""
    found = _INHERITED.search(text)
    if not found:
        return ""
    origin, last = found[1], symbol.rsplit(".", 1)[-1]
    if not last or origin.rsplit(".", 1)[-1] == last:
        return origin
    return f"{origin}.{last}"


def taught(text: str) -> list[str]:
    """The API symbols a guide section teaches, as its ingest recorded them."""
    out: list[str] = []
    for line in _TAUGHT.findall(text):
        out += [n.strip().strip("`") for n in line.split(",")]
    return list(dict.fromkeys(n for n in out if _NAME.match(n) and "." in n))


def is_section(symbol: str, kind: str) -> bool:
    """A passage of a document (guide, tutorial, gallery example), not an API's page."""
    return "#" in symbol or kind in GUIDE_KINDS


def names(symbol: str, kind: str, text: str, apis: Sequence[str] = ()) -> tuple[str, ...]:
    """Every API name a snippet stands for: symbol, aliases, origin; a section's APIs."""
    if is_section(symbol, kind):
        return tuple(dict.fromkeys([*apis, *taught(text)]))
    origin = inherited_from(text, symbol)
    found = [symbol, *aliases(text), *([origin] if origin else [])]
    return tuple(dict.fromkeys(n for n in found if n))


def identity(symbol: str, kind: str, text: str, snippet_id: str) -> str:
    """A key shared by the snippets of one API (its reference, examples, inherited
    copies); a guide section is its own."""
    if kind not in API_KINDS or not symbol or is_section(symbol, kind):
        return snippet_id
    return _defined(inherited_from(text, symbol) or symbol)


def body_key(symbol: str, kind: str, text: str) -> str:
    """A class member's documentation without its signature line, or "".

    Two members of one class with one documentation are one function under two names
    (pandas assigns ``agg = aggregate``, ``isnull = isna``); no page says so."""
    if kind not in API_KINDS or is_section(symbol, kind):
        return ""
    owner = symbol.rpartition(".")[0]
    body = text.partition("\n")[2].strip()
    return f"{owner}\n{body}" if owner and body else ""


def _defined(path: str) -> str:
    """One key for a class member under every private module path it is reachable by.

    A class defined in a private module is often documented under a shorter private
    path it is re-exported from: ``SeriesGroupBy.cumsum`` says "Inherited from
    pandas.core.groupby.groupby.GroupBy" while the base's own page is
    ``pandas.core.groupby.GroupBy.cumsum``. Private paths of one library's class member
    therefore share ``library:Class.member``; public paths keep their own, since two
    public classes of one name can differ (``torch.nn.quantized.Conv3d`` and
    ``torch.nn.quantized.dynamic.Conv3d``)."""
    parts = path.split(".")
    if len(parts) >= 3 and parts[-2][:1].isupper() and is_private(path):
        return f"{parts[0]}:{parts[-2]}.{parts[-1]}"
    return path
