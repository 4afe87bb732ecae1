"""Read documentation markup into a flat list of blocks: headings, text, code.

Markdown (front matter dropped, fenced code kept whole, llms.txt link lists as
"name: description (url)"), reStructuredText with the standard library only
(titles by adornment, literal and code-block directives as code, toctree and
comments dropped, roles read as their text) and Sphinx HTML (only the main content:
``[role=main]``, ``div.body``, ``main``; navigation, sidebars, header links and
scripts stripped).

A block also keeps the API names it refers to (``refs``): the targets of reST roles
(``:meth:`DataFrame.groupby` ``) and autosummary entries, with the ``currentmodule``
in force (``module``), and the reference pages Sphinx HTML links to
(``reference/api/pandas.DataFrame.groupby.html``). ``apis.py`` resolves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from spark_memory.errors import InvalidInput

__all__ = ["FORMATS", "Block", "front_title", "link_refs", "parse_blocks", "role_refs"]

FORMATS = ("markdown", "rst", "html", "llms", "gallery")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "text" or "code"
    text: str
    level: int = 0  # headings: 1 = document title
    refs: tuple[str, ...] = ()  # API names the block refers to (roles, reference links)
    module: str = ""  # reST: the currentmodule its refs are relative to


def parse_blocks(text: str, fmt: str) -> list[Block]:
    if fmt == "markdown":
        return _markdown_blocks(text, links=False)
    if fmt == "llms":
        return _markdown_blocks(text, links=True)
    if fmt == "rst":
        return rst_blocks(text)
    if fmt == "html":
        return _html_blocks(text)
    if fmt == "gallery":
        return gallery_blocks(text)
    raise InvalidInput(
        f"unknown documentation format {fmt!r}; expected one of {', '.join(FORMATS)}"
    )


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


def front_title(text: str) -> str:
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
# Roles that name Python objects: :func:`numpy.argsort`, :meth:`text <DataFrame.groupby>`
_API_ROLE = re.compile(
    r":(?:py:)?(?:func|meth|class|attr|obj|data|mod|exc|property):`~?([^`<]*?)(?:\s*<([^>]*)>)?`"
)
_REF_DIRECTIVES = {"autosummary", "autofunction", "autoclass", "automethod", "autoattribute"}


# Interpreted text without a role: the default role, `py:obj` in the docs of
# Matplotlib and others (`~matplotlib.pyplot.bar`); only dotted names count.
_DEFAULT_ROLE = re.compile(r"(?<![:`\w])`~?(\.?[A-Za-z_]\w*(?:\.\w+)+)(?:\(\))?`(?![`_])")


def role_refs(text: str) -> list[str]:
    """Targets of the Python-object roles in ``text``, ``~`` and display text dropped."""
    out = []
    for match in _API_ROLE.finditer(text):
        target = (match.group(2) or match.group(1)).strip().lstrip("~!")
        if target:
            out.append(target.rstrip("()"))
    out += [m.group(1) for m in _DEFAULT_ROLE.finditer(text)]
    return out


@dataclass
class RstState:
    """What carries over between pieces of one document (a gallery script's cells)."""

    styles: list[tuple[str, bool]] = field(default_factory=list)  # adornments, first use first
    module: str = ""  # the currentmodule


def rst_blocks(text: str, state: RstState | None = None) -> list[Block]:
    lines = text.replace("\r\n", "\n").expandtabs(4).split("\n")
    reader = _RstReader(lines, state or RstState())
    reader.read()
    return reader.blocks


class _RstReader:
    def __init__(self, lines: list[str], state: RstState) -> None:
        self.lines = lines
        self.blocks: list[Block] = []
        self.state = state
        self.styles = state.styles
        self.para: list[str] = []
        self.refs: list[str] = []
        self.i = 0

    @property
    def module(self) -> str:
        return self.state.module

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
            self.refs += role_refs(line)
            self.para.append(_ROLE.sub(r"\1", line))

    def flush(self) -> None:
        if self.para:
            text = "\n".join(self.para)
            kind = "code" if text.lstrip().startswith(">>>") else "text"
            body = _dedent(text) if kind == "code" else text.strip()
            self.blocks.append(Block(kind, body, refs=tuple(self.refs), module=self.module))
            self.para = []
        self.refs = []

    def add(self, kind: str, text: str, refs: list[str] | tuple[str, ...] = ()) -> None:
        self.blocks.append(Block(kind, text, refs=tuple(refs), module=self.module))

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
        title = lines[at].strip()
        self.blocks.append(
            Block(
                "heading",
                _ROLE.sub(r"\1", title),
                self.styles.index(style) + 1,
                refs=tuple(role_refs(title)),
                module=self.module,
            )
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
        if name in ("currentmodule", "module") and match:
            self.state.module = "" if match.group(2).strip() == "None" else match.group(2).strip()
        elif name in _REF_DIRECTIVES and match:
            self.add("refs", "", _entries(match.group(2), body))
        elif name in _CODE_DIRECTIVES:
            self.add("code", _dedent(_drop_options(body)))
        elif match and name not in _DROPPED_DIRECTIVES:
            label = f"{name.capitalize()}: {match.group(2)}".strip()
            text = f"{label}\n{_dedent(_drop_options(body))}".strip()
            self.add("text", _ROLE.sub(r"\1", text), role_refs(text))
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


def _entries(argument: str, body: list[str]) -> list[str]:
    """Names an autosummary lists (or an autofunction documents)."""
    names = [argument.strip()] if argument.strip() else []
    names += [x.strip() for x in _drop_options(body) if x.strip()]
    return [n.lstrip("~") for n in names if re.fullmatch(r"~?[A-Za-z_][\w.]*", n)]


_PROMPT = re.compile(r"^(In \[\d*\]: |>>> |>>>$|\s+\.{3,}: ?|\.\.\. |\.\.\.$)")
MAX_OUTPUT_LINES = 6


_RULE = re.compile(r"^-{20,}$")
_TRACEBACK = re.compile(r"^(?:([A-Za-z_][\w.]*)\s+)?Traceback \(most recent call last\)")
_RAISED = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt|Iteration)\b")
# A name the session never defined: the documentation was built without the data its
# example loads (Debian's pandas pages print ``NameError: name 'tips' is not defined``
# after every line that reads the tips table), not an error the page means to show.
_UNBUILT = "NameError"
_CHAINED = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)


def trim_outputs(code: str) -> str:
    """A console session (IPython or doctest) with each printed output cut to a few
    lines: a 40-row frame tells a reader no more than its head does. A traceback keeps
    only its last line, the error a page shows on purpose; one from a build that lacked
    the example's data goes."""
    lines = code.split("\n")
    if not any(_PROMPT.match(x) for x in lines):
        return code
    lines = _without_tracebacks(lines)
    out: list[str] = []
    run = 0
    for line in lines:
        if _PROMPT.match(line) or not line.strip():
            run = 0
            out.append(line)
            continue
        run += 1
        if run <= MAX_OUTPUT_LINES:
            out.append(line)
        elif run == MAX_OUTPUT_LINES + 1:
            out.append("...")
    return "\n".join(out)


def _without_tracebacks(lines: list[str]) -> list[str]:
    out: list[str] = []
    n = 0
    while n < len(lines):
        head = n + 1 if _RULE.match(lines[n]) and n + 1 < len(lines) else n
        if not _TRACEBACK.match(lines[head]):
            if lines[n].strip() not in _CHAINED:
                out.append(lines[n])
            n += 1
            continue
        end = head + 1
        while end < len(lines) and not _PROMPT.match(lines[end]):
            if _RAISED.match(lines[end]):
                break
            end += 1
        raised = lines[end] if end < len(lines) and _RAISED.match(lines[end]) else ""
        if raised and not raised.startswith(_UNBUILT):
            out.append(raised)
        n = end + 1 if raised else end
    return out


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
        self.refs: list[str] = []
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
        elif tag == "a" and not self.skipping:
            self.refs += link_refs(attr.get("href", ""), attr.get("title", ""))
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
        text = trim_outputs(_dedent(raw)) if self.kind == "code" else " ".join(raw.split())
        if text.strip() or self.refs:
            target = self.main if self.in_main else self.other
            target.append(
                Block(self.kind, text.replace("¶", "").strip(), self.level, tuple(self.refs))
            )
        self.kind, self.level, self.refs = "text", 0, []


# A reference page of one API object: Sphinx names the page, and the anchor, after it.
_REF_PAGE = re.compile(r"(?:^|/)(?:generated|api|reference)/([A-Za-z_][\w.]*)\.html(?:#(.*))?$")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)+$")


def link_refs(href: str, title: str = "") -> list[str]:
    """The API a link to a reference page names (its anchor when that is a dotted
    name, as for a method on its class's page), or nothing for other links."""
    match = _REF_PAGE.search(href)
    if match is None:
        return []
    page, anchor = match.group(1), match.group(2) or ""
    if _DOTTED.match(anchor):
        return [anchor]
    if _DOTTED.match(title) and title.startswith(page.split(".", 1)[0] + "."):
        return [title]
    return [page] if _DOTTED.match(page) else []


# --- sphinx-gallery scripts --------------------------------------------------------------

# A new cell: `# %%` (optionally titled) or a line of 20+ hashes (the older style).
_CELL = re.compile(r"^(# ?%%.*|#{20,}\s*)$")
_GALLERY_CONFIG = re.compile(r"^#\s*sphinx_gallery_\w+")


def gallery_blocks(source: str) -> list[Block]:
    """A sphinx-gallery script: its docstring is reST; then cells, each a run of
    ``#`` comment lines (reST text) after a separator, then code."""
    doc, rest = split_docstring(source)
    state = RstState()
    blocks = rst_blocks(doc, state)
    text: list[str] = []
    code: list[str] = []
    in_text = False
    for line in rest.split("\n"):
        if _CELL.match(line):
            _gallery_cell(blocks, text, code, state)
            text, code, in_text = [], [], True
        elif _GALLERY_CONFIG.match(line):
            continue
        elif in_text and (line.startswith("#") or (not line.strip() and not text)):
            text.append(line[2:] if line.startswith("# ") else line[1:])
        else:
            in_text = False
            code.append(line)
    _gallery_cell(blocks, text, code, state)
    return blocks


def _gallery_cell(blocks: list[Block], text: list[str], code: list[str], state: RstState) -> None:
    if any(x.strip() for x in text):
        blocks += rst_blocks("\n".join(text), state)
    body = _dedent(code).strip("\n")
    if body.strip():
        blocks.append(Block("code", body))


def split_docstring(source: str) -> tuple[str, str]:
    """(module docstring, the source after it); ("", source) without one."""
    match = re.match(r'\A(?:\s*#[^\n]*\n)*\s*[rRuU]?("""|\'\'\')(.*?)\1[^\n]*\n?', source, re.S)
    if match is None:
        return "", source
    return match.group(2), source[match.end() :]


def is_gallery_script(source: str) -> bool:
    """A script whose docstring carries a reST title, as sphinx-gallery requires."""
    doc, _ = split_docstring(source)
    return any(b.kind == "heading" for b in rst_blocks(doc)) if doc else False
