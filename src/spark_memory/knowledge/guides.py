"""How-to documentation -> guide and example snippets that know the APIs they teach.

``guide_snippets(root, source, table)`` walks a documentation tree (a Sphinx HTML
site, a reST tree, sphinx-gallery example scripts, Markdown) and cuts each page into
sections with their heading path, prose and code kept together (``doctree.py``).
Each snippet's ``apis`` are the API symbols the section teaches (``apis.py``).

Left out, because the docstrings already hold them or no task is answered by them:
API reference pages of HTML sites (pages under ``reference/``, ``generated/`` or
``api/``, and pages that describe Python objects with ``<dl class="py ...">``),
release notes and changelogs, indexes and search pages, developer and contributor
guides, Sphinx's own folders (``_sources``, ``_static``, ...), redirect stubs, and
the HTML renderings of gallery scripts (the scripts themselves are read).

Gallery scripts in a folder whose path names examples are ``example`` snippets;
everything else, tutorials written as gallery scripts included, is ``guide``.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from spark_memory.knowledge.apis import SymbolTable
from spark_memory.knowledge.doctree import doc_format, doc_snippets
from spark_memory.knowledge.markup import is_gallery_script
from spark_memory.knowledge.sources import GuideSource
from spark_memory.models import Snippet, SnippetKind

__all__ = ["GuideReport", "choose", "guide_snippets"]

# Folders never read: Sphinx build output other than pages, API reference trees,
# release notes, developer documentation, HTML renderings of gallery scripts.
SKIP_DIRS = frozenset(
    {
        "_sources", "_static", "_images", "_downloads", "_panels_static", "_templates",
        "_modules", "generated", "api", "reference", "whatsnew", "whats_new",
        "prev_whats_new", "next_whats_new", "release", "releases", "release_notes",
        "changelog", "development", "developers", "dev", "devel", "contributing",
        "auto_examples", "gitwash", "sphinxext", "tests", "test", "build", ".git",
        "testimonials", "api_changes", "deprecations", "project", "conduct",
    }
)  # fmt: skip
# numpy's reST reference tree (routines, arrays) is prose with examples, kept.
KEEP_REFERENCE = frozenset({"rst"})
SKIP_NAMES = re.compile(
    r"^(index|genindex|search|py-modindex|contents|modindex|glossary|authors.*|about"
    r"|governance|roadmap|license.*|copyright|readme|changelog.*|changes|news|history"
    r"|release.*|whats_?new.*|api|api_changes.*|support|related_projects|presentations"
    r"|tune_toc|communication_team.*|contributor_experience_team.*|min_dependency.*"
    r"|credits|citing|team|license|github_stats)$",
    re.I,
)
_REDIRECT = re.compile(r'<meta[^>]+http-equiv="refresh"', re.I)
_OBJECT_DESCRIPTION = re.compile(r'<dl class="(py )?(function|class|method|attribute|data)\b')
_EXAMPLES = re.compile(r"(^|/)(examples?|auto_examples|gallery|plot_types)(/|$)")


@dataclass
class GuideReport:
    source: str
    library: str
    version: str
    files: int = 0  # pages and scripts read
    snippets: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    with_apis: int = 0  # snippets that name at least one API
    apis: int = 0  # distinct API names over all snippets
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> files
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        out = dict(vars(self))
        out["by_kind"] = dict(self.by_kind)
        out["skipped"] = dict(self.skipped)
        return out


def choose(rel: str, text: str) -> tuple[str, SnippetKind] | str:
    """(format, kind) to read a file as, or why it is left out."""
    path = PurePosixPath(rel)
    parts = [p.lower() for p in path.parts[:-1]]
    fmt = "gallery" if path.suffix == ".py" else doc_format(rel)
    if fmt is None:
        return "not a document"
    skipped = [
        p for p in parts if p in SKIP_DIRS and not (p == "reference" and fmt in KEEP_REFERENCE)
    ]
    if skipped:
        return f"{skipped[0]}/ folder"
    if SKIP_NAMES.match(path.name.split(".")[0]):
        return "index, release notes or project page"
    if fmt == "gallery" and not is_gallery_script(text):
        return "not a gallery script"
    if fmt == "html" and _REDIRECT.search(text[:2000]):
        return "redirect"
    if fmt == "html" and _OBJECT_DESCRIPTION.search(text):
        return "API reference page"
    example = fmt == "gallery" and _EXAMPLES.search(rel) is not None
    return fmt, SnippetKind.EXAMPLE if example else SnippetKind.GUIDE


def guide_snippets(
    root: Path, source: GuideSource, table: SymbolTable | None = None
) -> tuple[list[Snippet], GuideReport]:
    """Snippets of every guide page and example script under ``root``."""
    started = time.monotonic()
    report = GuideReport(source.spec, source.library, source.version)
    out: dict[str, Snippet] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        if path.suffix not in (".py", ".rst", ".md", ".html", ".htm", ".txt", ".markdown"):
            report.skipped["not a document"] += 1
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            report.problems.append(f"{rel}: {exc}")
            continue
        chosen = choose(rel, text)
        if isinstance(chosen, str):
            report.skipped[chosen] += 1
            continue
        fmt, kind = chosen
        report.files += 1
        for snippet in doc_snippets(
            text,
            library=source.library,
            version=source.version,
            source=cite(source, rel),
            fmt=fmt,
            doc_id=_doc_id(rel),
            kind=kind,
            table=table,
        ):
            out.setdefault(snippet.id, snippet)
    snippets = list(out.values())
    _count(report, snippets)
    report.seconds = round(time.monotonic() - started, 2)
    return snippets, report


def _count(report: GuideReport, snippets: list[Snippet]) -> None:
    report.snippets = len(snippets)
    report.by_kind.update(s.kind.value for s in snippets)
    report.with_apis = sum(1 for s in snippets if s.apis)
    report.apis = len({a for s in snippets for a in s.apis})


def _doc_id(rel: str) -> str:
    """The page a snippet's symbol starts with: its path without folders Sphinx adds."""
    rel = re.sub(r"^html/", "", rel)
    return re.sub(r"\.(html?|rst|md|markdown|py|txt)$", "", rel)


# Where the published site shows a file of a known tree: (pattern, replacement).
_PUBLISHED: dict[str, tuple[tuple[str, str], ...]] = {
    "debian": ((r"^html/", ""), (r"^examples/(.*)\.py$", r"auto_examples/\1.html")),
    "matplotlib": (
        (r"^galleries/examples/(.*)\.py$", r"gallery/\1.html"),
        (r"^galleries/users_explain/(.*)\.py$", r"users/explain/\1.html"),
        (r"^galleries/(tutorials|plot_types)/(.*)\.py$", r"\1/\2.html"),
        (r"^doc/(.*)\.rst$", r"\1.html"),
    ),
    "numpy": ((r"^(.*)\.rst$", r"\1.html"),),
}
_SITES = {
    "matplotlib": "https://matplotlib.org/{version}",
    "numpy": "https://numpy.org/doc/{minor}",
}


def cite(source: GuideSource, rel: str) -> str:
    """A citable address of a file: its page on the published site when known."""
    base = source.base_url
    if not base and source.library in _SITES and source.version:
        minor = ".".join(source.version.split(".")[:2])
        base = _SITES[source.library].format(version=source.version, minor=minor)
    if not base:
        return rel
    rules = _PUBLISHED.get("debian" if source.kind == "debian" else source.library, ())
    page = rel
    for pattern, replacement in rules:
        page = re.sub(pattern, replacement, page)
    return f"{base.rstrip('/')}/{page}"
