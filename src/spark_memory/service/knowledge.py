"""Knowledge-base use cases: harvest libraries, guides or doc trees, ingest, list, remove."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from spark_memory.errors import InvalidInput, NotFound
from spark_memory.knowledge.apis import SymbolTable
from spark_memory.knowledge.doctree import DocTreeReport, harvest_tree, is_doc_section
from spark_memory.knowledge.guides import GuideReport, guide_snippets
from spark_memory.knowledge.harvest import HarvestReport, harvest
from spark_memory.knowledge.ingest import IngestReport, ingest
from spark_memory.knowledge.names import check_library_name, missing_libraries, unknown_library
from spark_memory.knowledge.sources import checkout, known_sources, parse_source
from spark_memory.models import Snippet
from spark_memory.service.base import Progress, ServiceBase
from spark_memory.store.protocol import LibraryStat, WriteResult

# What the default install brings and the first run harvests; PyTorch and TensorFlow
# come from an environment that has them (`spark kb ingest torch --python ...`).
DEFAULT_LIBRARIES = ("numpy", "pandas", "scipy", "sklearn", "matplotlib")

HarvestProgress = Callable[[str, str], None]


@dataclass
class KbIngestResult:
    ingest: IngestReport
    harvest: HarvestReport | None = None
    doctree: DocTreeReport | None = None
    problems: list[str] = field(default_factory=list)
    guides: list[GuideReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ingest": vars(self.ingest) | {"written": self.ingest.written}}
        if self.harvest is not None:
            out["harvest"] = {
                "seconds": self.harvest.seconds,
                "snippets": self.harvest.total_snippets,
                "libraries": [_library_report(r) for r in self.harvest.libraries],
            }
        if self.doctree is not None:
            out["doctree"] = vars(self.doctree)
        if self.guides:
            out["guides"] = [g.as_dict() for g in self.guides]
        if self.problems:
            out["problems"] = list(self.problems)
        return out


def _library_report(report: Any) -> dict[str, Any]:
    return {
        "library": report.library,
        "version": report.version,
        "snippets": dict(report.snippets),
        "problems": dict(report.problems),
        "crashed": report.crashed,
        "seconds": report.seconds,
    }


class Knowledge(ServiceBase):
    def kb_ingest_libraries(
        self,
        libraries: Sequence[str] = DEFAULT_LIBRARIES,
        *,
        python: str | os.PathLike[str] | None = None,
        on_library: HarvestProgress | None = None,
        progress: Progress | None = None,
    ) -> KbIngestResult:
        """Harvest installed libraries (of ``python``'s environment) and ingest them."""
        if not libraries:
            raise InvalidInput("name at least one library to ingest")
        if python is not None and not Path(python).exists():
            raise InvalidInput(f"no interpreter at {python}")
        found = harvest(libraries, python=python, progress=on_library)
        missing = [r.library for r in found.report.libraries if not r.version and not r.symbols]
        # a library's guide sections share its version and stay
        report = ingest(found.snippets, self.store, self.embedder, progress, owns=_not_section)
        problems = [f"{lib}: not importable by {python or 'this interpreter'}" for lib in missing]
        return KbIngestResult(report, harvest=found.report, problems=problems)

    def kb_ingest_docs(
        self,
        root: Path,
        *,
        library: str,
        version: str,
        base_url: str = "",
        progress: Progress | None = None,
    ) -> KbIngestResult:
        """Ingest a documentation tree (Markdown, reST, Sphinx HTML, llms.txt)."""
        if not root.exists():
            raise InvalidInput(f"no such folder or file: {root}")
        snippets, tree = harvest_tree(root, library=library, version=version, base_url=base_url)
        if not snippets:
            raise InvalidInput(f"no documents of a known format under {root}")
        report = ingest(snippets, self.store, self.embedder, progress, owns=is_doc_section)
        return KbIngestResult(report, doctree=tree)

    def kb_missing_libraries(
        self, libraries: Sequence[str], python: str | os.PathLike[str] | None = None
    ) -> None:
        """Refuse names that are not import names, or that ``python`` cannot import."""
        for name in libraries:
            check_library_name(name)
        if python is not None and not Path(python).exists():
            raise InvalidInput(f"no interpreter at {python}")
        for name in missing_libraries(libraries, python):
            raise unknown_library(name, f"not importable by {python or 'this interpreter'}")

    def kb_ingest_guides(
        self,
        spec: str,
        *,
        library: str = "",
        version: str = "",
        base_url: str = "",
        progress: Progress | None = None,
    ) -> KbIngestResult:
        """Ingest how-to documentation (a folder, ``debian:PACKAGE`` or ``git+URL@TAG``)
        into guide and example sections that know the APIs they teach; re-ingesting
        replaces that library version's sections and leaves its docstrings alone."""
        source = parse_source(
            spec, library=library and check_library_name(library), version=version
        )
        check_library_name(source.library)
        source = replace(source, base_url=base_url or source.base_url)
        if not source.version:
            raise InvalidInput(f"say which version {spec} documents (--doc-version)")
        # Search serves one version of a library; guides of a nearby release (scipy
        # 1.10.1 docs, scipy 1.12.0 installed) join the version the KB holds.
        served = self._served_version(source.library)
        filed = replace(source, version=served) if served else source
        table = self._symbol_table()
        with checkout(source) as root:
            snippets, report = guide_snippets(root, filed, table)
        if not snippets:
            raise InvalidInput(f"no guide pages or example scripts under {spec}")
        problems = report.problems[:20]
        if filed.version != source.version:
            problems.append(
                f"{source.library} {source.version} guides filed under {served}, "
                "the version whose docstrings the knowledge base holds"
            )
        written = ingest(snippets, self.store, self.embedder, progress, owns=is_doc_section)
        return KbIngestResult(written, guides=[report], problems=problems)

    def _served_version(self, library: str) -> str:
        """The one version of ``library`` whose API docstrings the store holds, if one."""
        versions = {
            s.version
            for s in self.store.library_stats()
            if s.library == library and s.by_kind.get("api")
        }
        return versions.pop() if len(versions) == 1 else ""

    def kb_known_guides(self, libraries: Sequence[str] = ()) -> list[str]:
        """The guide sources of this machine (installed doc packages, guide folders)."""
        for name in libraries:
            check_library_name(name)
        return [s.spec for s in known_sources(self.settings.guide_folders, libraries)]

    def _symbol_table(self) -> SymbolTable | None:
        """The API names guides resolve against: every API snippet in the store."""
        table = SymbolTable.from_snippets(s for batch in self.store.iter_snippets() for s in batch)
        return table if table.names else None

    def kb_remove(self, library: str, version: str | None = None) -> WriteResult:
        known = {(s.library, s.version) for s in self.store.library_stats()}
        if not any(lib == library and version in (None, ver) for lib, ver in known):
            wanted = library if version is None else f"{library} {version}"
            raise NotFound(f"the knowledge base holds no {wanted}")
        return self.store.delete_snippets(library, version)

    def kb_show(self, snippet_id: str) -> Snippet:
        return self.store.get_snippet(snippet_id)

    def kb_libraries(self) -> list[LibraryStat]:
        """Libraries and versions the knowledge base holds, with snippet counts."""
        return self.store.library_stats()

    def kb_is_empty(self) -> bool:
        return not self.store.library_stats()


def _not_section(snippet: Snippet) -> bool:
    return not is_doc_section(snippet)
