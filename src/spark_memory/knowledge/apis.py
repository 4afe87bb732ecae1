"""The API symbols a guide section teaches, as the knowledge base's canonical names.

Three kinds of evidence, strongest first: the reference pages a Sphinx HTML section
links to and the reST roles it uses (``Block.refs``, with the ``currentmodule`` in
force), then the calls in its code and the attributes it reads or sets on a known
object (``df.values``, ``s.iloc[0]``, ``df.columns = ...``). Calls are resolved the way
a reader would: import aliases (``np``, ``pd``, ``from sklearn.svm import SVC``), the
type a variable was given (``df = pd.DataFrame(...)``, ``fig, ax = plt.subplots()``,
``grouped = df.groupby("a")``) and, failing that, what its name says (``df``, ``ax``).

A ``SymbolTable`` holds the canonical names of the API snippets already in the
knowledge base and their aliases; every name found is mapped through it (an alias to
its canonical name, ``DataFrame.groupby`` under ``pandas`` to ``pandas.DataFrame.groupby``,
``.Axes.legend`` to the one symbol ending so), and names it does not know are dropped.
Without a table (an empty knowledge base) explicit references are kept as written and
code calls only when module-qualified.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from spark_memory.knowledge.markup import Block
from spark_memory.models import Snippet, SnippetKind

__all__ = ["MAX_APIS", "CodeReader", "SymbolTable", "code_calls", "section_apis"]

MAX_APIS = 40

# Import names as the libraries' own documentation spells them.
DEFAULT_IMPORTS: dict[str, str] = {
    "np": "numpy",
    "numpy": "numpy",
    "pd": "pandas",
    "pandas": "pandas",
    "plt": "matplotlib.pyplot",
    "mpl": "matplotlib",
    "matplotlib": "matplotlib",
    "scipy": "scipy",
    "sklearn": "sklearn",
    "tf": "tensorflow",
    "torch": "torch",
}
# What a variable's name says it holds, when the code never says (doc snippets
# start mid-story: ``df.groupby("a").sum()``).
NAME_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(df|frame|dframe)\d*$|_df$"), "pandas.DataFrame"),
    (re.compile(r"^(s|ser|series|ts)\d*$"), "pandas.Series"),
    (re.compile(r"^(ax|axs|axes|ax\d+|ax_\w+)$"), "matplotlib.axes.Axes"),
    (re.compile(r"^fig\d*$"), "matplotlib.figure.Figure"),
    (re.compile(r"^(arr|ndarray)\d*$"), "numpy.ndarray"),
)
# Calls whose result type the docs rely on; the rest keep the receiver's type when
# it is one of these containers (most DataFrame/Series/ndarray methods return one).
RETURNS: dict[str, str] = {
    "pandas.DataFrame.groupby": "pandas.core.groupby.DataFrameGroupBy",
    "pandas.Series.groupby": "pandas.core.groupby.SeriesGroupBy",
    "pandas.DataFrame.rolling": "pandas.core.window.rolling.Rolling",
    "pandas.Series.rolling": "pandas.core.window.rolling.Rolling",
    "pandas.DataFrame.resample": "pandas.core.resample.Resampler",
    "pandas.Series.resample": "pandas.core.resample.Resampler",
    "pandas.DataFrame.to_numpy": "numpy.ndarray",
    "pandas.Series.to_numpy": "numpy.ndarray",
    "matplotlib.pyplot.figure": "matplotlib.figure.Figure",
    "matplotlib.pyplot.gcf": "matplotlib.figure.Figure",
    "matplotlib.pyplot.gca": "matplotlib.axes.Axes",
    "matplotlib.pyplot.subplot": "matplotlib.axes.Axes",
    "matplotlib.pyplot.axes": "matplotlib.axes.Axes",
    "matplotlib.figure.Figure.add_subplot": "matplotlib.axes.Axes",
    "matplotlib.figure.Figure.add_axes": "matplotlib.axes.Axes",
    "matplotlib.figure.Figure.gca": "matplotlib.axes.Axes",
    "matplotlib.axes.Axes.twinx": "matplotlib.axes.Axes",
    "matplotlib.axes.Axes.twiny": "matplotlib.axes.Axes",
}
TUPLE_RETURNS: dict[str, tuple[str, ...]] = {
    "matplotlib.pyplot.subplots": ("matplotlib.figure.Figure", "matplotlib.axes.Axes"),
}
SAME_TYPE = ("pandas.DataFrame", "pandas.Series", "numpy.ndarray")
# What the methods of a group or an accessor give back, by the receiver's class name.
RESULTS: dict[str, str] = {
    "DataFrameGroupBy": "pandas.DataFrame",
    "SeriesGroupBy": "pandas.Series",
    "str": "pandas.Series",
    "dt": "pandas.Series",
    "cat": "pandas.Series",
}
ACCESSORS: dict[tuple[str, str], str] = {
    ("pandas.Series", "str"): "pandas.Series.str",
    ("pandas.Series", "dt"): "pandas.Series.dt",
    ("pandas.Series", "cat"): "pandas.Series.cat",
    ("pandas.DataFrame", "plot"): "pandas.DataFrame.plot",
    ("pandas.Series", "plot"): "pandas.Series.plot",
}
SUBSCRIPT: dict[str, str] = {
    "pandas.core.groupby.DataFrameGroupBy": "pandas.core.groupby.SeriesGroupBy",
    "pandas.DataFrame": "pandas.Series",  # df["a"]; df[["a", "b"]] is handled apart
}
FACTORIES = re.compile(
    r"^(pandas\.(read_\w+|concat|merge|pivot_table|crosstab|get_dummies)"
    r"|numpy\.([a-z]\w*|random\.\w+))$"  # numpy's functions: an array (or a scalar)
)
_MODULE_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)|^In \[\d*\]: |^\s+\.{3,}: ?")


@dataclass
class SymbolTable:
    """Canonical API names of the knowledge base and what else resolves to them."""

    names: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> canonical
    _tails: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in [*self.names, *self.aliases]:
            parts = name.split(".")
            for cut in range(1, min(len(parts), 4)):
                self._tails.setdefault(".".join(parts[-cut:]), []).append(name)

    @classmethod
    def from_snippets(cls, snippets: Iterable[Snippet]) -> SymbolTable:
        """From API snippets: their symbols, and the names their "Also available as"
        line lists."""
        names: set[str] = set()
        aliases: dict[str, str] = {}
        for s in snippets:
            if s.kind is not SnippetKind.API or "#" in s.symbol:
                continue
            names.add(s.symbol)
            for line in s.text.split("\n", 3)[:3]:
                if line.startswith("Also available as: "):
                    for alias in line[len("Also available as: ") :].split(", "):
                        aliases.setdefault(alias.strip(), s.symbol)
        return cls(names, aliases)

    def canonical(self, name: str) -> str | None:
        if name in self.names:
            return name
        return self.aliases.get(name)

    def resolve(self, name: str, module: str = "", library: str = "") -> str | None:
        """A reference as docs write it, relative to ``module`` and ``library``."""
        name = name.strip().lstrip("~").rstrip("()")
        if not name:
            return None
        if name.startswith("."):
            return self._unique_tail(name[1:])
        for candidate in _qualified(name, module, library):
            found = self.canonical(candidate)
            if found:
                return found
        return self._unique_tail(name) if "." in name else None

    def call(self, name: str) -> str | None:
        """A called name, its owner possibly spelled another way than the table's
        (``pandas.core.groupby.DataFrameGroupBy.transform`` for the ``generic`` one)."""
        found = self.canonical(name)
        if found or name.count(".") < 2:
            return found
        return self._unique_tail(".".join(name.split(".")[-2:]))

    def _unique_tail(self, tail: str) -> str | None:
        found = {self.canonical(n) for n in self._tails.get(tail, ())} - {None}
        return found.pop() if len(found) == 1 else None


def _qualified(name: str, module: str, library: str) -> Iterator[str]:
    yield name
    for prefix in (module, library):
        while prefix:
            yield f"{prefix}.{name}"
            prefix = prefix.rpartition(".")[0]


def section_apis(
    blocks: Sequence[Block],
    *,
    library: str,
    table: SymbolTable | None,
    reader: CodeReader | None = None,
) -> list[str]:
    """Canonical names a section's blocks teach: explicit references first, then the
    code's calls its prose names (``transform`` in "the transform method"), then the
    rest of its calls (set-up such as ``pd.date_range``). A ``reader`` shared by the
    sections of one page carries imports and variables from one section to the next."""
    reader = reader or CodeReader(table)
    found: list[str] = []
    for block in blocks:
        for ref in block.refs:
            name = table.resolve(ref, block.module, library) if table else _plain(ref, block.module)
            if name:
                found.append(name)
    calls = [c for b in blocks if b.kind == "code" for c in reader.calls(b.text)]
    words = {w for b in blocks if b.kind != "code" for w in re.findall(r"\w+", b.text)}
    named = [c for c in calls if c.rsplit(".", 1)[-1] in words]
    return list(dict.fromkeys([*found, *named, *calls]))[:MAX_APIS]


def _plain(ref: str, module: str) -> str | None:
    """Without a table: a reference as written, under the currentmodule when it is
    not already (``argsort`` under ``numpy``)."""
    ref = ref.strip().lstrip("~.").rstrip("()")
    root = module.split(".")[0]
    if module and ref.split(".")[0] not in (root, *DEFAULT_IMPORTS.values()):
        return f"{module}.{ref}"
    return ref if "." in ref else None


# --- code ---------------------------------------------------------------------------------


def code_calls(code: str, table: SymbolTable | None) -> list[str]:
    """Canonical names of the library calls in ``code`` (a script or a console session)."""
    return CodeReader(table).calls(code)


def _strip_prompts(code: str) -> str:
    lines = code.split("\n")
    if not any(_MODULE_PROMPT.match(x) for x in lines):
        return code
    return "\n".join(_MODULE_PROMPT.sub("", x) for x in lines if _MODULE_PROMPT.match(x))


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        pass
    # A fragment with a bad line (output pasted in, ``...`` elisions): keep the
    # statements that parse on their own.
    body: list[ast.stmt] = []
    for chunk in re.split(r"\n(?=\S)", code):
        try:
            body += ast.parse(chunk).body
        except (SyntaxError, ValueError):
            continue
    return ast.Module(body=body, type_ignores=[]) if body else None


class CodeReader(ast.NodeVisitor):
    """Reads the code blocks of one page in order: what an earlier block imported or
    assigned is known to the later ones, as it is to a reader."""

    def __init__(self, table: SymbolTable | None) -> None:
        self.table = table
        self.imports: dict[str, str] = dict(DEFAULT_IMPORTS)
        self.types: dict[str, str] = {}
        self.found: list[str] = []

    def calls(self, code: str) -> list[str]:
        """Canonical names of the library calls in ``code``, in source order."""
        tree = _parse(_strip_prompts(code))
        if tree is None:
            return []
        self.found = []
        self.visit(tree)
        return list(dict.fromkeys(self.found))

    # imports and assignments ------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.imports[alias.asname] = alias.name
            else:
                head = alias.name.split(".")[0]
                self.imports[head] = head

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            if isinstance(target, ast.Attribute | ast.Subscript):
                self.visit(target)  # df.columns = ...; df.loc[mask, "a"] = 0
            self.bind(target, node.value)

    def bind(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            typ = self.type_of(value)
            if typ:
                self.types[target.id] = typ
            else:
                self.types.pop(target.id, None)
        elif isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Call):
            called = self.name_of(value.func)
            kinds = TUPLE_RETURNS.get(called or "", ())
            for element, typ in zip(target.elts, kinds, strict=False):
                if isinstance(element, ast.Name):
                    self.types[element.id] = typ

    # calls --------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)  # inner calls first: source order for a chain
        name = self.name_of(node.func)
        if name:
            found = self.table.call(name) if self.table else _qualified_call(name)
            if found:
                self.found.append(found)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # An attribute of a known object, read or set, teaches that attribute as a call
        # does its method (``df.values``, ``s.iloc[0]``, ``df.columns = ...``); only
        # when the table knows it.
        self.generic_visit(node)
        owner = self.type_of(node.value)
        if owner and self.table:
            found = self.table.canonical(f"{owner}.{node.attr}")
            if found:
                self.found.append(found)

    def name_of(self, func: ast.expr) -> str | None:
        """The dotted name a called expression stands for, as far as it can be known."""
        if isinstance(func, ast.Name):
            return self.imports.get(func.id)
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and func.value.id in self.imports:
                return f"{self.imports[func.value.id]}.{func.attr}"
            owner = self.type_of(func.value) or self.name_of_module(func.value)
            return f"{owner}.{func.attr}" if owner else None
        return None

    def name_of_module(self, expr: ast.expr) -> str | None:
        if isinstance(expr, ast.Name):
            return self.imports.get(expr.id)
        if isinstance(expr, ast.Attribute):
            owner = self.name_of_module(expr.value)
            return f"{owner}.{expr.attr}" if owner else None
        return None

    def type_of(self, expr: ast.expr) -> str | None:
        """The class an expression's value is an instance of, when the docs make it clear."""
        if isinstance(expr, ast.Name):
            return self.types.get(expr.id) or _name_type(expr.id)
        if isinstance(expr, ast.Call):
            return self.call_type(expr)
        if isinstance(expr, ast.Subscript):
            owner = self.type_of(expr.value)
            if owner == "pandas.DataFrame" and isinstance(expr.slice, ast.List):
                return owner
            if owner in ("matplotlib.axes.Axes", "numpy.ndarray"):
                return owner  # axs[0, 1]; arr[mask]
            return SUBSCRIPT.get(owner or "")
        if isinstance(expr, ast.Attribute):
            owner = self.type_of(expr.value)
            if owner and (owner, expr.attr) in ACCESSORS:
                return ACCESSORS[(owner, expr.attr)]
            if owner == "pandas.DataFrame" and expr.attr in ("loc", "iloc", "T"):
                return owner
            if (
                owner == "pandas.DataFrame"
                and self.table
                and not self.table.call(f"{owner}.{expr.attr}")
            ):
                return "pandas.Series"  # df.price: a column, by attribute access
        return None

    def call_type(self, call: ast.Call) -> str | None:
        name = self.name_of(call.func)
        if not name:
            return None
        canonical = (self.table.canonical(name) if self.table else None) or name
        for key in (name, canonical):
            if key in RETURNS:
                return RETURNS[key]
        last = name.rsplit(".", 1)[-1]
        if last[:1].isupper():
            return canonical  # a class called: an instance of it
        if FACTORIES.match(name):
            return "pandas.DataFrame" if name.startswith("pandas.") else "numpy.ndarray"
        receiver = name.rpartition(".")[0]
        if last in ("fit", "set_params", "set_output"):  # scikit-learn returns the estimator
            return receiver
        if receiver in SAME_TYPE:
            return receiver
        # df.groupby("a").sum() is a frame, its column's a series; s.str.lower() a series
        return RESULTS.get(receiver.rpartition(".")[2])


def _name_type(name: str) -> str | None:
    for pattern, typ in NAME_TYPES:
        if pattern.search(name):
            return typ
    return None


def _qualified_call(name: str) -> str | None:
    """Without a table: keep a call into a known library's namespace."""
    root = name.split(".")[0]
    return name if root in DEFAULT_IMPORTS.values() and "." in name else None


def table_from_names(names: Mapping[str, str] | Iterable[str]) -> SymbolTable:
    """A table from names (and, given a mapping, alias -> canonical); for tests and tools."""
    if isinstance(names, Mapping):
        return SymbolTable(set(names.values()), dict(names))
    return SymbolTable(set(names))
