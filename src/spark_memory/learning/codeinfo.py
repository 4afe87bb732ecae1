"""What a piece of code or a task text says, for writing lessons without an LLM.

- the APIs code calls (``df.groupby(...).transform`` -> ``groupby``, ``transform``;
  ``np.argsort`` -> ``numpy.argsort``), from its syntax tree when it parses;
- the libraries it uses, from imports and the conventional aliases;
- a minimal excerpt: the lines where a failing attempt and its fix differ;
- a short description of a task: its first prose sentences, without code or data.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from spark_memory.learning import pyparse

# Conventional aliases -> the library's import name (as in snippets' `library`).
ALIASES = {
    "pd": "pandas",
    "pandas": "pandas",
    "np": "numpy",
    "numpy": "numpy",
    "plt": "matplotlib",
    "matplotlib": "matplotlib",
    "mpl": "matplotlib",
    "sns": "seaborn",
    "seaborn": "seaborn",
    "scipy": "scipy",
    "sp": "scipy",
    "stats": "scipy",
    "sklearn": "sklearn",
    "torch": "torch",
    "nn": "torch",
    "F": "torch",
    "tf": "tensorflow",
    "tensorflow": "tensorflow",
    "keras": "tensorflow",
    "requests": "requests",
}
# Method names too common to say anything about an approach.
_BORING = frozenset(
    {"print", "len", "range", "list", "dict", "set", "tuple", "str", "int", "float", "zip",
     "enumerate", "sorted", "append", "copy", "head", "tolist", "format", "items", "keys",
     "values", "get", "join", "split", "strip", "isinstance", "type", "sum", "min", "max", "abs",
     "round", "map", "filter", "any", "all", "open", "read", "write", "show", "reset_index"}
)  # fmt: skip
_CALL = re.compile(r"(?:\b([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\s*\(")
_PROSE_WORD = re.compile(r"[A-Za-z][a-z']+")
_CODE_START = re.compile(r"^\s*(?:[\w.\[\]'\"]+\s*=|import |from |def |class |>>>|\$ |#|[\[{(<])")


def api_names(code: str) -> list[str]:
    """Distinct called APIs in order of first use; module calls qualified by library."""
    tree = pyparse.parse(code)
    if tree is not None:
        calls = list(_calls_from_tree(tree))
        local = _defined_names(tree)
    else:
        calls = [(owner or "", name) for owner, name in _CALL.findall(code)]
        local = set(re.findall(r"\bdef\s+(\w+)", code))
    seen: dict[str, None] = {}
    for owner, name in calls:
        if name in _BORING or name.startswith("_") or (not owner and name in local):
            continue
        library = ALIASES.get(owner)
        seen.setdefault(f"{library}.{name}" if library else name, None)
    return list(seen)


def _calls_from_tree(tree: ast.AST) -> Iterable[tuple[str, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            yield owner, func.attr
        elif isinstance(func, ast.Name):
            yield "", func.id


def _defined_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def libraries_in(code: str) -> list[str]:
    """Libraries the code imports or reaches through a conventional alias."""
    found: dict[str, None] = {}
    for module in re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.MULTILINE):
        found.setdefault(ALIASES.get(module, module), None)
    for alias in re.findall(r"\b([A-Za-z_]\w*)\.[A-Za-z_]", code):
        if alias in ALIASES:
            found.setdefault(ALIASES[alias], None)
    return list(found)


def new_apis(fix: str, failing: Sequence[str]) -> list[str]:
    """APIs the fix calls that no failing attempt called: the key of what changed."""
    before = {api for code in failing for api in api_names(code)}
    return [api for api in api_names(fix) if api not in before]


def diff_excerpt(failing: str, fix: str, max_lines: int = 12) -> tuple[str, str]:
    """The lines where the failing attempt and the fix differ, at most ``max_lines`` each."""
    a = [line for line in failing.strip().splitlines() if line.strip()]
    b = [line for line in fix.strip().splitlines() if line.strip()]
    matcher = difflib.SequenceMatcher(a=[x.strip() for x in a], b=[x.strip() for x in b])
    only_a: list[str] = []
    only_b: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            only_a += a[i1:i2]
            only_b += b[j1:j2]
    return _cap(only_a or a, max_lines), _cap(only_b or b, max_lines)


def _cap(lines: list[str], max_lines: int) -> str:
    kept = lines[:max_lines]
    if len(lines) > max_lines:
        kept.append(f"# ... {len(lines) - max_lines} more lines")
    return "\n".join(_dedent(kept))


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(x) - len(x.lstrip()) for x in lines if x.strip() and not x.startswith("# ...")]
    cut = min(indents, default=0)
    return [x[cut:] if not x.startswith("# ...") else x for x in lines]


def describe_task(task: str, max_chars: int = 360) -> str:
    """The first prose sentences of a task, skipping code, tables and headings."""
    text = re.sub(r"(?s)```.*?```|<code>.*?</code>", "\n", task)
    text = re.sub(r"(?m)^\s*(?:Problem|Question|Task)\s*:\s*", "", text)
    kept: list[str] = []
    for line in text.splitlines():
        if _is_prose(line):
            kept.append(line.strip())
        elif kept and sum(len(k) for k in kept) > 80:
            break  # the first paragraph of prose is the description
    if not kept:  # a task given as code: its comments describe it
        kept = [c.strip() for c in re.findall(r"(?m)^\s*#\s*(.+)$", task) if _is_prose(c)]
    summary = " ".join(kept)
    if len(summary) <= max_chars:
        return summary
    cut = summary[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("? "))
    return cut[: end + 1] if end > max_chars // 3 else cut.rsplit(" ", 1)[0] + " ..."


def _is_prose(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) < 12 or _CODE_START.match(stripped):
        return False
    words = _PROSE_WORD.findall(stripped)
    letters = sum(c.isalpha() or c == " " for c in stripped)
    return len(words) >= 4 and letters / len(stripped) > 0.75


def first_sentence(text: str, max_chars: int = 110) -> str:
    match = re.match(r"(.+?[.?!])(?:\s|$)", text)
    sentence = match[1] if match else text
    if len(sentence) > max_chars:
        sentence = sentence[:max_chars].rsplit(" ", 1)[0] + " ..."
    return sentence


def most_common(values: Iterable[str]) -> str:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else ""
