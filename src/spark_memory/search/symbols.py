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

# Path parts that mark an implementation module rather than the public API.
_PRIVATE_PARTS = frozenset({"core", "internals", "compat", "src", "impl"})
_INHERITED = re.compile(r"^Inherited from ([\w.]+?)\.?$", re.M)
_ALSO = re.compile(r"^Also available as: (.+)$", re.M)
_TAUGHT = re.compile(r"^(?:APIs|API symbols|Teaches): (.+)$", re.M)
_NAME = re.compile(r"^[A-Za-z_][\w.]*$")
API_KINDS = frozenset({"api", "example"})
GUIDE_KINDS = frozenset({"guide", "note"})


def is_private(symbol: str) -> bool:
    parts = symbol.split(".")
    return any(p.startswith("_") or p in _PRIVATE_PARTS for p in parts[1:])


def display_name(names: Iterable[str]) -> str:
    """The name to show: public before private, then the shortest path."""
    found = [n for n in names if n]
    if not found:
        return ""
    return min(found, key=lambda n: (is_private(n), n.count("."), len(n), n))


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
    return inherited_from(text, symbol) or symbol
