"""API names a task, its code or its error mention: the cheapest, sharpest retrieval cue.

A name is qualified through the imports when it can be (``np.where`` with ``import
numpy as np`` is ``numpy.where``; ``CountVectorizer`` imported from
``sklearn.feature_extraction.text`` is that path); a method or attribute on an object
of unknown type stays bare (``value_counts``) and is resolved against the knowledge
base later. Where a name was seen matters: a name in prose or in an error is what
the caller is asking about; a name in set-up code often is not.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable, Mapping

from spark_memory.coach.models import ApiMention
from spark_memory.libraries import BY_ALIAS, BY_NAME, BY_WORD
from spark_memory.store.lexical import STOP_WORDS
from spark_memory.task_text import is_source, prose

MAX_MENTIONS = 16
MAX_GUESSES = 200

_FENCED = re.compile(r"```[\w+-]*\n(.*?)```", re.S)
_CODE_TAG = re.compile(r"<code>(.*?)(?:</code>|\Z)", re.S)
_CODE_LINE = re.compile(
    r"^(?:\s*(?:import|from|def|class|for|if|return|print)\b|\s*>>>|\s*#|.*\w\s*=[^=]|.*\w\(.*\)\s*$)"
)
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(\s*\()?")
_BACKTICK = re.compile(r"`([A-Za-z_][\w.]*)(?:\(\))?`")
_PROSE_CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\(\)")
_PROSE_NAME = re.compile(r"(?<![\w.])((?:[A-Za-z_]\w*\.)*(?:[a-z]+_\w+|[A-Z][a-z]+[A-Z]\w*))\b")
_PROSE_DOTTED = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)")
_DEFINED = re.compile(r"^\s*(?:def|class)\s+(\w+)|^\s*(\w+)\s*=[^=]", re.M)
_IMPORT_LINE = re.compile(r"^\s*(?:import|from)\s.*$", re.M)
_QUOTED_NAME = re.compile(r"'([A-Za-z_]\w*)'")
_ERROR_OBJECT = re.compile(r"'(\w+)' object has no attribute '(\w+)'")

_PROSE_WORD = re.compile(r"[A-Za-z]+")
_NOT_APIS = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"self", "cls"}


def code_blocks(text: str) -> list[str]:
    """Code embedded in free text: fenced blocks, ``<code>`` blocks and code-like lines."""
    blocks = _FENCED.findall(text) + _CODE_TAG.findall(text)
    prose = _CODE_TAG.sub("", _FENCED.sub("", text))
    lines = [line for line in prose.splitlines() if _CODE_LINE.match(line)]
    return [*blocks, "\n".join(lines)] if lines else blocks


def is_code_line(line: str) -> bool:
    return bool(_CODE_LINE.match(line))


def prose_of(text: str) -> str:
    """``text`` without its fenced and ``<code>`` blocks; of a task pasted as Python
    source, its comments (``task_text.prose``): ``sns.boxplot(...)`` above "# set the y
    axis limit" is set-up, not a name the asker asks about."""
    if is_source(text):
        return prose(text)
    return _CODE_TAG.sub("\n", _FENCED.sub("\n", text))


def mentioned(
    task: str, code: str, aliases: Mapping[str, str], error: str = ""
) -> list[ApiMention]:
    """Distinct API names, error first, then prose, then code; at most MAX_MENTIONS."""
    local = _defined_names(code + "\n" + task)
    found: dict[str, ApiMention] = {}
    for where, names in (
        ("error", _error_names(error)),
        ("prose", _prose_names(prose_of(task))),
        ("code", _code_names(code)),
    ):
        for name in names:
            qualified = qualify(name, aliases)
            if qualified and qualified.split(".")[0] not in local and qualified not in found:
                found[qualified] = ApiMention(name=qualified, where=where)
    return list(found.values())[:MAX_MENTIONS]


def qualify(name: str, aliases: Mapping[str, str]) -> str:
    """Dotted module path for a name when its head is an import, else its tail.

    The tail starts at the last class-like (CamelCase) part, so ``'DataFrame' object
    has no attribute 'append'`` gives ``DataFrame.append`` while ``df.col.sum`` gives
    ``sum``. Returns "" for what cannot be an API: builtins, keywords, bare modules.
    """
    head, _, rest = name.partition(".")
    module = aliases.get(head) or BY_ALIAS.get(head) or (head if head in BY_NAME else "")
    if module:
        return f"{module}.{rest}" if rest else ("" if module in BY_NAME else module)
    parts = name.split(".")
    start = max((n for n, p in enumerate(parts[:-1]) if p[:1].isupper()), default=len(parts) - 1)
    tail = ".".join(parts[start:])
    return "" if tail in _NOT_APIS or len(tail) < 2 else tail


def guesses(prose: str) -> list[str]:
    """Words and two-word phrases of prose that could be API names: ``sort``,
    ``drop_duplicates`` and ``groupby`` from "drop duplicates" and "group by"."""
    words = [w.lower() for w in _PROSE_WORD.findall(prose) if w.lower() not in BY_WORD]
    out: dict[str, None] = {}
    for n, word in enumerate(words):
        if len(word) > 2 and word not in STOP_WORDS:
            out[word] = None
            if word.endswith("s") and len(word) > 3:
                out[word[:-1]] = None
        if n + 1 < len(words) and word not in STOP_WORDS:
            out[f"{word}_{words[n + 1]}"] = None
            out[f"{word}{words[n + 1]}"] = None
    return list(out)[:MAX_GUESSES]


def _code_names(code: str) -> Iterable[str]:
    code = _IMPORT_LINE.sub("", _strip_strings(code))
    for found in _CHAIN.finditer(code):
        chain, called = found[1], bool(found[2])
        head = chain.split(".", 1)[0]
        if "." in chain or called or head in BY_ALIAS:
            yield chain


def _prose_names(prose: str) -> Iterable[str]:
    yield from _BACKTICK.findall(prose)
    yield from _PROSE_CALL.findall(prose)
    yield from _PROSE_DOTTED.findall(prose)
    yield from _PROSE_NAME.findall(prose)


def _error_names(error: str) -> Iterable[str]:
    for obj, attr in _ERROR_OBJECT.findall(error):
        yield f"{obj}.{attr}"
    yield from _QUOTED_NAME.findall(error)


def _defined_names(code: str) -> set[str]:
    return {a or b for a, b in _DEFINED.findall(code)} - set(BY_ALIAS) - set(BY_NAME)


def _strip_strings(code: str) -> str:
    # Column names and messages inside string literals are data, not API calls.
    return re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", "''", code)
