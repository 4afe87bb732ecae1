"""Parse numpydoc, Google-style and Sphinx field-list docstrings into sections.

The parser is total: any string parses, a malformed docstring just yields fewer
structured fields (what it could not place stays in ``extended``), and
``ParsedDoc.problems`` says what looked wrong so the harvest can count it.

Layout recognised (after ``inspect.cleandoc``-style dedent):

- a leading call signature, as C functions carry it (``sum(input, *, dtype=None) -> Tensor``);
- a summary paragraph, then extended prose;
- numpydoc sections: a title line underlined with dashes;
- Google sections: ``Args:``, ``Returns:``, ``Example::`` ... at the left margin;
- Sphinx field lists: ``:param x:``, ``:returns:``, ``:raises E:``;
- doctest (``>>>``) and fenced code blocks found in the prose count as examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Param", "ParsedDoc", "parse_docstring"]


@dataclass(frozen=True)
class Param:
    """One entry of a Parameters / Returns / Raises / Attributes list."""

    name: str
    type: str = ""
    description: str = ""


@dataclass(frozen=True)
class ParsedDoc:
    summary: str = ""
    extended: str = ""
    signature: str = ""
    parameters: tuple[Param, ...] = ()
    returns: tuple[Param, ...] = ()
    raises: tuple[Param, ...] = ()
    attributes: tuple[Param, ...] = ()
    notes: str = ""
    examples: str = ""
    see_also: tuple[str, ...] = ()
    # Sections with no field of their own (References, Warnings, Shape, ...), by title.
    other: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


# Canonical section name for every spelling we accept, numpydoc and Google alike.
_SECTION_ALIASES: dict[str, str] = {
    "parameters": "parameters",
    "params": "parameters",
    "param": "parameters",
    "args": "parameters",
    "arguments": "parameters",
    "other parameters": "other_parameters",
    "keyword args": "parameters",
    "keyword arguments": "parameters",
    "kwargs": "parameters",
    "returns": "returns",
    "return": "returns",
    "yields": "returns",
    "yield": "returns",
    "raises": "raises",
    "raise": "raises",
    "attributes": "attributes",
    "examples": "examples",
    "example": "examples",
    "notes": "notes",
    "note": "notes",
    "see also": "see_also",
    "warnings": "warnings",
    "warning": "warnings",
    "warns": "warns",
    "references": "references",
    "methods": "methods",
    "shape": "shape",
    "todo": "todo",
    "receives": "parameters",
}
_LIST_SECTIONS = {"parameters", "other_parameters", "returns", "raises", "attributes"}

_UNDERLINE = re.compile(r"^\s*([-=~^]{3,})\s*$")
_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]{1,30}?)\s*::?\s*$")
_SIGNATURE = re.compile(r"^[A-Za-z_][\w.]*\(")
# A whole call signature: name(...) and at most a return annotation after it, so that
# "Pickle (serialize) object to file." stays a sentence.
_FULL_SIGNATURE = re.compile(r"^[A-Za-z_][\w.]*\(.*\)\s*(->\s*\S.*)?$")
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}[\w.]+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_FIELD = re.compile(
    r"^:(param|parameter|arg|argument|key|keyword|type|returns?|rtype|raises?|except)\b([^:]*):\s*(.*)$"
)
_ROLE = re.compile(r":[\w:]+:`~?([^`]+)`")
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def parse_docstring(doc: str | None) -> ParsedDoc:
    """Split ``doc`` into sections; never raises."""
    lines = _dedent((doc or "").expandtabs(4).splitlines())
    signature, lines = _take_signature(lines)
    preamble, sections, problems = _split_sections(lines)
    return _assemble(signature, preamble, sections, problems)


# --- layout ------------------------------------------------------------------------


def _dedent(lines: list[str]) -> list[str]:
    """``inspect.cleandoc`` semantics: the first line keeps its own indentation rules."""
    if not lines:
        return []
    first, rest = lines[0].strip(), lines[1:]
    margins = [len(x) - len(x.lstrip()) for x in rest if x.strip()]
    margin = min(margins) if margins else 0
    out = [first, *(x[margin:].rstrip() for x in rest)]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def _take_signature(lines: list[str]) -> tuple[str, list[str]]:
    """C functions document their call signature in the first line(s)."""
    if not lines or not _SIGNATURE.match(lines[0]):
        return "", lines
    taken, depth = [], 0
    for i, line in enumerate(lines[:12]):
        taken.append(line.strip())
        depth += line.count("(") + line.count("[") - line.count(")") - line.count("]")
        if depth <= 0:
            rest = lines[i + 1 :]
            signature = " ".join(taken)
            if (rest and rest[0].strip()) or not _FULL_SIGNATURE.match(signature):
                return "", lines  # prose right after or around: a sentence, not a signature
            return signature, rest
    return "", lines


def _section_name(line: str, next_line: str) -> str | None:
    """The canonical section a header line opens, or None."""
    title = line.strip()
    if not title or line[:1].isspace():
        return None
    if _UNDERLINE.match(next_line) and len(title) <= 40:
        # Unknown underlined titles are rST headings of module docs, not sections.
        return _SECTION_ALIASES.get(title.lower())
    match = _GOOGLE_HEADER.match(title)
    if match:
        return _SECTION_ALIASES.get(match.group(1).strip().lower())
    return None


def _split_sections(lines: list[str]) -> tuple[list[str], dict[str, _Section], list[str]]:
    preamble: list[str] = []
    sections: dict[str, _Section] = {}
    problems: list[str] = []
    current = preamble
    google = False
    i = 0
    while i < len(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        name = _section_name(lines[i], nxt)
        if name is None:
            if google and lines[i].strip() and not lines[i][:1].isspace():
                current, google = preamble, False  # Google sections are indented: back to prose
            current.append(lines[i])
            i += 1
            continue
        underlined = bool(_UNDERLINE.match(nxt))
        if name in sections and underlined:
            problems.append(f"repeated section {name}")
        # Overloaded C functions (torch) document each overload in turn, and "Args:" and
        # "Keyword args:" are one list: a repeated section continues in a new chunk.
        section = sections.setdefault(name, _Section(numpy_style=underlined))
        section.chunks.append([])
        current, google = section.chunks[-1], not underlined
        i += 2 if underlined else 1
    return preamble, sections, problems


@dataclass
class _Section:
    numpy_style: bool
    chunks: list[list[str]] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        """The chunks, each dedented on its own (their indentation may differ)."""
        out: list[str] = []
        for chunk in self.chunks:
            out += [*_dedent_block(chunk), ""]
        return _dedent_block(out)


def _dedent_block(lines: list[str]) -> list[str]:
    margins = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
    margin = min(margins) if margins else 0
    out = [x[margin:] for x in lines]
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


# --- the prose before the first section -------------------------------------------------


@dataclass
class _Body:
    summary: str = ""
    prose: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last: list[str] | None = None  # the list an indented continuation paragraph joins


def _parse_body(lines: list[str]) -> _Body:
    body = _Body()
    paragraphs = _without_markup(_paragraphs(lines))
    title = _title(paragraphs[0]) if paragraphs else None
    if title is not None:
        body.summary = title  # a module doc opening with an rST title
        paragraphs = [
            p
            for p in [[x for x in paragraphs[0] if not _is_title_line(x, title)], *paragraphs[1:]]
            if p
        ]
    elif paragraphs and not _is_code(paragraphs[0]) and not _is_directive(paragraphs[0]):
        body.summary = " ".join(x.strip() for x in paragraphs.pop(0))
    for i, para in enumerate(paragraphs):
        _place_paragraph(body, para, paragraphs[i - 1] if i else [])
    if not body.summary and body.prose:
        # Opened by a note or deprecation directive: the first prose paragraph summarises.
        body.summary = " ".join(body.prose.pop(0).split())
    return body


def _title(para: list[str]) -> str | None:
    """``Title`` over an underline, with or without a matching overline."""
    if len(para) > 1 and _UNDERLINE.match(para[1]) and not _UNDERLINE.match(para[0]):
        return para[0].strip()
    if len(para) > 2 and _UNDERLINE.match(para[0]) and _UNDERLINE.match(para[2]):
        return para[1].strip()
    return None


def _is_title_line(line: str, title: str) -> bool:
    return line.strip() == title or bool(_UNDERLINE.match(line))


def _without_markup(paragraphs: list[list[str]]) -> list[list[str]]:
    """Drop rST that only builds the docs site: targets (``.. _label:``), module and
    toctree/autosummary directives with their indented bodies."""
    out: list[list[str]] = []
    dropping = False
    for para in paragraphs:
        if _SITE_MARKUP.match(para[0]):
            dropping = True
        elif not (dropping and para[0][:1].isspace()):
            dropping = False
            out.append(para)
    return out


_SITE_MARKUP = re.compile(
    r"^\s*\.\.\s+(_[^:]+:|\|[^|]+\||(currentmodule|module|autosummary|toctree|index)::)"
)


def _split_fields(lines: list[str]) -> tuple[list[str], list[str]]:
    """Pull Sphinx field entries (and their indented continuations) out of the prose."""
    prose: list[str] = []
    fields: list[str] = []
    in_field = False
    for line in lines:
        if not line[:1].isspace() and _FIELD.match(line.strip()):
            in_field = True
        elif not (in_field and line[:1].isspace()):
            in_field = False
        (fields if in_field else prose).append(line)
    return prose, fields


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Blank-line separated blocks; a fenced code block stays one block."""
    out: list[list[str]] = []
    block: list[str] = []
    fence = False
    for line in lines:
        if line.strip().startswith("```"):
            fence = not fence
        if not line.strip() and not fence:
            if block:
                out.append(block)
            block = []
            continue
        block.append(line)
    if block:
        out.append(block)
    return out


def _is_code(para: list[str]) -> bool:
    return para[0].lstrip().startswith((">>>", "```"))


def _is_directive(para: list[str]) -> bool:
    return para[0].lstrip().startswith("..")


def _place_paragraph(body: _Body, para: list[str], previous: list[str]) -> None:
    """Doctest and fenced blocks are examples; rST literal blocks (formulas, call
    signatures) stay in the prose they illustrate; a note directive keeps the
    indented paragraphs that follow it."""
    text = "\n".join(para)
    if _is_code(para):
        lead = previous and not _is_code(previous) and previous[-1].rstrip().endswith(":")
        body.code.append("\n".join(previous) + "\n" + text if lead else text)
        body.last = None
    elif para[0].strip().lower().startswith(_NOTE_DIRECTIVES):
        body.notes.append(text)
        body.last = body.notes
    elif body.last is not None and para[0][:1].isspace():
        body.last[-1] += "\n\n" + text
    else:
        body.prose.append(text)
        body.last = None


_NOTE_DIRECTIVES = (
    ".. note::",
    ".. warning::",
    ".. versionadded",
    ".. versionchanged",
    ".. deprecated",
)


# --- list sections ---------------------------------------------------------------------------


def _items(section: _Section | None, name: str, problems: list[str]) -> tuple[Param, ...]:
    if section is None:
        return ()
    if name == "returns" and not section.numpy_style:
        return _google_returns(section.lines)
    entries = _entries(section.lines, name, problems)
    make = _numpy_item if section.numpy_style else _google_item
    return tuple(p for head, desc in entries for p in make(head, desc, name))


def _entries(lines: list[str], section: str, problems: list[str]) -> list[tuple[str, str]]:
    """(head line, joined description) pairs: heads at the margin, descriptions indented."""
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if line and not line[:1].isspace():
            out.append((line.strip(), []))
        elif out:
            out[-1][1].append(line.strip())
        elif line.strip():
            problems.append(f"{section}: text before the first item")
    return [(head, " ".join(x for x in desc if x)) for head, desc in out]


def _numpy_item(head: str, desc: str, section: str) -> list[Param]:
    name, sep, typ = head.partition(" :")
    if not sep and head.endswith(":"):
        name, sep = head[:-1], ":"
    if section == "raises":
        return [Param(head, "", desc)]
    if section == "returns" and not sep:
        return [Param("", head, desc)]
    names = [n.strip() for n in name.split(",")] if section != "returns" else [name.strip()]
    return [Param(n, typ.strip(), desc) for n in names if n]


def _google_item(head: str, desc: str, section: str) -> list[Param]:
    match = _GOOGLE_ITEM.match(head)
    if match is None:
        return [Param(head, "", desc)]
    name, typ, inline = match.group(1), match.group(2) or "", match.group(3)
    return [Param(name, typ.strip(), _join(inline, desc))]


def _google_returns(lines: list[str]) -> tuple[Param, ...]:
    """Google Returns: free prose, optionally opened by ``Type: description``."""
    text = " ".join(x.strip() for x in lines if x.strip())
    if not text:
        return ()
    match = _GOOGLE_RETURN.match(text)
    if match:
        return (Param("", match.group(1).strip(), match.group(2).strip()),)
    return (Param("", "", text),)


_GOOGLE_RETURN = re.compile(r"^([\w.\[\], |]{1,60}?):\s+(.*)$")


def _join(first: str, rest: str) -> str:
    return f"{first.strip()} {rest}".strip()


def _parse_fields(lines: list[str]) -> dict[str, list[Param]]:
    """Sphinx ``:param x:`` / ``:type x:`` / ``:returns:`` / ``:raises E:`` lists."""
    out: dict[str, list[Param]] = {"parameters": [], "returns": [], "raises": []}
    types: dict[str, str] = {}
    for entry in _field_entries(lines):
        match = _FIELD.match(entry)
        if match:
            _add_field(out, types, match.group(1), match.group(2).strip(), match.group(3).strip())
    out["parameters"] = [
        Param(p.name, types.get(p.name, p.type), p.description) for p in out["parameters"]
    ]
    return out


def _field_entries(lines: list[str]) -> list[str]:
    entries: list[str] = []
    for line in lines:
        if not line[:1].isspace() and line.strip().startswith(":"):
            entries.append(line.strip())
        elif line.strip() and entries:
            entries[-1] += " " + line.strip()
    return entries


def _add_field(
    out: dict[str, list[Param]], types: dict[str, str], role: str, arg: str, text: str
) -> None:
    if role == "type":
        types[arg] = text
    elif role == "rtype":
        out["returns"].append(Param("", text, ""))
    elif role.startswith("return"):
        out["returns"].append(Param("", "", text))
    elif role.startswith(("raise", "except")):
        out["raises"].append(Param(arg, "", text))
    else:
        words = arg.split()
        out["parameters"].append(Param(words[-1] if words else "", " ".join(words[:-1]), text))


def _see_also(section: _Section | None) -> tuple[str, ...]:
    """Names referenced in a See Also section, roles and backticks removed."""
    names: list[str] = []
    for line in section.lines if section else []:
        if not line.strip() or line[:1].isspace():
            continue
        head = _ROLE.sub(r"\1", line.split(" : ", 1)[0]).replace("`", "")
        for part in head.split(","):
            match = _NAME.search(part.strip())
            if match and match.group(0) not in names:
                names.append(match.group(0))
    return tuple(names)


# --- assembly ---------------------------------------------------------------------------


def _text(section: _Section | None) -> str:
    return "\n".join(section.lines) if section else ""


def _assemble(
    signature: str, preamble: list[str], sections: dict[str, _Section], problems: list[str]
) -> ParsedDoc:
    prose_lines, field_lines = _split_fields(preamble)
    body = _parse_body(prose_lines)
    fields = _parse_fields(field_lines)
    lists = {name: _items(sections.get(name), name, problems) for name in _LIST_SECTIONS}
    if not body.summary and (sections or body.prose):
        problems.append("no summary line")
    return ParsedDoc(
        summary=body.summary,
        extended="\n\n".join(body.prose),
        signature=signature,
        parameters=(lists["parameters"] or tuple(fields["parameters"])) + lists["other_parameters"],
        returns=lists["returns"] or tuple(fields["returns"]),
        raises=lists["raises"] or tuple(fields["raises"]),
        attributes=lists["attributes"],
        notes="\n\n".join(filter(None, [_text(sections.get("notes")), *body.notes])),
        examples="\n\n".join(filter(None, [_text(sections.get("examples")), *body.code])),
        see_also=_see_also(sections.get("see_also")),
        other={k: _text(v) for k, v in sections.items() if k not in _KNOWN},
        problems=tuple(problems),
    )


_KNOWN = _LIST_SECTIONS | {"notes", "examples", "see_also"}
