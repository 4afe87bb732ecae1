"""API names a query spells out in its prose: ``tz_localize``, ``.str.split(...)``,
``np.einsum``, `` `DataFrame.explode` ``.

An identifier written in the words of a question (snake_case, camelCase, a call, a
backticked name) is what the asker asks about: "I used tz_localize ... how do I remove
the offset?". The same name in the question's set-up code usually is not (``read_csv``,
``head`` are what the asker already has), and a plain word ("sum", "sort") names too
many APIs to mean one. The class a task works on ("my DataFrame") names its object,
not the API it needs. Search raises the pages of the names left (``hybrid``), and
ranks the likeliest of them (``named_pages``) at least fifth, found by a channel or not:
"using df.sample(n)" is a call of ``DataFrame.sample`` however little the rest of the
question reads like its page.
"""

from __future__ import annotations

import re

from spark_memory.api_names import owner_class
from spark_memory.libraries import used_in
from spark_memory.models import SearchFilters
from spark_memory.search.rank import MAIN_CLASSES
from spark_memory.search.symbol_index import SymbolNames
from spark_memory.task_text import prose

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL = re.compile(r"\.([A-Za-z_]\w*)\(")
_TICKED = re.compile(r"`(?:[\w.]*\.)?(\w+)(?:\(\))?`")
_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*\.([A-Za-z_]\w{2,})\b(?!\.)")  # np.einsum, df.melt
MIN_CHARS = 4
OBJECT_CLASSES = frozenset({"DataFrame", "Series", "ndarray", "array", "Tensor", "Index"})
_FIRST = MAIN_CLASSES | {""}
PAGES_PER_NAME = 2  # one name, several classes: DataFrame.sample and Series.sample


def named_in_prose(query: str) -> frozenset[str]:
    """Last parts of the API names the query's prose spells as identifiers."""
    words = prose(query)
    spelled = {w for w in _IDENTIFIER.findall(words) if len(w) >= MIN_CHARS and _identifier(w)}
    found = spelled.union(*(p.findall(words) for p in (_CALL, _TICKED, _DOTTED)))
    return frozenset(found - OBJECT_CLASSES)


def _identifier(word: str) -> bool:
    """snake_case or camelCase: a word no sentence would spell so."""
    return "_" in word.strip("_") or any(c.isupper() for c in word[1:])


def named_pages(
    names: frozenset[str], query: str, index: SymbolNames, filters: SearchFilters
) -> list[str]:
    """Ids of the public API pages ``names`` (``named_in_prose(query)``) most likely
    mean, among those the caller's ``filters`` admit: in the libraries the task uses,
    methods of the task's classes and module functions first, at most PAGES_PER_NAME a
    name."""
    if filters.kinds and "api" not in filters.kinds:
        return []
    libraries = used_in(query)
    out: list[str] = []
    for name in sorted(names):
        pages = [
            e
            for e in index.by_last.get(name, ())
            if e.kind == "api"
            and e.id not in index.internal
            and (not libraries or e.library in libraries)
            and index.admits(e.id, filters)
        ]
        # a method of a frame, column, array or tensor, or a module function, is what a
        # bare call in a question most likely means
        pages.sort(
            key=lambda e: (owner_class(e.symbol) not in _FIRST, e.symbol.count("."), len(e.symbol))
        )
        out.extend(e.id for e in pages[:PAGES_PER_NAME])
    return out
