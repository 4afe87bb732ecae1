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
``llms.txt`` (link lists kept as "name: description (url)") and ``llms-full.txt``
(Markdown).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from spark_memory.errors import InvalidInput
from spark_memory.models import Snippet, SnippetKind

__all__ = [
    "Block",
    "DocTreeReport",
    "Section",
    "doc_format",
    "doc_snippets",
    "harvest_tree",
    "parse_blocks",
    "sections",
]

MAX_CHARS = 3000
EMBED_BODY_CHARS = 300
FORMATS = ("markdown", "rst", "html", "llms")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "text" or "code"
    text: str
    level: int = 0  # headings: 1 = document title


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]  # heading path, outermost first
    text: str
    part: int = 0  # > 0 when a long section was split

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


def parse_blocks(text: str, fmt: str) -> list[Block]:
    if fmt == "markdown":
        return _markdown_blocks(text, links=False)
    if fmt == "llms":
        return _markdown_blocks(text, links=True)
    if fmt == "rst":
        return _rst_blocks(text)
    if fmt == "html":
        return _html_blocks(text)
    raise InvalidInput(
        f"unknown documentation format {fmt!r}; expected one of {', '.join(FORMATS)}"
    )


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
        body = []
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
) -> list[Snippet]:
    """Guide snippets of one document; ``doc_id`` (default: ``source`` without suffix)
    prefixes each snippet's symbol, e.g. ``user_guide/groupby#aggregation``."""
    fmt = fmt or doc_format(source)
    if fmt is None:
        raise InvalidInput(
            f"cannot tell the format of {source!r}; pass fmt= one of {', '.join(FORMATS)}"
        )
    doc = doc_id or re.sub(r"(\.rst)?\.(txt|md|markdown|rst|html?)$", "", source)
    blocks = parse_blocks(text, fmt)
    titled = any(b.kind == "heading" and b.level == 1 for b in blocks)
    # A document without a title of its own is named by its front matter or file name.
    root = "" if titled else (_front_title(text) if fmt == "markdown" else "") or Path(doc).name
    found = sections(blocks, root=root, max_chars=max_chars)
    anchors = _unique_anchors(found)
    return [
        _snippet(s, a, library=library, version=version, source=source, doc=doc)
        for s, a in zip(found, anchors, strict=True)
    ]


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
    return [Section(path, text, i + 1 if len(parts) > 1 else 0) for i, text in enumerate(parts)]


def _split(body: list[Block], max_chars: int) -> Iterator[str]:
    """Join blocks into texts of at most ``max_chars``, cutting between blocks."""
    current = ""
    for piece in (p for b in body for p in _pieces(b, max_chars)):
        if current and len(current) + len(piece) + 2 > max_chars:
            yield current
            current = ""
        current = f"{current}\n\n{piece}" if current else piece
    if current:
        yield current


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
    s: Section, anchor: str, *, library: str, version: str, source: str, doc: str
) -> Snippet:
    title = s.title if not s.part else f"{s.title} ({s.part})"
    prose = " ".join(x for x in s.text.split("```")[::2]).split()
    return Snippet.build(
        library=library,
        version=version,
        symbol=f"{doc}#{anchor}",
        kind=SnippetKind.GUIDE,
        title=title[:300],
        text=f"{s.title}\n\n{s.text}",
        embed_text=f"{s.title}: {' '.join(prose)[:EMBED_BODY_CHARS]}",
        source=source,
        part=str(s.part) if s.part else "",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _doc_id(rel: str) -> str:
    return re.sub(r"(\.rst)?\.(txt|md|markdown|rst|html?)$", "", rel)


# --- Markdown and llms.txt ---------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_LINK = re.compile(r"^(\s*[-*+]\s+)\[([^\]]+)\]\(([^)\s]+)\)\s*:?\s*(.*)$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _front_matter(text: str) -> tuple[str, str]:
    """(front matter, rest) for YAML ``---`` or TOML ``+++`` front matter."""
    for fence in ("---", "+++"):
        if text.startswith(fence + "\n"):
            end = text.find(f"\n{fence}\n", len(fence))
            if end > 0:
                return text[len(fence) + 1 : end], text[end + len(fence) + 2 :]
    return "", text


def _front_title(text: str) -> str:
    meta, _ = _front_matter(text)
    match = re.search(r"^title\s*[:=]\s*['\"]?(.*?)['\"]?\s*$", meta, re.M)
    return match.group(1) if match else ""


def _markdown_blocks(text: str, *, links: bool) -> list[Block]:
    _, text = _front_matter(text.replace("\r\n", "\n"))
    lines = _COMMENT.sub("", text).split("\n")
    blocks: list[Block] = []
    para: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            _flush(blocks, para)
            i = _read_fence(lines, i, fence.group(1), blocks)
            continue
        heading = _markdown_heading(line, lines[i + 1] if i + 1 < len(lines) else "", para)
        if heading:
            _flush(blocks, para)
            blocks.append(heading)
            i += 1 if _ATX.match(line) else 2
            continue
        if not line.strip():
            _flush(blocks, para)
        else:
            para.append(_link_line(line) if links else line)
        i += 1
    _flush(blocks, para)
    return blocks


def _markdown_heading(line: str, nxt: str, para: list[str]) -> Block | None:
    atx = _ATX.match(line)
    if atx:
        return Block("heading", atx.group(2).strip(), len(atx.group(1)))
    setext = _SETEXT.match(nxt)
    if setext and line.strip() and not para and not line.lstrip().startswith(("-", "*", ">")):
        return Block("heading", line.strip(), 1 if setext.group(1)[0] == "=" else 2)
    return None


def _read_fence(lines: list[str], start: int, marker: str, blocks: list[Block]) -> int:
    """A fenced code block; headings inside it are code, not headings."""
    body: list[str] = []
    i = start + 1
    while i < len(lines) and not lines[i].strip().startswith(marker):
        body.append(lines[i])
        i += 1
    blocks.append(Block("code", "\n".join(body)))
    return i + 1


def _link_line(line: str) -> str:
    match = _LINK.match(line)
    if not match:
        return line
    lead, name, url, desc = match.groups()
    return f"{lead}{name}: {desc} ({url})" if desc else f"{lead}{name} ({url})"


def _flush(blocks: list[Block], para: list[str]) -> None:
    if para:
        blocks.append(Block("text", "\n".join(para).strip()))
        para.clear()


# --- reStructuredText --------------------------------------------------------------------

_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")
_DIRECTIVE = re.compile(r"^\.\.\s+([\w:-]+)::\s*(.*)$")
_CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "ipython", "doctest", "testcode", "plot"}
_DROPPED_DIRECTIVES = {
    "toctree",
    "autosummary",
    "currentmodule",
    "module",
    "contents",
    "include",
    "raw",
    "image",
    "figure",
    "only",
    "index",
    "highlight",
    "automodule",
    "autoclass",
    "autofunction",
}
_ROLE = re.compile(r":[\w:-]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")


def _rst_blocks(text: str) -> list[Block]:
    lines = text.replace("\r\n", "\n").expandtabs(4).split("\n")
    reader = _RstReader(lines)
    reader.read()
    return reader.blocks


class _RstReader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.blocks: list[Block] = []
        self.styles: list[tuple[str, bool]] = []  # adornment styles in order of first use
        self.para: list[str] = []
        self.i = 0

    def read(self) -> None:
        while self.i < len(self.lines):
            if not (self.title() or self.directive() or self.literal()):
                self.line(self.lines[self.i])
                self.i += 1
        self.flush()

    def line(self, line: str) -> None:
        if not line.strip():
            self.flush()
        else:
            self.para.append(_ROLE.sub(r"\1", line))

    def flush(self) -> None:
        if self.para:
            text = "\n".join(self.para)
            kind = "code" if text.lstrip().startswith(">>>") else "text"
            self.blocks.append(Block(kind, _dedent(text) if kind == "code" else text.strip()))
            self.para = []

    def title(self) -> bool:
        """``Title`` over an adornment line, with an optional matching overline."""
        lines, i = self.lines, self.i
        over = (
            bool(_ADORNMENT.match(lines[i]))
            and i + 2 < len(lines)
            and _ADORNMENT.match(lines[i + 2]) is not None
        )
        at = i + 1 if over else i
        if at + 1 >= len(lines) or not lines[at].strip() or lines[at][:1].isspace():
            return False
        under = _ADORNMENT.match(lines[at + 1])
        if under is None or len(lines[at + 1].strip()) < len(lines[at].strip()) - 1:
            return False
        self.flush()
        style = (under.group(1), over)
        if style not in self.styles:
            self.styles.append(style)
        self.blocks.append(
            Block("heading", _ROLE.sub(r"\1", lines[at].strip()), self.styles.index(style) + 1)
        )
        self.i = at + 2
        return True

    def directive(self) -> bool:
        match = _DIRECTIVE.match(self.lines[self.i])
        comment = self.lines[self.i].startswith("..") and match is None
        if not match and not comment:
            return False
        self.flush()
        self.i += 1
        body = self.indented()
        name = match.group(1).lower() if match else ""
        if name in _CODE_DIRECTIVES:
            self.blocks.append(Block("code", _dedent(_drop_options(body))))
        elif match and name not in _DROPPED_DIRECTIVES:
            label = f"{name.capitalize()}: {match.group(2)}".strip()
            self.blocks.append(Block("text", f"{label}\n{_dedent(_drop_options(body))}".strip()))
        return True

    def literal(self) -> bool:
        """An indented block after a paragraph that ends with ``::``."""
        if not (
            self.para and self.para[-1].rstrip().endswith("::") and not self.lines[self.i].strip()
        ):
            return False
        nxt = self.i + 1
        while nxt < len(self.lines) and not self.lines[nxt].strip():
            nxt += 1
        if nxt >= len(self.lines) or not self.lines[nxt][:1].isspace():
            return False
        last = self.para.pop().rstrip()[:-1]  # "Example::" reads "Example:"; a bare "::" goes
        if last.strip(" :"):
            self.para.append(last)
        self.flush()
        self.i = nxt
        self.blocks.append(Block("code", _dedent(self.indented())))
        return True

    def indented(self) -> list[str]:
        body: list[str] = []
        while self.i < len(self.lines) and (
            not self.lines[self.i].strip() or self.lines[self.i][:1].isspace()
        ):
            body.append(self.lines[self.i])
            self.i += 1
        return body


def _drop_options(body: list[str]) -> list[str]:
    """Directive options (``:linenos:``) come first, before a blank line."""
    out = list(body)
    while out and re.match(r"^\s+:[\w-]+:", out[0]):
        out.pop(0)
    return out


def _dedent(text: str | list[str]) -> str:
    lines = text.split("\n") if isinstance(text, str) else text
    margins = [len(x) - len(x.lstrip()) for x in lines if x.strip()]
    margin = min(margins) if margins else 0
    return "\n".join(x[margin:] for x in lines).strip("\n")


# --- Sphinx HTML -------------------------------------------------------------------------

_VOID = {
    "br",
    "img",
    "hr",
    "meta",
    "link",
    "input",
    "area",
    "base",
    "col",
    "embed",
    "source",
    "wbr",
}
_SKIP_TAGS = {
    "script",
    "style",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "noscript",
    "svg",
    "button",
    "template",
}
_SKIP_CLASSES = {
    "sphinxsidebar",
    "related",
    "headerlink",
    "footer",
    "bd-sidebar",
    "bd-sidebar-primary",
    "bd-sidebar-secondary",
    "sidebar",
    "toctree-wrapper",
    "prev-next-area",
    "bd-header",
    "header",
    "navbar",
    "breadcrumbs",
    "rst-versions",
    "wy-nav-side",
}
_BLOCK_TAGS = {
    "p",
    "li",
    "dt",
    "dd",
    "blockquote",
    "td",
    "th",
    "div",
    "section",
    "tr",
    "table",
    "caption",
    "figcaption",
    "ul",
    "ol",
    "dl",
}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def _html_blocks(html: str) -> list[Block]:
    parser = _SphinxHTML()
    parser.feed(html)
    parser.close()
    return parser.result()


class _SphinxHTML(HTMLParser):
    """Blocks of a Sphinx page; only the main content when the page marks it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, main)
        self.main: list[Block] = []
        self.other: list[Block] = []
        self.buffer: list[str] = []
        self.kind = "text"
        self.level = 0

    def result(self) -> list[Block]:
        self.flush()
        return self.main or self.other

    @property
    def skipping(self) -> bool:
        return any(skipped for _, skipped, _ in self.stack)

    @property
    def in_main(self) -> bool:
        return any(main for _, _, main in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        classes = set(attr.get("class", "").split())
        if tag in _VOID:
            if tag == "br":
                self.buffer.append("\n")
            return
        skip = (
            tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES) or attr.get("role") == "navigation"
        )
        main = attr.get("role") == "main" or tag == "main" or (tag == "div" and "body" in classes)
        if tag in _HEADINGS or tag == "pre" or tag in _BLOCK_TAGS:
            self.flush()
        if tag in _HEADINGS:
            self.kind, self.level = "heading", _HEADINGS[tag]
        elif tag == "pre":
            self.kind = "code"
        self.stack.append((tag, skip, main))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in (t for t, _, _ in self.stack):
            return
        if tag in _HEADINGS or tag == "pre" or tag in _BLOCK_TAGS:
            self.flush()
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.buffer.append(data)

    def flush(self) -> None:
        raw = "".join(self.buffer)
        self.buffer = []
        text = _dedent(raw) if self.kind == "code" else " ".join(raw.split())
        if text.strip():
            target = self.main if self.in_main else self.other
            target.append(Block(self.kind, text.replace("¶", "").strip(), self.level))
        self.kind, self.level = "text", 0
