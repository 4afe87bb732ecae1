"""Reading a documentation snippet's text back into parts the synthesiser can quote.

Snippets are rendered as a headline (the call signature), prose, then labelled
sections (``Parameters`` / ``Returns`` / ``Raises`` as ``- name : type: text`` lines,
``Notes``, ``Examples``). The reader is tolerant: a snippet in another shape still
yields its first line as headline and its first prose sentence as summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SECTION_TITLES = frozenset({"Parameters", "Returns", "Raises", "Notes", "Examples", "Warnings"})

_PARAM = re.compile(r"^-\s+(\*{0,2}[\w.]+)(?:\s*:\s*([^:]*?))?(?::\s+(.*))?$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
# Sentences that warn: deprecations and explicit warnings, not every mention of "copy".
_CAUTION = re.compile(
    r"\b(deprecated|will be removed|removed in|warning|beware|caution|not supported|"
    r"must not|do not|is not recommended|discouraged)\b",
    re.I,
)
_ANNOTATION = re.compile(r"""\s*:\s*(?:'[^']*'|"[^"]*")""")
_RETURNS = re.compile(r"\)\s*->.*$")
_META_PREFIXES = ("Also available as:", "Inherited from ", "See also:", "Attribute of ")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class DocParts:
    headline: str = ""
    summary: str = ""
    prose: str = ""
    parameters: tuple[Param, ...] = ()
    sections: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def examples(self) -> str:
        return self.sections.get("Examples", "")


def read(text: str) -> DocParts:
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    if not blocks:
        return DocParts()
    headline = blocks[0].splitlines()[0]
    prose: list[str] = []
    sections: dict[str, str] = {}
    aliases: tuple[str, ...] = ()
    for block in _continuation(blocks[0]) + blocks[1:]:
        title, _, body = block.partition("\n")
        if title.strip() in SECTION_TITLES:
            sections[title.strip()] = _append(sections.get(title.strip(), ""), body)
        elif block.startswith("Also available as:"):
            aliases = tuple(a.strip() for a in block.split(":", 1)[1].split(","))
        elif not block.startswith(_META_PREFIXES):
            prose.append(block)
    joined = "\n\n".join(prose)
    return DocParts(
        headline=headline.strip(),
        summary=first_sentence(joined),
        prose=joined,
        parameters=parameters(sections.get("Parameters", "")),
        sections=sections,
        aliases=aliases,
    )


def parameters(section: str) -> tuple[Param, ...]:
    out = []
    for line in section.splitlines():
        found = _PARAM.match(line.strip())
        if found:
            out.append(Param(found[1], (found[2] or "").strip(), (found[3] or "").strip()))
    return tuple(out)


def compact_signature(headline: str) -> str:
    """A headline without type annotations: ``f(a: 'int' = 0) -> 'X'`` -> ``f(a = 0)``."""
    return _RETURNS.sub(")", _ANNOTATION.sub("", headline)).replace(" = ", "=")


def first_sentence(text: str, limit: int = 220) -> str:
    flat = " ".join(text.split())
    sentence = _SENTENCE_END.split(flat, maxsplit=1)[0] if flat else ""
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


def example_code(examples: str, max_lines: int) -> list[str]:
    """The input lines of doctest examples (``>>>`` / ``...`` prompts removed)."""
    lines = []
    for raw in examples.splitlines():
        stripped = raw.strip()
        if stripped.startswith((">>> ", "... ")) or stripped in (">>>", "..."):
            lines.append(stripped[4:])
    return [line for line in lines if line.strip()][:max_lines]


def cautions(parts: DocParts, limit: int = 2) -> list[str]:
    """Sentences of the prose and notes that warn: deprecations, copies, in-place, raises."""
    text = " ".join(
        [parts.prose, parts.sections.get("Notes", ""), parts.sections.get("Warnings", "")]
    )
    sentences = _SENTENCE_END.split(" ".join(text.split()))
    return [s for s in sentences if _CAUTION.search(s) and 20 <= len(s) <= 300][:limit]


def _continuation(first: str) -> list[str]:
    rest = "\n".join(first.splitlines()[1:]).strip()
    return [rest] if rest else []


def _append(existing: str, body: str) -> str:
    return f"{existing}\n{body}" if existing else body
