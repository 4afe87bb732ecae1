"""Parsing code agents send, without letting its shape crash the reader.

``ast.parse`` and ``ast.unparse`` recurse: a few thousand nested operators
(``x = a+a+...+a``) raise ``RecursionError`` and a deeper run of unary operators
``MemoryError`` (CPython's parser stack). Code that deep is not something a lesson
advises; it is read as text instead (the callers' line rules), never as a crash.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence


def parse(code: str) -> ast.Module | None:
    """The syntax tree of ``code``, or None when it is not Python a reader can walk."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # MemoryError here is the parser's "too deeply nested", not an exhausted heap.
        return None


def source_of(node: ast.AST, lines: Sequence[str]) -> str:
    """The source text of ``node`` (``lines`` are the code's lines), or ''.

    Cut from the lines by the node's positions, as ``ast.get_source_segment`` does,
    without re-splitting the whole source per node or recursing as ``ast.unparse`` does.
    """
    first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    start, end = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
    if first is None or last is None or start is None or end is None or last > len(lines):
        return ""
    # column offsets count UTF-8 bytes
    chunk = [line.encode() for line in lines[first - 1 : last]]
    if len(chunk) == 1:
        return chunk[0][start:end].decode(errors="replace")
    chunk[0], chunk[-1] = chunk[0][start:], chunk[-1][:end]
    return b"\n".join(chunk).decode(errors="replace")
