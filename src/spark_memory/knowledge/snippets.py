"""Turn the raw symbol records of ``introspect.py`` into knowledge-base snippets.

Per symbol with a docstring: one ``api`` snippet (signature, summary, parameters,
returns, raises, short notes and examples). A long Examples section becomes its own
``example`` snippet and long Notes a ``note`` snippet, each made once per distinct
docstring (under the symbol that defines it), not once per class inheriting it.
Attributes documented in a class docstring (``coef_``, ``OptimizeResult.x``) become
``api`` snippets of their own, as do the constructor parameters of scikit-learn
style estimators (stored as attributes of the same name by that API's contract).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_memory.knowledge.docstrings import Param, ParsedDoc, parse_docstring
from spark_memory.models import Snippet, SnippetKind

__all__ = ["MANUAL_ALIASES", "LibraryRecords", "SnippetStats", "build_snippets"]

# Names that code reaches but no public object documents under that name, mapped
# to the symbol whose documentation covers them; the name is listed in that
# snippet's text and embed text so search finds it. Only where unavoidable.
MANUAL_ALIASES: dict[str, str] = {
    "matplotlib.axes.Axes.xaxis": "matplotlib.axes.Axes.get_xaxis",
    "matplotlib.axes.Axes.yaxis": "matplotlib.axes.Axes.get_yaxis",
    "matplotlib.axes.Axes.spines": "matplotlib.spines.Spines",
    "matplotlib.figure.Figure.number": "matplotlib.pyplot.figure",
    "torch.optim.SGD.param_groups": "torch.optim.Optimizer.add_param_group",
    "torch.FloatTensor": "torch.Tensor",  # legacy tensor types, documented on torch.Tensor
}

EXTENDED_CHARS = 900  # prose kept in an api snippet; the rest is in the docs
PARAM_CHARS = 300
MAX_PARAMS = 30
NOTES_INLINE = 500  # longer Notes get a note snippet
EXAMPLES_INLINE = 300  # longer Examples get an example snippet
LONG_SECTION_CHARS = 6000
EMBED_SUMMARY_CHARS = 180
MAX_EMBED_PARAMS = 12
MAX_TEXT_ALIASES = 8
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@dataclass
class LibraryRecords:
    """What one introspection run printed for one library."""

    library: str
    version: str = ""
    docs: dict[int, str] = field(default_factory=dict)
    symbols: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: Mapping[str, Any]) -> None:
        kind = record.get("t")
        if kind == "doc":
            self.docs[int(record["id"])] = str(record["text"])
        elif kind == "symbol":
            self.symbols.append(dict(record))
        elif kind == "library":
            self.version = str(record.get("version", ""))


@dataclass
class SnippetStats:
    by_kind: Counter[str] = field(default_factory=Counter)
    undocumented: int = 0
    no_signature: int = 0
    malformed_docstrings: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> canonical symbol


def build_snippets(records: LibraryRecords) -> tuple[list[Snippet], SnippetStats]:
    """All snippets of one library version, each id once."""
    return _Builder(records).build()


@dataclass(frozen=True)
class _Symbol:
    name: str
    kind: str
    module: str
    signature: str
    doc: ParsedDoc
    doc_id: int
    aliases: tuple[str, ...]
    owner: str
    defined_in: str
    bases: tuple[str, ...]


class _Builder:
    def __init__(self, records: LibraryRecords) -> None:
        self.records = records
        self.stats = SnippetStats()
        self.parsed: dict[int, ParsedDoc] = {}
        self.snippets: dict[str, Snippet] = {}
        self.names: set[str] = {str(r["name"]) for r in records.symbols}
        self.documented: set[str] = set()

    def build(self) -> tuple[list[Snippet], SnippetStats]:
        symbols = [s for s in map(self.symbol, self.records.symbols) if s is not None]
        self.documented = {s.name for s in symbols}
        by_name = {s.name: s for s in symbols}
        members: dict[str, list[_Symbol]] = {}
        for sym in symbols:
            members.setdefault(sym.owner, []).append(sym)
        tables = {str(r["name"]) for r in self.records.symbols if str(r["name"]) in members}
        extra = _manual_aliases(self.records.library, self.documented | tables, self.documented)
        for record in self.records.symbols:
            name = str(record["name"])
            self.add_member_table(record, members.get(name, []), extra.get(name, ()))
        for sym in symbols:
            self.add_api(sym, extra.get(sym.name, ()))
        self.add_long_sections(symbols)
        for sym in symbols:
            self.add_attributes(sym, by_name)
        return list(self.snippets.values()), self.stats

    # --- records -------------------------------------------------------------------

    def symbol(self, record: Mapping[str, Any]) -> _Symbol | None:
        doc_id = int(record.get("doc", -1))
        text = self.records.docs.get(doc_id, "")
        if not text:
            self.stats.undocumented += 1
            return None
        return _Symbol(
            name=str(record["name"]),
            kind=str(record.get("kind", "")),
            module=str(record.get("module", "")),
            signature=str(record.get("signature", "")),
            doc=self.parse(doc_id, text, str(record["name"])),
            doc_id=doc_id,
            aliases=tuple(record.get("aliases", ())),
            owner=str(record.get("owner", "")),
            defined_in=str(record.get("defined_in", "") or record.get("doc_from", "")),
            bases=tuple(record.get("bases", ())),
        )

    def parse(self, doc_id: int, text: str, name: str) -> ParsedDoc:
        """Each distinct docstring is parsed once, however many symbols share it."""
        if doc_id not in self.parsed:
            self.parsed[doc_id] = parse_docstring(text)
            if self.parsed[doc_id].problems:
                self.stats.malformed_docstrings += 1
                if len(self.stats.malformed_examples) < 5:
                    self.stats.malformed_examples.append(
                        f"{name}: {self.parsed[doc_id].problems[0]}"
                    )
        return self.parsed[doc_id]

    def put(self, snippet: Snippet) -> None:
        if snippet.id not in self.snippets:
            self.snippets[snippet.id] = snippet
            self.stats.by_kind[snippet.kind.value] += 1

    def make(self, sym: _Symbol, kind: SnippetKind, title: str, text: str, embed: str) -> Snippet:
        return Snippet.build(
            library=self.records.library,
            version=self.records.version,
            symbol=sym.name,
            kind=kind,
            title=title,
            text=text,
            embed_text=embed,
            source=sym.module,
        )

    # --- api snippets -------------------------------------------------------------------

    def add_api(self, sym: _Symbol, manual: tuple[str, ...]) -> None:
        signature = _signature(sym)
        if not signature and sym.kind in ("function", "method", "class", "object"):
            self.stats.no_signature += 1
        aliases = (*manual, *sym.aliases)
        for alias in aliases:
            self.stats.aliases.setdefault(alias, sym.name)
        text = _api_text(sym, signature, aliases)
        embed = _api_embed(sym, signature, manual or _renamings(sym))
        self.put(self.make(sym, SnippetKind.API, _title(sym, signature), text, embed))

    def add_member_table(
        self, record: Mapping[str, Any], members: list[_Symbol], aliases: tuple[str, ...]
    ) -> None:
        """A class without any docstring (torch.Tensor) is documented the way API
        references show a class page: its signature and its members' summaries."""
        name = str(record["name"])
        if record.get("kind") != "class" or name in self.documented or not members:
            return
        members = sorted(members, key=lambda m: m.name)
        lines = [f"- {m.name.rsplit('.', 1)[-1]}: {_clip(m.doc.summary, 160)}" for m in members]
        head = f"class {name}{record.get('signature', '')}"
        also = f"\n\nAlso available as: {', '.join(aliases)}" if aliases else ""
        text = _clip(f"{head}{also}\n\nMembers\n" + "\n".join(lines), LONG_SECTION_CHARS)
        names = ", ".join(m.name.rsplit(".", 1)[-1] for m in members[:24])
        for alias in aliases:
            self.stats.aliases.setdefault(alias, name)
        sym = _Symbol(
            name, "class", str(record.get("module", "")), "", ParsedDoc(), -1, (), "", "", ()
        )
        self.put(self.make(sym, SnippetKind.API, head[:300], text, f"class {name}: {names}"))

    def add_attributes(self, sym: _Symbol, by_name: Mapping[str, _Symbol]) -> None:
        """Attributes a class docstring lists become symbols unless documented already
        (pandas' undocumented MultiIndex.levels is listed by MultiIndex's docstring)."""
        if sym.kind != "class":
            return
        for attr, origin in self.documented_attributes(sym, by_name):
            name = f"{sym.name}.{attr.name}"
            if (
                name in self.documented
                or not _IDENTIFIER.match(attr.name)
                or attr.name.startswith("_")
            ):
                continue
            self.documented.add(name)
            self.put(self.attribute_snippet(sym, name, attr, origin))

    def documented_attributes(
        self, sym: _Symbol, by_name: Mapping[str, _Symbol]
    ) -> list[tuple[Param, str]]:
        """Attributes of the class and of its public bases; for estimators (they have
        ``get_params``) the constructor parameters, which they keep as attributes."""
        found = [(a, sym.name) for a in sym.doc.attributes]
        for base in sym.bases:
            if base in by_name:
                found += [(a, base) for a in by_name[base].doc.attributes]
        if f"{sym.name}.get_params" in self.names:
            found += [(p, sym.name) for p in sym.doc.parameters]
        return found

    def attribute_snippet(self, sym: _Symbol, name: str, attr: Param, origin: str) -> Snippet:
        typ = f" : {attr.type}" if attr.type else ""
        owner = f"Attribute of {sym.name}" + (f" ({sym.doc.summary})" if sym.doc.summary else "")
        where = f"{owner}; listed in the docstring of {origin}."
        text = "\n\n".join(p for p in (f"{name}{typ}", attr.description, where) if p)
        summary = _first_sentence(attr.description) or f"attribute of {sym.name}"
        embed = f"{name}{typ} {summary}"[: EMBED_SUMMARY_CHARS + len(name)]
        snippet_sym = _Symbol(
            name, "attribute", sym.module, "", sym.doc, sym.doc_id, (), sym.name, "", ()
        )
        return self.make(snippet_sym, SnippetKind.API, f"{name} (attribute)", text, embed)

    # --- example and note snippets ---------------------------------------------------------

    def add_long_sections(self, symbols: list[_Symbol]) -> None:
        """One example / note snippet per distinct docstring, under its defining symbol."""
        primary: dict[int, _Symbol] = {}
        for sym in symbols:
            best = primary.get(sym.doc_id)
            if best is None or _primary_key(sym) < _primary_key(best):
                primary[sym.doc_id] = sym
        for sym in sorted(primary.values(), key=lambda s: s.name):
            if len(sym.doc.examples) > EXAMPLES_INLINE:
                self.put(
                    self.section_snippet(sym, SnippetKind.EXAMPLE, "Examples", sym.doc.examples)
                )
            if len(sym.doc.notes) > NOTES_INLINE:
                self.put(self.section_snippet(sym, SnippetKind.NOTE, "Notes", sym.doc.notes))

    def section_snippet(self, sym: _Symbol, kind: SnippetKind, label: str, body: str) -> Snippet:
        head = _headline(sym, _signature(sym))
        text = f"{head}\n\n{sym.doc.summary}\n\n{label}\n{_clip(body, LONG_SECTION_CHARS)}".replace(
            "\n\n\n", "\n\n"
        )
        lead = _code_lead(body) if kind is SnippetKind.EXAMPLE else _first_sentence(body)
        embed = f"{label} for {sym.name}: {_clip(sym.doc.summary, 120)}\n{lead}"
        return self.make(sym, kind, f"{sym.name} — {label.lower()}"[:300], text, embed)


# --- rendering helpers ------------------------------------------------------------------


def _primary_key(sym: _Symbol) -> tuple[bool, int, int, str]:
    return (bool(sym.defined_in), sym.name.count("."), len(sym.name), sym.name)


def _signature(sym: _Symbol) -> str:
    """The call signature: from inspect, else the docstring's first line (C functions)."""
    if sym.signature:
        return sym.signature
    doc_sig = sym.doc.signature
    paren = doc_sig.find("(")
    return doc_sig[paren:] if paren >= 0 else ""


def _headline(sym: _Symbol, signature: str) -> str:
    if sym.kind == "class":
        return f"class {sym.name}{signature}"
    if sym.kind == "module":
        return f"module {sym.name}"
    if sym.kind in ("property", "accessor", "attribute"):
        return f"{sym.name} ({sym.kind})"
    return f"{sym.name}{signature}"


def _api_text(sym: _Symbol, signature: str, aliases: tuple[str, ...]) -> str:
    doc = sym.doc
    parts = [_headline(sym, signature)]
    if aliases:
        parts.append("Also available as: " + ", ".join(aliases[:MAX_TEXT_ALIASES]))
    if sym.defined_in:
        inherited = f"Inherited from {sym.defined_in}."
        parts.append(inherited if sym.owner else f"Documented by its base {sym.defined_in}.")
    parts += [doc.summary, _clip(doc.extended, EXTENDED_CHARS)]
    parts += [_params("Parameters", doc.parameters), _params("Returns", doc.returns)]
    parts += [_params("Raises", doc.raises)]
    if doc.see_also:
        parts.append("See also: " + ", ".join(doc.see_also[:12]))
    if doc.notes and len(doc.notes) <= NOTES_INLINE:
        parts.append("Notes\n" + doc.notes)
    if doc.examples and len(doc.examples) <= EXAMPLES_INLINE:
        parts.append("Examples\n" + doc.examples)
    return "\n\n".join(p for p in parts if p)


def _params(label: str, params: tuple[Param, ...]) -> str:
    lines = [_param_line(p) for p in params[:MAX_PARAMS]]
    if len(params) > MAX_PARAMS:
        lines.append(f"- ... {len(params) - MAX_PARAMS} more")
    return f"{label}\n" + "\n".join(lines) if lines else ""


def _param_line(p: Param) -> str:
    head = " : ".join(x for x in (p.name, p.type) if x) or "-"
    desc = _clip(p.description, PARAM_CHARS)
    return f"- {head}: {desc}" if desc else f"- {head}"


def _call(sym: _Symbol, signature: str) -> str:
    """``name(a, b, c)``: parameter names of the signature, then documented ones (the
    other overloads of a C function), without defaults or annotations."""
    documented = [p.name.lstrip("*") for p in sym.doc.parameters]
    names = [n for n in dict.fromkeys(_param_names(signature) + documented) if _IDENTIFIER.match(n)]
    if not (signature or names):
        return sym.name
    return f"{sym.name}({', '.join(names[:MAX_EMBED_PARAMS])})"


def _title(sym: _Symbol, signature: str) -> str:
    """Short enough to read in a result list; the full signature is in the text."""
    if sym.kind in ("function", "method", "object"):
        return _call(sym, signature)[:300]
    if sym.kind == "class":
        return f"class {_call(sym, signature)}"[:300]
    return _headline(sym, signature)[:300]


def _api_embed(sym: _Symbol, signature: str, renamings: tuple[str, ...]) -> str:
    """Short on purpose: what identifies the symbol, for a fast full ingest."""
    also = f" (also {', '.join(renamings[:2])})" if renamings else ""
    return f"{_call(sym, signature)}{also}: {_clip(sym.doc.summary, EMBED_SUMMARY_CHARS)}"


def _renamings(sym: _Symbol) -> tuple[str, ...]:
    """Aliases spelled differently (numpy.absolute for numpy.abs), not mere re-exports."""
    last = sym.name.rsplit(".", 1)[-1]
    return tuple(a for a in sym.aliases if a.rsplit(".", 1)[-1] != last)


def _param_names(signature: str) -> list[str]:
    """Parameter names of a signature string, defaults and annotations dropped."""
    inner = signature[signature.find("(") + 1 : signature.rfind(")")] if "(" in signature else ""
    names, depth, token = [], 0, ""
    for ch in inner + ",":
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            name = re.split(r"[:=]", token)[0].strip().lstrip("*")
            if _IDENTIFIER.match(name) and name not in ("self", "cls"):
                names.append(name)
            token = ""
        else:
            token += ch
    return names


def _manual_aliases(
    library: str, available: set[str], documented: set[str]
) -> dict[str, tuple[str, ...]]:
    """MANUAL_ALIASES of this library whose target has a snippet and alias has none."""
    out: dict[str, tuple[str, ...]] = {}
    for alias, target in MANUAL_ALIASES.items():
        if alias.split(".", 1)[0] == library and target in available and alias not in documented:
            out[target] = (*out.get(target, ()), alias)
    return out


def _clip(text: str, limit: int) -> str:
    """Cut at a paragraph or sentence boundary before ``limit`` characters."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    if cut < limit // 2:
        cut = max(text.rfind(". ", 0, limit) + 1, limit // 2)
    return text[:cut].rstrip() + " ..."


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    return _SENTENCE_END.split(flat, maxsplit=1)[0][:EMBED_SUMMARY_CHARS]


def _code_lead(examples: str) -> str:
    code = [x.strip()[4:] for x in examples.splitlines() if x.strip().startswith(">>> ")]
    return "\n".join(code[:3])[:200]
