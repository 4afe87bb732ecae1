"""What a pasted task says in words, as search and the coach both read it.

An agent pastes its task whole: the question, a printout of its data, its set-up code.
Two readers need less than that:

- ``prose``: the words without the code blocks, where a name the asker *asks about*
  is spelled (the set-up code spells what the asker already has). A task pasted as
  Python source says what it wants in its comments ("# set the y axis limit to be 0
  to 40" after the lines that draw a boxplot): its comments are its prose.
- ``for_embedding``: what the sentence embedder should read. MiniLM reads the first
  256 word pieces and no more; a printed table ("0  Aaron  3  5  7") or a data
  literal spends them on numbers, so the question that follows it is cut off. The
  embedder reads the prose without its data rows; a task that is all code or data
  is read whole, since nothing else says what it is about. On DS-1000 prompts this
  raised distinctive-API recall@10 (docs/benchmarks.md).
"""

from __future__ import annotations

import ast
import functools
import re

# Markdown fences and DS-1000's <code> tags; an unclosed block runs to the end.
_FENCED = re.compile(r"```.*?(?:```|\Z)", re.S)
_CODE_TAG = re.compile(r"<code>.*?(?:</code>|\Z)", re.S)
# One cell of a printed table: a number, a date or time, a missing or boolean value.
_CELL = re.compile(r"^[-+]?(?:\d[\d.,:/eE+\-]*%?|nan|NaN|None|True|False|NaT|inf)$")
DATA_SHARE = 0.5  # of a line's cells, for the line to be a data row
MIN_WORDS = 3  # fewer left: the task is its code and data, read it whole
_COMMENT = re.compile(r"^[ \t]*#+[ \t]?(.*)$", re.M)


def prose(text: str) -> str:
    """``text`` without its code blocks; the comments of a task written as Python."""
    if is_source(text):
        comments = "\n".join(_COMMENT.findall(text)).strip()
        if comments:
            return comments
    return _CODE_TAG.sub(" ", _FENCED.sub(" ", text))


@functools.lru_cache(maxsize=64)
def is_source(text: str) -> bool:
    """Python that does something: a lone word ("argsort") parses too, and says no more
    than a sentence would. Cached: search asks twice per query (prose and embedding)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # "1+1+...+1" or a long attribute chain exhausts the parser's recursion
        return False
    return any(
        not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Name | ast.Constant))
        for n in tree.body
    )


def is_data_row(line: str) -> bool:
    cells = line.split()
    data = sum(1 for c in cells if _CELL.match(c))
    return len(cells) >= 2 and data >= DATA_SHARE * len(cells)


def for_embedding(text: str) -> str:
    """The prose of ``text`` without its data rows; all of it when that leaves
    fewer than MIN_WORDS words."""
    kept = "\n".join(line for line in prose(text).splitlines() if not is_data_row(line))
    return kept if len(kept.split()) >= MIN_WORDS else text
