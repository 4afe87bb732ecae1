"""Documentation trees (Markdown, reStructuredText, Sphinx HTML, llms.txt) -> guide snippets.

Every format is first read into a flat list of blocks (heading, text, code); one
chunker then cuts the blocks at headings, keeping the heading path ("User Guide >
Group by > Aggregation") as the snippet's title and at the head of its text and
embed text. A section longer than ``max_chars`` is split between blocks, never
inside a code block unless that block alone is too long.

Formats, by file name: ``.md``/``.markdown`` (YAML/TOML front matter dropped, its
``title`` kept), ``.rst`` and Sphinx's ``_sources/*.rst.txt`` (stdlib reader: titles by
adornment, literal and code-block directives as code, toctree/comments dropped),
``.html``/``.htm`` (Sphinx output: main content from ``[role=main]``, ``div.body``,
``main`` or ``article``; navigation, sidebars, header links and scripts stripped),
``llms.txt`` (link lists kept as "name: description (url)"), ``llms-full.txt``
(Markdown) and sphinx-gallery scripts (format ``gallery``, chosen by the caller:
``guides.py`` tells them from other ``.py`` files).

Each snippet carries the APIs its section teaches (``apis.section_apis``), resolved
against a ``SymbolTable`` of the knowledge base when one is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from spark_memory.errors import InvalidInput
from spark_memory.knowledge.apis import CodeReader, SymbolTable, section_apis
from spark_memory.knowledge.markup import FORMATS, Block, front_title, parse_blocks
from spark_memory.models import Snippet, SnippetKind

__all__ = [
    "Block",
    "DocTreeReport",
    "Section",
    "doc_format",
    "doc_snippets",
    "harvest_tree",
    "is_doc_section",
    "parse_blocks",
    "sections",
]

MAX_CHARS = 3000
EMBED_BODY_CHARS = 300
EMBED_APIS = 6  # API names the embed text ends with


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]  # heading path, outermost first
    text: str
    part: int = 0  # > 0 when a long section was split
    blocks: tuple[Block, ...] = ()  # what the text was made of (code, references)

    @property
    def title(self) -> str:
        return " > ".join(self.path)


@dataclass
class DocTreeReport:
    files: int = 0
    snippets: int = 0
    skipped: list[str] = field(default_factory=list)  # files of no known format
    problems: list[str] = field(default_factory=list)  # files that could not be read


def doc_format(path: str | Path) -> str | None:
    """The format a file name implies, or None."""
    name = Path(path).name.lower()
    if name in ("llms.txt", "llms-small.txt"):
        return "llms"
    if name.endswith((".md", ".markdown", "llms-full.txt")):
        return "markdown"
    if name.endswith((".rst", ".rst.txt")):
        return "rst"
    if name.endswith((".html", ".htm")):
        return "html"
    return None


def sections(blocks: list[Block], *, root: str = "", max_chars: int = MAX_CHARS) -> list[Section]:
    """Cut blocks at headings; sections without body text are dropped."""
    out: list[Section] = []
    stack: list[tuple[int, str]] = [(0, root)] if root else []
    body: list[Block] = []
    for block in blocks:
        if block.kind != "heading":
            body.append(block)
            continue
        out += _emit(stack, body, max_chars)
        # the APIs a heading names (`numpy.argsort` as a title) belong to its section
        body = [Block("refs", "", refs=block.refs, module=block.module)] if block.refs else []
        stack = [(lvl, t) for lvl, t in stack if lvl < block.level] + [(block.level, block.text)]
    return out + _emit(stack, body, max_chars)


def doc_snippets(
    text: str,
    *,
    library: str,
    version: str,
    source: str,
    fmt: str | None = None,
    doc_id: str | None = None,
    max_chars: int = MAX_CHARS,
    kind: SnippetKind = SnippetKind.GUIDE,
    table: SymbolTable | None = None,
) -> list[Snippet]:
    """Guide snippets of one document; ``doc_id`` (default: ``source`` without suffix)
    prefixes each snippet's symbol, e.g. ``user_guide/groupby#aggregation``. Every
    such symbol holds a ``#``, which no API name does (``is_doc_section``)."""
    fmt = fmt or doc_format(source)
    if fmt is None:
        raise InvalidInput(
            f"cannot tell the format of {source!r}; pass fmt= one of {', '.join(FORMATS)}"
        )
    doc = doc_id or _doc_id(source)
    blocks = parse_blocks(text, fmt)
    titled = any(b.kind == "heading" and b.level == 1 for b in blocks)
    # A document without a title of its own is named by its front matter or file name.
    root = "" if titled else (front_title(text) if fmt == "markdown" else "") or Path(doc).name
    found = sections(blocks, root=root, max_chars=max_chars)
    anchors = _unique_anchors(found)
    reader = CodeReader(table)  # one page: its imports hold for all its sections
    return [
        _snippet(
            s,
            a,
            library=library,
            version=version,
            source=source,
            doc=doc,
            kind=kind,
            apis=section_apis(s.blocks, library=library, table=table, reader=reader),
        )
        for s, a in zip(found, anchors, strict=True)
    ]


def is_doc_section(snippet: Snippet) -> bool:
    """A snippet cut from a document (``doc#anchor``), not one of an API symbol."""
    return "#" in snippet.symbol


def harvest_tree(
    root: str | Path, *, library: str, version: str, base_url: str = "", max_chars: int = MAX_CHARS
) -> tuple[list[Snippet], DocTreeReport]:
    """Every document of known format under ``root``; sources are ``base_url`` + the
    relative path when given (so snippets cite the published page), else the path."""
    root = Path(root)
    report = DocTreeReport()
    out: list[Snippet] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        fmt = doc_format(path)
        if fmt is None:
            report.skipped.append(rel)
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.problems.append(f"{rel}: {exc}")
            continue
        report.files += 1
        source = f"{base_url.rstrip('/')}/{rel}" if base_url else rel
        out += doc_snippets(
            text,
            library=library,
            version=version,
            source=source,
            fmt=fmt,
            doc_id=_doc_id(rel),
            max_chars=max_chars,
        )
    report.snippets = len(out)
    return out, report


# --- chunking ---------------------------------------------------------------------------


def _emit(stack: list[tuple[int, str]], body: list[Block], max_chars: int) -> list[Section]:
    path = tuple(t for _, t in stack if t)
    if not path or not any(b.text.strip() for b in body):
        return []
    parts = list(_split(body, max_chars))
    return [
        Section(path, text, i + 1 if len(parts) > 1 else 0, blocks)
        for i, (text, blocks) in enumerate(parts)
    ]


def _split(body: list[Block], max_chars: int) -> Iterator[tuple[str, tuple[Block, ...]]]:
    """Join blocks into texts of at most ``max_chars``, cutting between blocks; each
    text with the blocks it holds."""
    current = ""
    held: tuple[Block, ...] = ()
    for block in body:
        for piece in _pieces(block, max_chars) if block.text.strip() else ():
            if current and len(current) + len(piece) + 2 > max_chars:
                yield current, held
                current, held = "", ()
            current = f"{current}\n\n{piece}" if current else piece
        held = (*held, block)
    if current:
        yield current, held


def _pieces(block: Block, max_chars: int) -> Iterator[str]:
    text = f"```\n{block.text}\n```" if block.kind == "code" else block.text
    if len(text) <= max_chars:
        yield text
        return
    lines, chunk = text.splitlines(), ""
    for line in lines:  # only a block longer than a whole snippet is cut inside
        if chunk and len(chunk) + len(line) + 1 > max_chars:
            yield chunk
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line[:max_chars]
    if chunk:
        yield chunk


def _unique_anchors(found: list[Section]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for s in found:
        anchor = "/".join(_slug(p) for p in s.path[1:]) or "_"
        key = f"{anchor}:{s.part}"
        seen[key] = seen.get(key, 0) + 1
        out.append(anchor if seen[key] == 1 else f"{anchor}-{seen[key]}")
    return out


def _snippet(
    s: Section,
    anchor: str,
    *,
    library: str,
    version: str,
    source: str,
    doc: str,
    kind: SnippetKind,
    apis: list[str],
) -> Snippet:
    title = s.title if not s.part else f"{s.title} ({s.part})"
    prose = " ".join(x for x in s.text.split("```")[::2]).split()
    embed = f"{s.title}: {' '.join(prose)[:EMBED_BODY_CHARS]}"
    # What the section shows, by the names a task's words would use: the APIs its
    # heading or prose names (set-up calls such as pd.date_range would only add noise).
    words = set(re.findall(r"\w+", " ".join(prose) + " " + s.title))
    shown = dict.fromkeys(".".join(a.split(".")[-2:]) for a in apis if a.split(".")[-1] in words)
    if shown:
        embed += f" (uses {', '.join(list(shown)[:EMBED_APIS])})"
    return Snippet.build(
        library=library,
        version=version,
        symbol=f"{doc}#{anchor}",
        kind=kind,
        title=title[:300],
        text=f"{s.title}\n\n{s.text}",
        embed_text=embed,
        source=source,
        part=str(s.part) if s.part else "",
        apis=apis,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _doc_id(rel: str) -> str:
    return re.sub(r"(\.rst)?\.(txt|md|markdown|rst|html?|py)$", "", rel)
