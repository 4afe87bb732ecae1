"""API names a query spells out in its prose: ``tz_localize``, ``.str.split(...)``,
``np.einsum``, `` `DataFrame.explode` ``.

An identifier written in the words of a question (snake_case, camelCase, a call, a
backticked name) is what the asker asks about: "I used tz_localize ... how do I remove
the offset?". The same name in the question's set-up code usually is not (``read_csv``,
``head`` are what the asker already has), and a plain word ("sum", "sort") names too
many APIs to mean one. The class a task works on ("my DataFrame") names its object,
not the API it needs. Search raises the pages of the names left (``hybrid``).
"""

from __future__ import annotations

import re

from spark_memory.task_text import prose

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL = re.compile(r"\.([A-Za-z_]\w*)\(")
_TICKED = re.compile(r"`(?:[\w.]*\.)?(\w+)(?:\(\))?`")
_DOTTED = re.compile(r"(?<![\w.])[A-Za-z_]\w*\.([A-Za-z_]\w{2,})\b(?!\.)")  # np.einsum, df.melt
MIN_CHARS = 4
OBJECT_CLASSES = frozenset({"DataFrame", "Series", "ndarray", "array", "Tensor", "Index"})


def named_in_prose(query: str) -> frozenset[str]:
    """Last parts of the API names the query's prose spells as identifiers."""
    words = prose(query)
    spelled = {w for w in _IDENTIFIER.findall(words) if len(w) >= MIN_CHARS and _identifier(w)}
    found = spelled.union(*(p.findall(words) for p in (_CALL, _TICKED, _DOTTED)))
    return frozenset(found - OBJECT_CLASSES)


def _identifier(word: str) -> bool:
    """snake_case or camelCase: a word no sentence would spell so."""
    return "_" in word.strip("_") or any(c.isupper() for c in word[1:])
